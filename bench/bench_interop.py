"""Interoperability numbers: TRAPI one-hop latency on the demo graph, KGX export rows/s on a built graph.

    pmkg demo -g embedded://pmkg-data/demo-graph --workdir pmkg-data/demo        # once: graph + model
    python bench/bench_interop.py --demo-graph embedded://pmkg-data/demo-graph --models pmkg-data/demo/models \\
        [--kgx-graph embedded://pmkg-data/graph] [--requests 50] [--out pmkg-data/bench-interop]

Protocol (printed with the numbers):

* **TRAPI.** The service app (``pmkg.service.app.create_app``) with the demo model loaded, called in-process
  through Starlette's test client (no network, one client, warm: 3 requests first, not timed). Timed: ``POST
  /trapi/query`` one-hop ``Drug -biolink:treats-> Disease`` with the disease pinned, ``knowledge_type: inferred``
  (50 model predictions, the stored indications, support graphs for the top 5 from the evidence-path query), and
  the same query as ``lookup`` as the baseline; each repeated ``--requests`` times per disease over the demo's four
  diseases. Wall time per request, p50/p95/max.
* **KGX.** ``pmkg.kg.kgx.export_kgx`` on ``--kgx-graph`` (the full bundle: ``pmkg ingest --data-dir
  ../shared/data``), TSV and JSON Lines, with the bundle; rows (nodes + edges) per second of wall time, the TSV
  key scan included. Beside it the RDF export of the same graph (``--rdf-baseline``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEMO_DISEASES = ("DOID:1612", "DOID:10652", "DOID:9352", "DOID:14330")
KEY = "bench-key-0123456789abcdef"


def _quantiles(seconds: list[float]) -> dict[str, str]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {
        "requests": str(len(ordered)),
        "p50 ms": f"{1000 * statistics.median(ordered):.1f}",
        "p95 ms": f"{1000 * p95:.1f}",
        "max ms": f"{1000 * ordered[-1]:.1f}",
    }


def _one_hop(disease: str, knowledge_type: str) -> dict:
    return {
        "message": {
            "query_graph": {
                "nodes": {"n0": {"categories": ["biolink:Drug"]}, "n1": {"ids": [disease]}},
                "edges": {"e0": {"subject": "n0", "object": "n1", "predicates": ["biolink:treats"],
                                 "knowledge_type": knowledge_type}},
            }
        }
    }  # fmt: skip


def bench_trapi(graph: str, models: Path, requests: int) -> list[dict[str, str]]:
    import torch
    from fastapi.testclient import TestClient
    from pmkg.kg.store import GraphStore
    from pmkg.service.app import create_app
    from pmkg.service.graph import GraphGateway, fail_fast_driver_options
    from pmkg.service.model import load_serving_model
    from pmkg.service.settings import ServiceSettings

    from pmkg.workflows.repurposing import latest_model

    torch.set_num_threads(1)

    def connect() -> GraphStore:
        return GraphStore.connect(graph, driver_options=fail_fast_driver_options(30.0))

    store = connect()
    model = load_serving_model(latest_model(models), store)
    settings = ServiceSettings(api_keys=(KEY,), graph_timeout_s=30.0)
    app = create_app(settings, model, GraphGateway(connect, 30.0, 4, store=store))
    rows = []
    with TestClient(app, headers={"X-API-Key": KEY}) as api:
        for knowledge_type in ("inferred", "lookup"):
            times, results, supported = [], [], 0
            for disease in DEMO_DISEASES:
                body = _one_hop(disease, knowledge_type)
                for _ in range(3):
                    api.post("/trapi/query", json=body)
                for _ in range(requests):
                    t0 = time.perf_counter()
                    response = api.post("/trapi/query", json=body)
                    times.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.text[:500]
                document = response.json()
                results.append(len(document["message"]["results"]))
                supported += len(document["message"].get("auxiliary_graphs") or {})
            rows.append({
                "query": f"Drug -treats-> Disease (pinned), {knowledge_type}",
                **_quantiles(times),
                "results per query": "/".join(str(r) for r in results),
                "support graphs": str(supported),
            })  # fmt: skip
    store.close()
    return rows


def bench_kgx(graph: str, out: Path, rdf_baseline: bool) -> list[dict[str, str]]:
    from pmkg.kg.kgx import export_kgx
    from pmkg.kg.rdf import export_rdf
    from pmkg.kg.store import GraphStore

    rows = []
    with GraphStore.connect(graph) as store:
        for fmt in ("tsv", "jsonl"):
            report = export_kgx(store, out / f"kgx-{fmt}", fmt, progress=False)
            size = sum(f["bytes"] for f in report.files.values())
            rows.append({
                "export": f"KGX {fmt} (+ bundle)", "nodes": f"{report.node_count:,}", "edges": f"{report.edge_count:,}",
                "seconds": f"{report.seconds:.1f}", "rows/s": f"{report.rows_per_second:,.0f}",
                "MB": f"{size / 1e6:.1f}", "bundle MB": f"{report.bundle.stat().st_size / 1e6:.1f}",
            })  # fmt: skip
        if rdf_baseline:
            report = export_rdf(store, out / "graph.ttl.gz", progress=False)
            rows.append({
                "export": "baseline: RDF Turtle (gzip)", "nodes": f"{report.node_count:,}",
                "edges": f"{report.edge_count:,}", "seconds": f"{report.seconds:.1f}",
                "rows/s": f"{(report.node_count + report.edge_count) / report.seconds:,.0f}",
                "MB": f"{report.bytes / 1e6:.1f}", "bundle MB": "",
            })  # fmt: skip
    return rows


def main() -> None:
    from pmkg.cli.output import render

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo-graph", default="embedded://pmkg-data/demo-graph")
    ap.add_argument("--models", type=Path, default=Path("pmkg-data/demo/models"))
    ap.add_argument("--kgx-graph", default=None, help="graph to export (the full bundle); skipped when not given")
    ap.add_argument("--requests", type=int, default=50, help="timed requests per disease and knowledge type")
    ap.add_argument("--rdf-baseline", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="where the exports go (default: a temporary folder)")
    args = ap.parse_args()

    results: dict[str, list[dict[str, str]]] = {}
    trapi = bench_trapi(args.demo_graph, args.models, args.requests)
    results["trapi"] = trapi
    print(render(trapi, "table", title="TRAPI POST /trapi/query, in-process, one client, warm"))
    if args.kgx_graph:
        with tempfile.TemporaryDirectory() as tmp:
            kgx = bench_kgx(args.kgx_graph, args.out or Path(tmp), args.rdf_baseline)
        results["kgx"] = kgx
        print(render(kgx, "table", title=f"exports of {args.kgx_graph}"))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
