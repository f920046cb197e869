// Pharmacogenomics of a gene: its variants with PGx annotations (Variant -IN_GENE-> Gene, Variant
// -AFFECTS_RESPONSE_TO-> Drug) and the gene-level annotations and guidelines (Gene -AFFECTS_RESPONSE_TO-> Drug:
// PharmGKB clinical annotations, CPIC/DPWG guidelines), strongest PharmGKB evidence level first.
//
// @param gene string           Gene CURIE or symbol, e.g. NCBIGene:1557 or CYP2C19
// @example pmkg query pgx_annotations_for_gene --param gene=CYP2C19
// @columns level, variant_id, drug_id, drug_name, source, level_of_evidence, phenotype_categories, guideline, actions, pmids
CALL () {
  MATCH (g:Gene {id: $gene})
  RETURN g
  UNION
  MATCH (g:Gene {symbol: $gene})
  RETURN g
  UNION
  MATCH (g:Gene {name: $gene})
  RETURN g
}
CALL (g) {
  MATCH (v:Variant)-[:IN_GENE]->(g)
  MATCH (v)-[a:AFFECTS_RESPONSE_TO]->(c:Drug)
  RETURN 'variant' AS level, v.id AS variant_id, a, c
  UNION ALL
  MATCH (g)-[a:AFFECTS_RESPONSE_TO]->(c:Drug)
  RETURN 'gene' AS level, null AS variant_id, a, c
}
RETURN level, variant_id, c.id AS drug_id, c.name AS drug_name, a.source AS source,
       a.level_of_evidence AS level_of_evidence, a.phenotype_categories AS phenotype_categories,
       coalesce(a.cpic_guideline_name, a.dpwg_guideline_name) AS guideline, a.actions AS actions,
       size(coalesce(a.pmids, [])) AS pmids
ORDER BY coalesce(level_of_evidence, 'z'), level DESC, drug_name, variant_id, source
