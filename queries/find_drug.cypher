// Find a drug by name: drugs whose name or synonyms contain the text (case-insensitive), exact and shorter names
// first, with the number of diseases each treats and the number it is a model candidate for.
//
// @param name string           Part of a drug name, e.g. metformin
// @param k integer[1..1000] = 10     How many drugs to return
// @example pmkg query find_drug --param name=metformin
// @columns drug_id, drug_name, matched, indications, candidate_for
MATCH (c:Drug)
WHERE toLower(c.name) CONTAINS toLower($name)
   OR any(s IN coalesce(c.synonyms, []) WHERE toLower(s) CONTAINS toLower($name))
WITH c, CASE WHEN toLower(c.name) CONTAINS toLower($name) THEN c.name
             ELSE head([s IN c.synonyms WHERE toLower(s) CONTAINS toLower($name)]) END AS matched
WITH c, matched, toLower(matched) = toLower($name) AS exact
ORDER BY exact DESC, size(matched), c.id
LIMIT $k
RETURN c.id AS drug_id, c.name AS drug_name, matched,
       COUNT { (c)-[:TREATS]->(:Disease) } AS indications, COUNT { (c)-[:PREDICTED_TREATS]->(:Disease) } AS candidate_for
