"""ArcadeDB's own write paths on synthetic records shaped like the bundle's, no pmkg code in the timed part.

    python bench/bench_engine_paths.py [--vertices 200000] [--edges 600000]

What the engine itself does on this machine bounds what pmkg's bulk path can reach (``docs/scale.md``). Each variant
writes the same vertices (a unique ``id`` index, provenance and a list, as ``Gene`` nodes) and the same edges (random
endpoints; ``source``, ``source_version``, ``license``, ``evidence``, ``pmids``, as Gene Ontology annotations
carry) into a fresh embedded store in this process. The rows' JSON is built before the clock starts, so the
GraphBatch rows time the engine (JSON parsing in the JVM included):

- **GraphBatch, 200k a batch**: one batch (and one flush) per 200k edges, bulk-before's shape;
- **GraphBatch, one batch**: every edge in one batch, handed over 25k at a time, the pipelined path's shape;
- the same with ``parallel_flush`` and with the WAL off;
- **native importer**: ``IMPORT DATABASE`` of a vertices CSV and an edges CSV (ArcadeDB's GraphImporter); its
  edge time is the whole import less a vertices-only import of the same file into another store.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

LICENSE = "CC BY 4.0 (Gene Ontology ontology and annotations); NCBI gene2go: no restrictions"


def main() -> None:
    from pmkg.kg import embedded
    from pmkg.kg.bulk import _bridge, _rows_json, create_vertices
    from pmkg.kg.store import GraphStore

    from pmkg.cli.output import render

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vertices", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=600_000)
    args = ap.parse_args()
    rng = random.Random(0)
    vertices = [
        {"id": f"NCBIGene:{i}", "name": f"gene {i}", "source": "genes", "source_version": "2022", "license": "PD",
         "sources": ["genes"], "xrefs": [f"HGNC:{i}"]}
        for i in range(args.vertices)
    ]  # fmt: skip
    pairs = [(rng.randrange(args.vertices), rng.randrange(args.vertices)) for _ in range(args.edges)]
    edge_props = {"source": "go", "source_version": "2022-07-01", "license": LICENSE, "evidence": ["IEA"], "pmids": []}
    results = []

    def graph_batch_run(name: str, per_batch: int, **options) -> None:
        with tempfile.TemporaryDirectory() as tmp, GraphStore.connect(f"embedded://{tmp}/g") as store:
            store.ensure_schema()
            database = embedded.owned_database(store.embedded_path)
            bridge = _bridge("com.arcadedb.python.EdgeBatcher")  # once the JVM runs
            t0 = time.perf_counter()
            rids: list[str] = []
            for start in range(0, len(vertices), 50_000):
                with database.graph_batch(use_wal=True) as batch:
                    rids += create_vertices(batch, "Gene", vertices[start : start + 50_000])
            vertex_s = time.perf_counter() - t0
            database.schema.get_or_create_edge_type("ANNOTATED_WITH")
            texts = [
                [
                    _rows_json([{**edge_props, "_src": rids[a], "_dst": rids[b]} for a, b in pairs[k : k + 25_000]])
                    for k in range(start, min(start + per_batch, len(pairs)), 25_000)
                ]
                for start in range(0, len(pairs), per_batch)
            ]
            t0 = time.perf_counter()
            for chunk_texts in texts:
                with database.graph_batch(batch_size=per_batch, **{"use_wal": True, **options}) as batch:
                    for text in chunk_texts:
                        bridge.newEdgesJson(batch._java_graph_batch, "ANNOTATED_WITH", text)
            edge_s = time.perf_counter() - t0
            results.append(_row(name, len(vertices), vertex_s, len(pairs), edge_s))

    def importer_run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            with open(folder / "v.csv", "w") as out:
                out.write("id,name,source\n")
                out.writelines(f"{v['id']},{v['name']},genes\n" for v in vertices)
            with open(folder / "e.csv", "w") as out:
                out.write("from,to,source,source_version,license,evidence\n")
                out.writelines(f'NCBIGene:{a},NCBIGene:{b},go,2022-07-01,"{LICENSE}",IEA\n' for a, b in pairs)
            seconds = []
            for with_edges in (False, True):
                edges = f', edges="file://{folder}/e.csv", edgesFileType=csv, edgeType=ANNOTATED_WITH, ' \
                    'edgeFromField="from", edgeToField="to"' if with_edges else ""  # fmt: skip
                with GraphStore.connect(f"embedded://{folder}/g{int(with_edges)}") as store:
                    database = embedded.owned_database(store.embedded_path)
                    t0 = time.perf_counter()
                    database.command(
                        "sql",
                        f'IMPORT DATABASE WITH vertices="file://{folder}/v.csv", verticesFileType=csv, '
                        f"vertexType=Gene, typeIdProperty=id, typeIdType=String{edges}",
                    )
                    seconds.append(time.perf_counter() - t0)
                    if with_edges:
                        stored = store.run("MATCH ()-[e:ANNOTATED_WITH]->() RETURN count(e) AS n")[0]["n"]
                        assert stored == len(pairs), f"the importer stored {stored:,} of {len(pairs):,} edges"
            results.append(_row("native importer (IMPORT DATABASE)", len(vertices), seconds[0], len(pairs),
                                seconds[1] - seconds[0]))  # fmt: skip

    graph_batch_run("GraphBatch, 200k a batch", 200_000)
    graph_batch_run("GraphBatch, one batch", len(pairs))
    graph_batch_run("GraphBatch, one batch, parallel_flush", len(pairs), parallel_flush=True)
    graph_batch_run("GraphBatch, one batch, WAL off", len(pairs), use_wal=False)
    importer_run()
    print(render(results, "table"))


def _row(name: str, vertices: int, vertex_s: float, edges: int, edge_s: float) -> dict:
    return {
        "engine path": name,
        "vertices/s": f"{vertices / vertex_s:,.0f}",
        "edges": edges,
        "edge s": round(edge_s, 1),
        "edges/s": f"{edges / edge_s:,.0f}",
    }


if __name__ == "__main__":
    main()
