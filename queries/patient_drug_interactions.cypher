// Why a drug carries an interaction warning for a patient: each path Patient -(current medication)- Drug
// -[INTERACTS_WITH]- Drug, with DrugCentral's risk class. Current medications are the phenopacket's medicalActions
// agents, kept on the patient as `treatments`. Interactions are class-level (both drugs belong to classes DrugCentral
// lists as interacting) and undirected, so the pattern has no direction. Most severe first.
// @param patient curie(Patient) Pseudonymous patient id (PMKG.PATIENT:...)
// @param drug curie(Drug) The recommended drug to check, e.g. DRUGBANK:DB00945
// @example pmkg query patient_drug_interactions -p patient=PMKG.PATIENT:0123456789abcdef0123 -p drug=DRUGBANK:DB00945
// @columns medication_id, medication_name, risk, risks, source, evidence, path
MATCH (p:Patient {id: $patient})
MATCH (d:Drug {id: $drug})-[i:INTERACTS_WITH]-(m:Drug)
WHERE m.id IN coalesce(p.treatments, [])
RETURN m.id AS medication_id, m.name AS medication_name, i.risk AS risk, i.risks AS risks, i.source AS source,
       i.evidence AS evidence,
       [p.id, 'takes', m.id, 'INTERACTS_WITH (' + i.risk + ')', d.id] AS path
ORDER BY CASE i.risk WHEN 'Contraindicated' THEN 0 WHEN 'Critical' THEN 1 WHEN 'Avoid combination' THEN 2
         WHEN 'Significant' THEN 3 ELSE 4 END, medication_id
