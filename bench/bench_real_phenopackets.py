"""The patient model's differential diagnosis on the real phenopackets, against Resnik BMA (Phenomizer), one run.

    python bench/bench_real_phenopackets.py --graph embedded://pmkg-data/graph \
        --model pmkg-data/patient-models/<version> --data-dir ../shared/data [--export export.npz] [--json out.json]

``--export`` caches the graph export as ``.npz`` (read if it exists, else written after exporting). Prints the
counts, the rankers over every mappable patient, the head-to-head on the model's candidate diseases, paired
differences, per-group rows and where it fails. Protocol: :mod:`pmkg.workflows.real_patients`.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path


def _cell(value) -> str:
    if isinstance(value, tuple):
        mean, low, high = value
        return f"{mean:.3f} [{low:.3f}, {high:.3f}]"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _table(rows: list[dict], keys: list[str], title: str) -> str:
    lines = [f"\n{title}", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_cell(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", default=None, help="graph URI (not needed when --export exists)")
    parser.add_argument("--export", type=Path, default=None, help=".npz cache of the graph export")
    parser.add_argument("--model", type=Path, required=True, help="drug-patient model directory")
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--phenopackets", type=Path, default=None, help="default: DATA_DIR/phenopackets")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95%% intervals")
    parser.add_argument("--json", type=Path, default=None, help="write every number here")
    parser.add_argument("--synthetic", action="store_true",
                        help="also rank the model's own synthetic test patients (needs --graph: the cohort)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    from pmkg.gnn.patient_artifacts import load_patient_model
    from pmkg.ingest.xrefs import Resolver
    from pmkg.kg.export import export_graph, load_export, save_export

    from pmkg.workflows.real_patients import evaluate_real_patients, read_real_patients

    t0 = time.perf_counter()
    if args.export is not None and args.export.is_file():
        export = load_export(args.export)
    else:
        if args.graph is None:
            parser.error("--graph is needed when --export does not exist yet")
        from pmkg.kg.store import GraphStore

        with GraphStore.connect(args.graph) as store:
            export = export_graph(store, progress=True)
        if args.export is not None:
            save_export(export, args.export)
    t_export = time.perf_counter() - t0
    loaded = load_patient_model(args.model)
    resolver = Resolver.from_data_dir(args.data_dir)
    t1 = time.perf_counter()
    patients = read_real_patients(args.phenopackets or args.data_dir / "phenopackets", resolver, progress=True)
    t_read = time.perf_counter() - t1
    result = evaluate_real_patients(export, loaded, patients, samples=args.bootstrap)

    print(f"model {loaded.model_version}; export {t_export:.1f} s, reading {t_read:.1f} s; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()))  # fmt: skip
    print(_table([{"what": k, "count": v} for k, v in result.counts.items()], ["what", "count"], "counts"))
    keys = ["ranker", "universe", "n", "rankable", "top1", "top10", "mrr"]
    print(_table(result.overall, keys, "every mappable patient (a disease outside a ranker's universe is a miss)"))
    print(_table(result.annotated_only, keys, "patients whose disease has HPO annotations in the graph"))
    print(_table(result.head_to_head, keys, "head to head: patients whose disease is a model candidate, all over C"))
    diff_rows = [{"comparison": name, **d} for name, d in result.differences.items()]
    print(_table(diff_rows, ["comparison", "top1", "top10", "mrr"], "paired differences (95% bootstrap)"))
    group_rows = [
        {"group": g["group"], "patients": g["patients"],
         **{f"{short} top10": g[ranker]["top10"] for short, ranker in (
             ("model", "model (phenotypes)"), ("Resnik", "Resnik BMA (phenotypes)"),
             ("Resnik+gene", "Resnik BMA (phenotypes), gene's diseases first"))},
         "Resnik top1": g["Resnik BMA (phenotypes)"]["top1"], "Resnik MRR": g["Resnik BMA (phenotypes)"]["mrr"]}
        for g in result.groups
    ]  # fmt: skip
    print(_table(group_rows, list(group_rows[0]) if group_rows else ["group"], "per Disease Ontology group"))
    fail_rows = [{"ranker": r, "reason": reason, "patients": n} for r, d in result.failures.items()
                 for reason, n in d.items()]  # fmt: skip
    print(_table(fail_rows, ["ranker", "reason", "patients"], "top-10 misses by reason"))
    print(_table(result.worst_diseases, list(result.worst_diseases[0]) if result.worst_diseases else ["disease"],
                 "diseases where Resnik BMA does worst (top-10 rate, then size)"))  # fmt: skip
    print(_table(result.largest_diseases, list(result.largest_diseases[0]) if result.largest_diseases else ["disease"],
                 "Resnik BMA on the diseases with the most patients"))  # fmt: skip
    synthetic = None
    if args.synthetic:
        if args.graph is None:
            parser.error("--synthetic reads the synthetic cohort from --graph")
        from pmkg.kg.patients import export_cohort
        from pmkg.kg.store import GraphStore

        from pmkg.workflows.real_patients import synthetic_differential

        with GraphStore.connect(args.graph) as store:
            cohort = export_cohort(store, synthetic=True)
        seed = int(loaded.config.get("train_config", {}).get("seed", 0))
        synthetic, n = synthetic_differential(cohort, loaded, export, seed, args.bootstrap)
        print(_table(synthetic, keys, f"contrast: the model's own {n} synthetic test patients (circular setting)"))
    if args.json:
        fields = ("counts", "overall", "annotated_only", "head_to_head", "differences", "groups", "failures",
                  "worst_diseases", "largest_diseases", "seconds")  # fmt: skip
        payload = {"model_version": loaded.model_version, "unreadable": patients.unreadable,
                   **{k: getattr(result, k) for k in fields}, "synthetic": synthetic}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
