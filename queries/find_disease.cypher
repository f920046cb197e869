// Find a disease by name: diseases whose name or synonyms contain the text (case-insensitive), exact and
// shorter names first, with the number of known indications and of model candidates each has.
//
// @param name string           Part of a disease name, e.g. breast cancer
// @param k integer[1..1000] = 10     How many diseases to return
// @example pmkg query find_disease --param "name=breast cancer"
// @columns disease_id, disease_name, matched, indications, candidates
MATCH (d:Disease)
WHERE toLower(d.name) CONTAINS toLower($name)
   OR any(s IN coalesce(d.synonyms, []) WHERE toLower(s) CONTAINS toLower($name))
WITH d, CASE WHEN toLower(d.name) CONTAINS toLower($name) THEN d.name
             ELSE head([s IN d.synonyms WHERE toLower(s) CONTAINS toLower($name)]) END AS matched
WITH d, matched, toLower(matched) = toLower($name) AS exact
ORDER BY exact DESC, size(matched), d.id
LIMIT $k
RETURN d.id AS disease_id, d.name AS disease_name, matched,
       COUNT { (d)<-[:TREATS]-(:Drug) } AS indications, COUNT { (d)<-[:PREDICTED_TREATS]-(:Drug) } AS candidates
