// Biomarker-matched therapies of a stored patient, one row per CIViC evidence item: the path Patient -CARRIES->
// Variant <-HAS_COMPONENT- MolecularProfile -PREDICTS_*-> Drug or DrugCombination, with the item's evidence id,
// level (A-E), rating, direction, significance, disease and how that disease fits the patient's diagnoses through
// the Disease Ontology (same, broader: an ancestor, narrower: a subtype, other, unknown). A profile counts when the
// patient carries as many of its variants as it requires (all for AND, one for OR); profiles with parentheses or NOT
// are left to the Python matcher. Supporting items first, best level first. 'Does Not Support' rows are evidence
// against, never support; resistance rows are warnings. Patients are addressed by pseudonymous id only.
// pmkg is research software, not clinical decision support.
// @param patient curie(Patient) Pseudonymous patient id (PMKG.PATIENT:...), as `pmkg ingest patients` reports it
// @param k integer[1..1000] = 100 How many evidence rows to return
// @example pmkg query patient_biomarker_therapies -p patient=PMKG.PATIENT:0123456789abcdef0123
// @columns direction, level, significance, therapy_id, therapy_name, drug_ids, drug_names, evidence_id, rating, disease_id, disease_name, disease_fit, origin, citation, profile_id, profile_name, variants, matched_by, path, civic_release
MATCH (p:Patient {id: $patient})-[c:CARRIES]->(v:Variant)<-[:HAS_COMPONENT]-(mp:MolecularProfile)
WHERE mp.required_variants IS NOT NULL
WITH p, mp, collect(DISTINCT v.name) AS variants, collect(DISTINCT c.matched_by) AS matched_by,
     count(DISTINCT v) AS carried
WHERE carried >= mp.required_variants
OPTIONAL MATCH (p)-[dx:HAS_DIAGNOSIS]->(diagnosis:Disease)
WHERE NOT coalesce(dx.excluded, false)
WITH p, mp, variants, matched_by, collect(DISTINCT diagnosis.id) AS diagnoses
MATCH (mp)-[e]->(t)
WHERE type(e) IN ['PREDICTS_SENSITIVITY_TO', 'PREDICTS_RESISTANCE_TO', 'PREDICTS_REDUCED_SENSITIVITY_TO',
                  'PREDICTS_ADVERSE_RESPONSE_TO']
WITH p, mp, variants, matched_by, diagnoses, e, t, type(e) AS relation,
     [(t)-[:HAS_COMPONENT]->(x:Drug) | [x.id, coalesce(x.name, x.id)]] AS components
UNWIND range(0, size(e.evidence_ids) - 1) AS i
WITH p, mp, variants, matched_by, diagnoses, e, t, relation, components, i, e.evidence_disease_ids[i] AS disease_id
OPTIONAL MATCH (ed:Disease {id: disease_id})
WITH p, mp, variants, matched_by, diagnoses, e, t, relation, components, i, disease_id,
     CASE
       WHEN disease_id IN diagnoses THEN 'same'
       WHEN ed IS NULL THEN 'unknown'
       WHEN EXISTS { MATCH (d:Disease)-[:IS_A*1..12]->(ed) WHERE d.id IN diagnoses } THEN 'broader'
       WHEN EXISTS { MATCH (ed)-[:IS_A*1..12]->(d:Disease) WHERE d.id IN diagnoses } THEN 'narrower'
       WHEN size(diagnoses) = 0 THEN 'no diagnosis'
       ELSE 'other'
     END AS disease_fit
WITH e.evidence_directions[i] AS direction, e.evidence_levels[i] AS level,
     CASE relation WHEN 'PREDICTS_SENSITIVITY_TO' THEN 'Sensitivity/Response' WHEN 'PREDICTS_RESISTANCE_TO'
       THEN 'Resistance' WHEN 'PREDICTS_REDUCED_SENSITIVITY_TO' THEN 'Reduced Sensitivity'
       ELSE 'Adverse Response' END AS significance,
     t.id AS therapy_id, coalesce(t.name, t.id) AS therapy_name,
     CASE WHEN size(components) = 0 THEN [t.id] ELSE [x IN components | x[0]] END AS drug_ids,
     CASE WHEN size(components) = 0 THEN [coalesce(t.name, t.id)] ELSE [x IN components | x[1]] END AS drug_names,
     e.evidence_ids[i] AS evidence_id, e.evidence_ratings[i] AS rating, disease_id,
     e.evidence_disease_names[i] AS disease_name, disease_fit, e.evidence_origins[i] AS origin,
     e.evidence_citations[i] AS citation, mp.id AS profile_id, mp.name AS profile_name, variants, matched_by,
     '(' + p.id + ')-[:CARRIES]->(' + head(variants) + ')<-[:HAS_COMPONENT]-(' + mp.name + ')-[:' + relation
       + ']->(' + coalesce(t.name, t.id) + ')' AS path,
     e.source_version AS civic_release
RETURN direction, level, significance, therapy_id, therapy_name, drug_ids, drug_names, evidence_id, rating, disease_id,
       disease_name, disease_fit, origin, citation, profile_id, profile_name, variants, matched_by, path, civic_release
ORDER BY CASE direction WHEN 'Supports' THEN 0 ELSE 1 END, level,
         CASE disease_fit WHEN 'same' THEN 0 WHEN 'narrower' THEN 1 WHEN 'broader' THEN 2 WHEN 'other' THEN 3
           ELSE 4 END,
         rating DESC, evidence_id, therapy_id
LIMIT $k
