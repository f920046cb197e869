// Drugs targeting genes associated with a disease: every drug that TARGETS at least one gene the disease is
// ASSOCIATED_WITH, most shared genes first, with the genes, the sources of the target edges and whether the drug
// is already indicated ('treats', 'palliates' or 'none').
//
// @param disease curie(Disease)    Disease CURIE, e.g. DOID:2841 (asthma)
// @param k integer[1..1000] = 25     How many drugs to return
// @example pmkg query drugs_targeting_disease_genes --param disease=DOID:2841 --param k=10
// @columns drug_id, drug_name, shared_genes, genes, target_sources, known_status
MATCH (d:Disease {id: $disease})-[:ASSOCIATED_WITH]->(g:Gene)<-[t:TARGETS]-(c:Drug)
WITH d, c, collect(DISTINCT coalesce(g.symbol, g.name, g.id)) AS genes, collect(DISTINCT t.source) AS target_sources
WITH d, c, genes, target_sources,
     CASE WHEN EXISTS { (c)-[:TREATS]->(d) } THEN 'treats'
          WHEN EXISTS { (c)-[:PALLIATES]->(d) } THEN 'palliates' ELSE 'none' END AS known_status
RETURN c.id AS drug_id, c.name AS drug_name, size(genes) AS shared_genes, genes, target_sources, known_status
ORDER BY shared_genes DESC, drug_name, drug_id
LIMIT $k
