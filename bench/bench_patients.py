"""Drug-patient benchmark: train and evaluate the patient model per seed, baselines in the same run, and time
scoring one new patient after the model is loaded.

Protocol (README "Patients and pharmacogenomics"): a graph holding the knowledge graph and one synthetic cohort
(``pmkg cohort synth`` + ``pmkg ingest patients``); per seed, a patient-holdout split 80/10/10, test patients
scored inductively without and with their diagnosis edge; Recall@10 and MRR over all drugs; CPIC agreement@10.

    python bench/bench_patients.py --graph embedded://pmkg-data/bench-graph --cohort-dir pmkg-data/cohort10k \\
        --data-dir ../shared/data --seeds 3

Prints Markdown tables (mean ± sd over seeds, and per seed), the star-allele caller's concordance with the
cohort's sampled diplotypes, and one-patient scoring latency (median and p95 over ``--score-patients`` cohort
patients, each given as a phenopacket dict + single-sample VCF text; scoring never stores anything).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEYS = ("recall@10", "mrr", "cpic_agreement@10", "cpic_agreement_indicated@10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", default="embedded://pmkg-data/bench-graph")
    parser.add_argument("--cohort-dir", type=Path, required=True, help="the `pmkg cohort synth --out` folder")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with cpic/ (and the id mappings)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--score-patients", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("pmkg-data/bench-patients"))
    args = parser.parse_args()

    from pmkg.gnn.patient_artifacts import save_patient_model
    from pmkg.gnn.patient_train import PatientTrainConfig, train_patient_model
    from pmkg.kg.export import export_graph
    from pmkg.kg.patients import export_cohort
    from pmkg.kg.store import GraphStore

    t0 = time.perf_counter()
    with GraphStore.connect(args.graph) as store:
        export = export_graph(store, progress=False)
        cohort = export_cohort(store, synthetic=True)
    print(f"export: {len(cohort.patients):,} synthetic patients, {time.perf_counter() - t0:.1f} s")
    print(concordance(args.cohort_dir, args.data_dir))

    per_seed, model_dir, last = [], None, None
    for seed in range(args.seeds):
        config = PatientTrainConfig(epochs=args.epochs, seed=seed)
        result = train_patient_model(export, cohort, config, progress=False)
        per_seed.append(result.metrics)
        print(
            f"seed {seed}: {len(result.history)} epochs (best {result.best_epoch}), "
            f"{result.seconds_per_epoch:.2f} s/epoch, {result.seconds_total:.0f} s"
        )
        print(table({name: {k: (m[k], 0.0) for k in KEYS} for name, m in result.metrics.items()}, per_seed=True))
        if seed == 0:
            model_dir = save_patient_model(result, args.out / "models", export.node_names)
            last = result
    summary = {name: {k: _mean_sd([s[name][k] for s in per_seed]) for k in KEYS} for name in per_seed[0]}
    print(f"\n## mean ± sd over {args.seeds} seeds (test patients {len(last.split['test'])} per seed)\n")
    print(table(summary))
    pairs = [s["model (with diagnosis)"]["cpic_pairs_indicated"] for s in per_seed]
    print(f"\nindicated-and-contraindicated test pairs per seed: {pairs}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "per-seed.json").write_text(json.dumps(per_seed, indent=2))
    print(latency(model_dir, args.data_dir, args.cohort_dir, last, cohort, args.score_patients))


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def table(rows: dict[str, dict[str, tuple[float, float]]], per_seed: bool = False) -> str:
    lines = ["| model | " + " | ".join(KEYS) + " |", "|---|" + "---|" * len(KEYS)]
    for name, metrics in rows.items():
        cells = [f"{m:.3f}" if per_seed else f"{m:.3f} ± {s:.3f}" for m, s in (metrics[k] for k in KEYS)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def concordance(cohort_dir: Path, data_dir: Path) -> str:
    """Per gene: how often the called CPIC lookup key equals the sampled diplotype's (unphased VCF)."""
    from pmkg.ingest import pharmcat
    from pmkg.ingest.star_alleles import call_gene, genotypes_at, load_definitions
    from pmkg.ingest.vcf import read_vcf

    lines = (cohort_dir / "truth.tsv").read_text().splitlines()
    genes = lines[0].split("\t")[2:]
    truth = [line.split("\t") for line in lines[1:]]
    vcf = read_vcf(cohort_dir / "cohort.vcf.gz")
    out = ["| gene | exact diplotype | same CPIC phenotype | ambiguous calls |", "|---|---|---|---|"]
    for g, gene in enumerate(genes):
        definitions = load_definitions(data_dir, gene)
        table_ = pharmcat.load_phenotype_map(data_dir, gene, "cpic")
        exact = same = ambiguous = 0
        for row in truth:
            call = call_gene(definitions, genotypes_at(definitions, vcf.genotypes_of(row[0])))
            exact += call.diplotype == row[2 + g]
            ambiguous += call.ambiguous
            keys = {(table_.lookup(d.name) or None) and table_.lookup(d.name).lookup_key for d in call.top}
            expected = table_.lookup(row[2 + g])
            same += expected is not None and keys == {expected.lookup_key}
        n = len(truth)
        out.append(f"| {gene} | {exact / n:.4f} | {same / n:.4f} | {ambiguous / n:.4f} |")
    return "\n## star-allele calls vs the sampled diplotypes\n\n" + "\n".join(out)


def latency(model_dir: Path, data_dir: Path, cohort_dir: Path, result, cohort, n: int) -> str:
    """Load once, then score held-out patients one by one from phenopacket dict + single-sample VCF text."""
    from pmkg.workflows.patient_scoring import PatientScorer, score_patient

    t0 = time.perf_counter()
    scorer = PatientScorer.load(model_dir, data_dir)
    load_seconds = time.perf_counter() - t0
    with gzip.open(cohort_dir / "cohort.vcf.gz", "rt") as fh:
        vcf_lines = fh.read().splitlines()
    header = [line for line in vcf_lines if line.startswith("#")]
    body = [line.split("\t") for line in vcf_lines if not line.startswith("#")]
    samples = header[-1].split("\t")[9:]
    column = {s: i for i, s in enumerate(samples)}
    packets = sorted((cohort_dir / "phenopackets").glob("*.json"))[:n]
    timings_vcf, timings_packet = [], []
    for path in packets:
        document = json.loads(path.read_text())
        i = column[document["id"]]
        text = "\n".join(
            [*header[:-1], "\t".join(header[-1].split("\t")[:9] + [samples[i]])]
            + ["\t".join(row[:9] + [row[9 + i]]) for row in body]
        )
        t = time.perf_counter()
        score_patient(document, text, scorer=scorer, top_k=10)
        timings_vcf.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        score_patient(document, None, scorer=scorer, top_k=10)
        timings_packet.append((time.perf_counter() - t) * 1000)

    def stats(values: list[float]) -> str:
        values = sorted(values)
        return f"median {statistics.median(values):.1f} ms, p95 {values[int(0.95 * (len(values) - 1))]:.1f} ms"

    return (
        f"\n## scoring one new patient (after a {load_seconds:.1f} s load; {len(packets)} patients)\n\n"
        f"| input | latency |\n|---|---|\n| phenopacket + VCF text ({len(body)} records) | {stats(timings_vcf)} |\n"
        f"| phenopacket only | {stats(timings_packet)} |"
    )


if __name__ == "__main__":
    main()
