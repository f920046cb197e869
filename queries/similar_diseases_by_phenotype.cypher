// Phenotype-overlap disease similarity: diseases sharing HPO phenotypes (HAS_PHENOTYPE) with the given one,
// ranked by the Jaccard index of the two phenotype sets (shared / union), with up to 10 shared phenotype names.
//
// @param disease curie(Disease)    Disease CURIE, e.g. DOID:14330 (Parkinson's disease)
// @param k integer[1..1000] = 10     How many diseases to return
// @param min_shared integer[1..10000] = 1  Least number of shared phenotypes
// @example pmkg query similar_diseases_by_phenotype --param disease=DOID:14330 --param k=10
// @columns disease_id, disease_name, shared, phenotypes, jaccard, shared_phenotypes
MATCH (d:Disease {id: $disease})
WITH d, COUNT { MATCH (d)-[:HAS_PHENOTYPE]->(p:Phenotype) RETURN DISTINCT p } AS own
MATCH (d)-[:HAS_PHENOTYPE]->(p:Phenotype)<-[:HAS_PHENOTYPE]-(o:Disease)
WHERE o <> d
WITH d, own, o, collect(DISTINCT p) AS shared_set
WITH own, o, shared_set, size(shared_set) AS shared
WHERE shared >= $min_shared
WITH o, shared, shared_set, own, COUNT { MATCH (o)-[:HAS_PHENOTYPE]->(q:Phenotype) RETURN DISTINCT q } AS theirs
WITH o, shared, theirs, toFloat(shared) / (own + theirs - shared) AS jaccard, shared_set
RETURN o.id AS disease_id, o.name AS disease_name, shared, theirs AS phenotypes, jaccard,
       [p IN shared_set | p.name][..10] AS shared_phenotypes
ORDER BY jaccard DESC, shared DESC, disease_id
LIMIT $k
