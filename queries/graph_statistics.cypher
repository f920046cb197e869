// Graph statistics: the number of nodes per label and of relationships per type (with the sources asserting
// them; PREDICTED_* relationships carry a model version instead).
//
// @example pmkg query graph_statistics --format csv
// @columns kind, name, count, sources
CALL () {
  MATCH (n)
  WITH labels(n)[0] AS name, n.source AS source, count(*) AS count
  RETURN 'node' AS kind, name, sum(count) AS count, collect(source) AS sources
  UNION ALL
  MATCH ()-[r]->()
  WITH type(r) AS name, coalesce(r.source, r.model_version) AS source, count(*) AS count
  RETURN 'relationship' AS kind, name, sum(count) AS count, collect(source) AS sources
}
RETURN kind, name, count, sources
ORDER BY kind, count DESC, name
