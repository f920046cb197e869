"""Evidence paths on a built graph: the sanity rate (top paths vs random paths) and the explain latency.

    python bench/bench_explain.py -g embedded://pmkg-data/graph [--pairs 200] [--latency-pairs 50]

Protocol (printed with the numbers):

* **Sanity.** A seeded sample of known indications (Drug -TREATS-> Disease). For each pair, every path of the
  metapath catalogue is ranked by contribution (``evidence_paths`` with n = all). A path *hits* when an inner node
  is a Gene the drug TARGETS or the disease is ASSOCIATED_WITH. Rate of hits among the top-k paths, against the
  exact expected rate of k paths drawn uniformly at random from the same pair's paths (same pairs, same k).
* **Latency.** Wall time of ``kg.explain.explain_drug_disease`` per pair (n=10; two statements: the
  ``evidence_paths`` query, which also gives the metapath breakdown, and the pair's context), warm server, one
  client; beside it the ``evidence_paths`` query alone, and the old variable-length ``drug_disease_evidence``
  query (1-3 hops, unranked) on the first pairs, as the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _quantiles(seconds: list[float]) -> dict[str, str]:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {
        "pairs": str(len(ordered)),
        "median s": f"{statistics.median(ordered):.2f}",
        "p90 s": f"{p90:.2f}",
        "max s": f"{ordered[-1]:.2f}",
    }


def main() -> None:
    from pmkg.kg.explain import explain_drug_disease
    from pmkg.kg.explain_check import SanityResult, check_pair, sample_indications
    from pmkg.kg.queries import run_query
    from pmkg.kg.store import GraphStore

    from pmkg.cli.output import render

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graph", "-g", default="embedded://pmkg-data/graph")
    ap.add_argument("--pairs", type=int, default=200, help="known indications sampled for the sanity rate")
    ap.add_argument("--latency-pairs", type=int, default=50)
    ap.add_argument("--baseline-pairs", type=int, default=10, help="pairs timed with the variable-length query")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    with GraphStore.connect(args.graph) as store:
        pairs = sample_indications(store, args.pairs, args.seed)
        t0 = time.perf_counter()
        checks = [check_pair(store, drug, disease) for drug, disease in pairs]
        sanity_seconds = time.perf_counter() - t0
        result = SanityResult(1, checks)
        rows = [
            {
                "k": k,
                "pairs with paths": f"{len(result.with_paths)} of {len(checks)}",
                "top-k paths": result.at(k).top_paths,
                "hit rate, top-k by contribution": f"{result.at(k).top_rate:.3f}",
                "hit rate, k random paths (expected)": f"{result.at(k).random_rate:.3f}",
                "ratio": f"{result.at(k).top_rate / max(result.at(k).random_rate, 1e-9):.1f}x",
                "pairs with a hit in top-k": f"{result.at(k).pairs_with_a_top_hit:.3f}",
            }
            for k in (1, 3, 5, 10)
        ]
        pool = sum(c.paths for c in checks)
        title = (
            f"sanity: {len(checks)} known indications (seed {args.seed}), {pool:,} paths in all, "
            f"median {statistics.median(c.paths for c in checks):.0f} per pair; {sanity_seconds:.0f} s"
        )
        print(render(rows, "table", title=title))

        timed = pairs[: args.latency_pairs]
        explain_drug_disease(store, *timed[0])  # warm the server's caches and JIT once
        latency = []
        calls = {
            "explain_drug_disease (n=10): query + pair context": lambda d, x: explain_drug_disease(store, d, x),
            "evidence_paths query alone (n=10)": lambda d, x: run_query(
                store, "evidence_paths", {"drug": d, "disease": x}
            ),
        }
        for label, call in calls.items():
            seconds = []
            for drug, disease in timed:
                t0 = time.perf_counter()
                call(drug, disease)
                seconds.append(time.perf_counter() - t0)
            latency.append({"what": label, **_quantiles(seconds)})
        seconds = []
        for drug, disease in timed[: args.baseline_pairs]:
            t0 = time.perf_counter()
            run_query(store, "drug_disease_evidence", {"drug": drug, "disease": disease, "n": 10})
            seconds.append(time.perf_counter() - t0)
        latency.append({"what": "baseline: drug_disease_evidence (1-3 hops, unranked, n=10)", **_quantiles(seconds)})
        print(render(latency, "table", title=f"latency on {args.graph} (same pairs, warm server)"))


if __name__ == "__main__":
    main()
