// Repurposing candidates for a disease: the model's top-ranked drugs that are not already indicated for it,
// with the calibrated probability and the pair's known status ('palliates' when the drug is a symptomatic
// treatment already, else 'novel'; disease-modifying indications are never candidates).
//
// @param disease curie(Disease)    Disease CURIE, e.g. DOID:1612 (breast cancer)
// @param k integer[1..1000] = 10 How many candidates to return
// @example pmkg query repurposing_candidates --param disease=DOID:1612 --param k=10
// @columns rank, drug_id, drug_name, score, probability, model_version, palliates, known_status
MATCH (d:Disease {id: $disease})<-[p:PREDICTED_TREATS]-(c:Drug)
WITH d, p, c
ORDER BY p.rank
LIMIT $k
WITH d, p, c, EXISTS { (c)-[:TREATS]->(d) } AS treats, EXISTS { (c)-[:PALLIATES]->(d) } AS palliates
RETURN p.rank AS rank, c.id AS drug_id, c.name AS drug_name, p.score AS score, p.probability AS probability,
       p.model_version AS model_version, palliates,
       CASE WHEN treats THEN 'treats' WHEN palliates THEN 'palliates' ELSE 'novel' END AS known_status
ORDER BY rank
