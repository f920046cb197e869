"""Drug-patient benchmark whose labels the model cannot read off its inputs, baselines in the same run.

Rows (every one on the same graph export and the same synthetic cohort, built in memory; nothing is stored):

* **zero-shot diseases** (:mod:`pmkg.gnn.patient_zero_shot`): 20% of the cohort's diseases (and every patient
  recorded with one) are test diseases, 10% validation diseases; their TREATS and PALLIATES edges are removed from
  the graph the model sees (message passing, the TREATS auxiliary loss, the baselines' look-ups) and are the labels.
  Recall@10 and MRR over all drugs for the test patients, without and with the diagnosis edge, against popularity,
  phenotype look-up, and the drug-disease (repurposing) model trained on the same reduced graph with the same
  diseases held out, ranking drugs for the patient's recorded diagnosis (it is given the diagnosis: a strong,
  diagnosis-aware baseline).
* **held-out pharmacogenomics**: half of the drugs that have a CPIC/DPWG avoid or use-alternative recommendation in
  the cohort (seeded) lose every recommendation from the model's inputs (PGx classes and offsets, training labels);
  CPIC agreement@10 on those drugs' contraindicated test pairs (the fraction kept out of the top 10), for the model
  that never saw them, the same model with a PharmGKB level 1A/1B look-up guard, the model that saw every
  recommendation (reference), and the PGx-blind diagnosis look-up with and without the guard. Recall@10 shows what
  the guard costs.
* **diagnosis given** (today's protocol, patient-holdout split): the diagnosis edge and the TREATS edge that defines
  the label are both inputs, so this row measures a look-up, and is labelled so.

95% intervals: percentile bootstrap over test patients (1,000 draws).

    python bench/bench_patients_noncircular.py --graph embedded:///path/to/full-graph --data-dir ../shared/data \\
        --patients 3000 --epochs 100
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHARMGKB_STRONG = (
    "MATCH (x)-[r:AFFECTS_RESPONSE_TO]->(d:Drug) WHERE r.source = 'pharmgkb' "
    "AND r.level_of_evidence IN ['1A', '1B'] OPTIONAL MATCH (x)-[:IN_GENE]->(g:Gene) "
    "WITH coalesce(g.id, x.id) AS gene, d.id AS drug WHERE gene STARTS WITH 'NCBIGene:' "
    "RETURN collect(gene) AS gene, collect(drug) AS drug"
)
NO_CALL = {"no call", "Indeterminate", "n/a", "No Result"}


def kept_out(scores: np.ndarray, pairs: np.ndarray, k: int = 10) -> np.ndarray:
    """1 per (row, drug) pair that is outside the row's top k, else 0."""
    if not pairs.size:
        return np.zeros(0)
    kth = -np.sort(-scores, axis=1)[:, k - 1]
    return (scores[pairs[0], pairs[1]] < kth[pairs[0]]).astype(float)


def ci(values: np.ndarray) -> str:
    from pmkg.gnn.differential_metrics import bootstrap_mean

    if values.size == 0:
        return "n/a"
    mean, low, high = bootstrap_mean(values)
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def build_cohort(store, data_dir: Path, n: int, seed: int, root: Path):
    from pmkg.ingest.patients import Pseudonymiser, build_patients
    from pmkg.ingest.star_alleles import load_definitions
    from pmkg.ingest.synthetic import SYNTHETIC_GENES, CohortGenerator, SynthConfig, write_cohort
    from pmkg.ingest.xrefs import Resolver
    from pmkg.kg.patients import cohort_from_records

    from pmkg.workflows.cohort import read_cohort_source

    definitions = {g: load_definitions(data_dir, g) for g in SYNTHETIC_GENES}
    generator = CohortGenerator(read_cohort_source(store), definitions, SynthConfig(n=n, seed=seed))
    files = write_cohort(generator, root / "cohort", progress=False)
    ingest = build_patients(
        [files.phenopackets, files.vcf], Resolver.from_data_dir(data_dir), Pseudonymiser(b"bench" * 8), data_dir
    )
    return cohort_from_records(ingest.result.nodes, ingest.result.edges, True)


def zero_shot_rows(export, cohort, config, seed: int, epochs: int) -> tuple[list[tuple[str, str, str]], dict]:
    from pmkg.gnn.patient_data import DIAGNOSIS, rows_of
    from pmkg.gnn.patient_metrics import per_row_ranking
    from pmkg.gnn.patient_train import score_inputs, train_patient_model
    from pmkg.gnn.patient_zero_shot import diagnosis_columns, drug_disease_zero_shot_scores, zero_shot_split
    from pmkg.gnn.predict import score_all_pairs
    from pmkg.gnn.train import TrainConfig, train

    zs = zero_shot_split(cohort, export, seed=seed)
    t0 = time.perf_counter()
    result = train_patient_model(zs.export, cohort, config, progress=False, split=zs.split, label_export=export)
    seconds = time.perf_counter() - t0
    test = zs.split["test"]
    inputs = result.inputs.subset(test)
    positives = rows_of(result.labels.positives, test)
    from pmkg.gnn.patient_baselines import phenotype_lookup_scores, popularity, treats_matrix

    pop = popularity(rows_of(result.labels.positives, zs.split["train"]), export.num_nodes("Drug"))
    no_dx = inputs.without(DIAGNOSIS)
    terms = {"Phenotype": no_dx.relations["phenotype"], "Symptom": no_dx.relations["symptom"]}
    n = inputs.num_patients
    treats_seen = treats_matrix(zs.export)
    # The repurposing model's own disease-set split takes the test diseases' indications out of its graph.
    repurposing = train(
        export, TrainConfig(split="disease_set", epochs=epochs, seed=seed), progress=False,
        test_dst=zs.diseases["test"],
    )  # fmt: skip
    all_pairs = score_all_pairs(repurposing)
    scored = {
        "patient model, phenotypes only (no diagnosis)": score_inputs(result.model, result.embeddings, no_dx),
        "patient model, with the diagnosis edge": score_inputs(result.model, result.embeddings, inputs),
        "popularity": np.broadcast_to(pop, (n, pop.size)).copy(),
        "phenotype look-up (no diagnosis)": phenotype_lookup_scores(terms, n, zs.export, treats_seen, pop),
        "drug-disease model, zero-shot, given the diagnosis": drug_disease_zero_shot_scores(
            all_pairs, diagnosis_columns(cohort, export, test)
        ),
    }
    rows = []
    for name, scores in scored.items():
        recall, rr = per_row_ranking(scores, positives)
        rows.append((name, ci(recall), ci(rr)))
    info = {
        "test diseases": int(zs.diseases["test"].size), "validation diseases": int(zs.diseases["val"].size),
        "test patients": int(test.size), "indication edges removed": zs.removed_edges,
        "patient model seconds": round(seconds), "best epoch": result.best_epoch,
    }  # fmt: skip
    return rows, info


def pgx_rows(store, export, cohort, config, data_dir: Path, seed: int) -> tuple[list[tuple[str, ...]], dict, object]:
    from pmkg.gnn.patient_baselines import lookup_scores, popularity, treats_matrix
    from pmkg.gnn.patient_data import CONTRAINDICATING, DIAGNOSIS, rows_of
    from pmkg.gnn.patient_metrics import per_row_ranking
    from pmkg.gnn.patient_train import score_inputs, train_patient_model
    from pmkg.ingest import pgx_actions, pharmcat

    contra_drugs = sorted({d for _, d, cpic, *_ in cohort.pgx if cpic in CONTRAINDICATING})
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(contra_drugs)[: len(contra_drugs) // 2].tolist())
    seen = dataclasses.replace(cohort, pgx=[t for t in cohort.pgx if t[1] not in held])
    blind = train_patient_model(export, seen, config, progress=False)
    full = train_patient_model(export, cohort, config, progress=False)
    test = full.split["test"]
    assert np.array_equal(test, blind.split["test"])  # same seed, same patients
    drug_index = export.index("Drug")
    held_cols = np.array(sorted(drug_index[d] for d in held if d in drug_index))
    contra = rows_of(full.labels.contraindicated, test)
    contra_held = contra[:, np.isin(contra[1], held_cols)]
    indicated = rows_of(full.labels.indicated, test)
    n_drugs = export.num_nodes("Drug")
    codes = indicated[0] * n_drugs + indicated[1]
    contra_held_indicated = contra_held[:, np.isin(contra_held[0] * n_drugs + contra_held[1], codes)]
    positives = rows_of(full.labels.positives, test)

    cols = store.columns(PHARMGKB_STRONG, {})
    strong: dict[str, set[int]] = {}
    for gene, drug in zip(cols["gene"], cols["drug"], strict=True):
        if drug in drug_index:
            strong.setdefault(gene, set()).add(drug_index[drug])
    normal = pharmcat.normal_lookup_keys(data_dir)
    rows_index = {pid: i for i, pid in enumerate(cohort.patients)}
    position = {int(r): i for i, r in enumerate(test)}
    guard_pairs = set()
    for pid, gene, symbol, key in cohort.diplotypes:
        row = position.get(rows_index.get(pid, -1))
        if row is None or key in NO_CALL or pgx_actions.is_normal_key(key, normal.get(("cpic", symbol), frozenset())):
            continue
        guard_pairs |= {(row, d) for d in strong.get(gene, ())}
    guard = np.array(sorted(guard_pairs), dtype=np.int64).T.reshape(2, -1)

    def guarded(scores: np.ndarray) -> np.ndarray:
        out = scores.copy()
        if guard.size:
            out[guard[0], guard[1]] = scores.min() - 1.0
        return out

    inputs_blind = blind.inputs.subset(test)
    inputs_full = full.inputs.subset(test)
    pop = popularity(rows_of(full.labels.positives, full.split["train"]), n_drugs)
    lookup = lookup_scores(inputs_full.relations[DIAGNOSIS], inputs_full.num_patients, treats_matrix(export), pop)
    model_blind = score_inputs(blind.model, blind.embeddings, inputs_blind)
    scored = {
        "patient model, held-out drugs' recommendations never seen": model_blind,
        "same + PharmGKB 1A/1B guard": guarded(model_blind),
        "patient model, every recommendation seen (reference)": score_inputs(full.model, full.embeddings, inputs_full),
        "diagnosis look-up (PGx-blind)": lookup,
        "diagnosis look-up + PharmGKB 1A/1B guard": guarded(lookup),
    }
    rows = []
    for name, scores in scored.items():
        recall, _ = per_row_ranking(scores, positives)
        rows.append(
            (name, ci(kept_out(scores, contra_held)), ci(kept_out(scores, contra_held_indicated)), ci(recall))
        )
    info = {
        "held-out drugs": len(held), "of contraindicated drugs": len(contra_drugs),
        "held-out contraindicated test pairs": int(contra_held.shape[1]),
        "of which indicated": int(contra_held_indicated.shape[1]),
        "guarded test pairs": int(guard.shape[1] if guard.size else 0),
    }  # fmt: skip
    return rows, info, full


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", required=True, help="a graph with the knowledge graph and no patients")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with cpic/ and the id mappings")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from pmkg.gnn.patient_data import rows_of
    from pmkg.gnn.patient_train import PatientTrainConfig
    from pmkg.kg.export import export_graph
    from pmkg.kg.store import GraphStore

    config = PatientTrainConfig(epochs=args.epochs, seed=args.seed)
    with GraphStore.connect(args.graph) as store, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        export = export_graph(store, progress=False)
        cohort = build_cohort(store, args.data_dir, args.patients, args.seed, Path(tmp))
        print(f"graph export and a {len(cohort.patients):,}-patient cohort in {time.perf_counter() - t0:.0f} s")
        zs_rows, zs_info = zero_shot_rows(export, cohort, config, args.seed, args.epochs)
        print("\n## zero-shot diseases (labels removed from the graph)\n")
        print(", ".join(f"{k} {v}" for k, v in zs_info.items()) + "\n")
        print(table(("ranking", "Recall@10 [95% CI]", "MRR [95% CI]"), zs_rows))
        pgx, pgx_info, full = pgx_rows(store, export, cohort, config, args.data_dir, args.seed)
    print("\n## held-out pharmacogenomics (recommendations of half the contraindicated drugs removed)\n")
    print(", ".join(f"{k} {v}" for k, v in pgx_info.items()) + "\n")
    print(table(("ranking", "kept out of top 10 (all)", "kept out (indicated)", "Recall@10"), pgx))
    test = full.split["test"]
    positives = rows_of(full.labels.positives, test)
    print("\n## diagnosis given (patient-holdout split; a look-up: the label is an input edge)\n")
    rows = []
    for name in ("model (with diagnosis)", "diagnosis lookup (with diagnosis)", "model (no diagnosis)"):
        m = full.metrics[name]
        rows.append((name, f"{m['recall@10']:.3f}", f"{m['mrr']:.3f}"))
    print(table(("ranking", "Recall@10", "MRR"), rows))
    print(f"\ntest patients {len(test)}, positives {positives.shape[1]}; protocol: {__doc__.splitlines()[0]}")


if __name__ == "__main__":
    main()
