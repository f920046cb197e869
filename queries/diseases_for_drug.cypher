// Diseases for a drug: its known indications (TREATS = disease-modifying, PALLIATES = symptomatic, with the
// source that asserts them), then the model's predictions (PREDICTED_TREATS) by probability. `rank` is the
// drug's rank among all drugs for that disease.
//
// @param drug curie(Drug)       Drug CURIE, e.g. DRUGBANK:DB00945 (acetylsalicylic acid)
// @param k integer[1..1000] = 20     How many predicted diseases to return (known indications are always all listed)
// @example pmkg query diseases_for_drug --param drug=DRUGBANK:DB00945 --param k=10
// @columns status, disease_id, disease_name, probability, score, rank, model_version, sources
MATCH (c:Drug {id: $drug})
CALL (c) {
  MATCH (c)-[r:TREATS|PALLIATES]->(d:Disease)
  WITH d, type(r) AS kind, collect(DISTINCT r.source) AS sources
  RETURN CASE kind WHEN 'TREATS' THEN 'treats' ELSE 'palliates' END AS status, d, null AS probability,
         null AS score, null AS rank, null AS model_version, sources
  UNION ALL
  MATCH (c)-[p:PREDICTED_TREATS]->(d:Disease)
  WITH d, p
  ORDER BY p.probability DESC, p.score DESC, d.id
  LIMIT $k
  RETURN 'predicted' AS status, d, p.probability AS probability, p.score AS score, p.rank AS rank,
         p.model_version AS model_version, [] AS sources
}
RETURN status, d.id AS disease_id, d.name AS disease_name, probability, score, rank, model_version, sources
ORDER BY CASE status WHEN 'treats' THEN 0 WHEN 'palliates' THEN 1 ELSE 2 END, probability DESC, disease_id
