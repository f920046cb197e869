// A patient's top predicted drugs (PREDICTED_BENEFIT, from `pmkg patients predict`) with the evidence beside
// each: which of the patient's diagnoses the drug treats (PharmacotherapyDB), and the CPIC/DPWG recommendation
// for the patient's genotype (action, classification, guideline, text) when one applies. pgx_flags are the
// short flags the model wrote ('CPIC: avoid (Strong)'); interaction_warnings the drug's DrugCentral interactions
// with the patient's current medications. Patients are addressed by pseudonymous id only.
// @param patient curie(Patient) Pseudonymous patient id (PMKG.PATIENT:...), as `pmkg ingest patients` reports it
// @param k integer[1..1000] = 10 Number of drugs (by predicted rank)
// @example pmkg query patient_recommendations -p patient=PMKG.PATIENT:0123456789abcdef0123 -p k=10
// @columns rank, drug_id, drug_name, probability, pgx_flags, treats_diagnoses, pgx_action, pgx_classification, guideline_source, recommendation, interaction_warnings, model_version
MATCH (p:Patient {id: $patient})-[b:PREDICTED_BENEFIT]->(d:Drug)
WHERE b.rank <= $k
OPTIONAL MATCH (p)-[dx:HAS_DIAGNOSIS]->(disease:Disease)<-[:TREATS]-(d)
WHERE NOT coalesce(dx.excluded, false)
WITH p, b, d, collect(DISTINCT coalesce(disease.name, disease.id)) AS treats
OPTIONAL MATCH (p)-[r:HAS_PGX_RECOMMENDATION]->(d)
RETURN b.rank AS rank, d.id AS drug_id, d.name AS drug_name, b.probability AS probability,
       b.pgx_flags AS pgx_flags, treats AS treats_diagnoses, r.action AS pgx_action,
       r.classification AS pgx_classification, r.guideline_source AS guideline_source, r.text AS recommendation,
       coalesce(b.interaction_warnings, []) AS interaction_warnings, b.model_version AS model_version
ORDER BY rank
