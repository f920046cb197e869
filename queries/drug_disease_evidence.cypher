// Short paths between a drug and a disease, unranked (prefer evidence_paths): up to n paths of 1-3 hops, shortest
// first. Open-ended variable-length matching: fine on the sample, slow on a full graph.
// Model predictions are not evidence, so PREDICTED_* relationships are never part of a path.
//
// @param drug curie(Drug)       Drug CURIE, e.g. DRUGBANK:DB00945 (acetylsalicylic acid)
// @param disease curie(Disease)    Disease CURIE, e.g. DOID:1612 (breast cancer)
// @param n integer[1..100] = 10 How many paths to return
// @example pmkg query drug_disease_evidence --param drug=DRUGBANK:DB00945 --param disease=DOID:1612 --param n=5
// @columns hops, node_ids, node_names, relationships, sources
MATCH (c:Drug {id: $drug})
MATCH (d:Disease {id: $disease})
MATCH p = (c)-[*1..3]-(d)
WHERE none(r IN relationships(p) WHERE type(r) STARTS WITH 'PREDICTED_')
WITH p, length(p) AS hops
ORDER BY hops
LIMIT $n
RETURN hops, [x IN nodes(p) | x.id] AS node_ids, [x IN nodes(p) | coalesce(x.name, x.id)] AS node_names,
       [r IN relationships(p) | type(r)] AS relationships, [r IN relationships(p) | r.source] AS sources
