// Sources, versions and files that built this graph (provenance): one row per Source node (one per ingested
// source), then one per model version whose predictions are in the graph.
//
// @example pmkg query provenance
// @columns kind, name, version, license, url, ingested_at, nodes, edges, files, sha256
CALL () {
  MATCH (s:Source)
  RETURN 'source' AS kind, s.name AS name, s.source_version AS version, s.license AS license, s.url AS url,
         s.ingested_at AS ingested_at, s.nodes AS nodes, s.edges AS edges, s.files AS files, s.sha256 AS sha256
  UNION ALL
  MATCH (:Drug)-[p:PREDICTED_TREATS]->(:Disease)
  WITH p.model_version AS version, count(*) AS edges
  RETURN 'model' AS kind, 'PREDICTED_TREATS' AS name, version, null AS license, null AS url, null AS ingested_at,
         null AS nodes, edges, [] AS files, [] AS sha256
}
RETURN kind, name, version, license, url, ingested_at, nodes, edges, files, sha256
ORDER BY kind DESC, name, version
