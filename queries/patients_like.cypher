// Patients like a given one: those sharing observed phenotypes (HP terms or MeSH symptoms; excluded findings
// do not count) or diagnoses with it, ranked by shared phenotypes + 3 x shared diagnoses. Only patients of the
// same kind are compared: synthetic patients never match real ones. Patients are addressed by pseudonymous id.
// @param patient curie(Patient) Pseudonymous patient id (PMKG.PATIENT:...)
// @param k integer[1..1000] = 10 Number of similar patients
// @example pmkg query patients_like -p patient=PMKG.PATIENT:0123456789abcdef0123 -p k=5
// @columns patient_id, shared_phenotypes, shared_diagnoses, score, diagnoses_in_common
MATCH (p:Patient {id: $patient})-[r1:HAS_PHENOTYPE|HAS_DIAGNOSIS]->(t)<-[r2:HAS_PHENOTYPE|HAS_DIAGNOSIS]-(q:Patient)
WHERE q <> p AND q.synthetic = p.synthetic AND type(r1) = type(r2)
  AND NOT coalesce(r1.excluded, false) AND NOT coalesce(r2.excluded, false)
WITH q, collect(DISTINCT CASE WHEN type(r1) = 'HAS_PHENOTYPE' THEN t.id END) AS phenotypes,
     collect(DISTINCT CASE WHEN type(r1) = 'HAS_DIAGNOSIS' THEN t.id END) AS diagnoses
RETURN q.id AS patient_id, size(phenotypes) AS shared_phenotypes, size(diagnoses) AS shared_diagnoses,
       size(phenotypes) + 3 * size(diagnoses) AS score, diagnoses AS diagnoses_in_common
ORDER BY score DESC, patient_id
LIMIT $k
