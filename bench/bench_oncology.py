"""Precision-oncology benchmark: are the level A/B sensitivity therapies of held-out CIViC evidence recovered?

Protocol (docs/precision-oncology.md, "Evaluation"):

* **Cases.** Every (molecular profile, disease) pair of the CIViC release with at least one supporting level A or B
  Sensitivity/Response item, where the profile is one variant (or several joined by AND) whose variants all have a
  gene and a concrete protein change, and the disease is in the Disease Ontology in use. A case is a synthetic tumour
  patient: that disease as diagnosis, the profile's variants as somatic ``hgvs.p`` variant interpretations. Its
  targets at level L are the drugs of the pair's supporting level-L sensitivity items (a combination's drugs each).
* **Hold-out.** ``--folds`` folds, seeded: (1) *by molecular profile*: a fold's profiles lose every evidence item
  before its cases are ranked (other profiles that share a variant, e.g. codon-level ``BRAF V600`` for a ``V600E``
  case, or an OR profile, stay); (2) *by disease*: a fold's diseases lose every item of every profile.
* **Methods, same cases, same held-out knowledge.** ``pmkg biomarker``: the tumour matched to the remaining CIViC
  (:mod:`ingest.tumour`) and ranked by :mod:`workflows.oncology` (drugs whose resistance outranks their sensitivity
  are not recommended). ``gene-level lookup``: every drug with supporting sensitivity evidence on any profile with a
  variant in the tumour's genes, most items first, best level as tie-break. ``drug-patient model (no CIViC)``
  (with ``--patient-model``): the trained drug-patient model scores the same phenopacket with CIViC switched off.
  ``pmkg merged`` (with ``--patient-model``): the patient recommendation as served (biomarker-matched drugs merged
  with the model's ranking).
* **The model rows** need a drug-patient model trained on the graph without CIViC, e.g. (as measured for the docs)::

      pmkg ingest --data-dir ../shared/data -s genes -s disease-ontology -s sequence-ontology -s hetionet -s go \\
          -s hpo -s drugcentral -s sider -s pharmgkb -s cpic -s clinvar -s pharmacotherapydb -g $G
      pmkg cohort synth --n 2000 --seed 0 --out $B/cohort --data-dir ../shared/data -g $G
      pmkg ingest patients $B/cohort/phenopackets $B/cohort/cohort.vcf.gz --data-dir ../shared/data -g $G
      pmkg patients train --epochs 150 --models-dir $B/models -g $G

* **Metrics**, per target level, over the cases that have targets at that level: Recall@10 (targets in the top 10
  over min(10, targets)) and Hit@10 (at least one target in the top 10), mean over cases.

    python bench/bench_oncology.py --data-dir ../shared/data --folds 5 --seed 0 \\
        [--patient-model pmkg-data/bench-onc/models] --out pmkg-data/bench-onc/oncology.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

K = 10
LEVELS = ("A", "B")
SENSITIVITY = "Sensitivity/Response"


@dataclass
class Case:
    profile: int
    disease: str
    variants: list[tuple[str, str]]  # (gene symbol, protein change)
    targets: dict[str, set[str]] = field(default_factory=dict)  # level -> drug ids


def cases_of(civic) -> list[Case]:
    by_pair: dict[tuple[int, str], Case] = {}
    for item in civic.release.evidence:
        if item.evidence_type != "Predictive" or item.significance != SENSITIVITY or not item.supports:
            continue
        if item.level not in LEVELS or item.disease_id is None or item.disease_id not in civic.disease_parents:
            continue
        profile = civic.release.profiles[item.profile_id]
        if profile.rule not in ("single", "all"):
            continue
        variants = [civic.release.variants[v] for v in profile.variant_ids]
        if not all(v.gene_symbol and v.protein and not v.codon for v in variants):
            continue
        case = by_pair.setdefault(
            (profile.id, item.disease_id),
            Case(profile.id, item.disease_id, [(v.gene_symbol, v.protein) for v in variants]),
        )
        for therapy in item.therapies:
            case.targets.setdefault(item.level, set()).update(therapy.drugs)
    return sorted(by_pair.values(), key=lambda c: (c.profile, c.disease))


def folds_of(keys: list, folds: int, seed: int) -> dict:
    import numpy as np

    order = np.random.default_rng(seed).permutation(len(keys))
    return {keys[i]: rank % folds for rank, i in enumerate(order)}


def held_out(civic, drop):
    """A shallow copy of the knowledge without the evidence items ``drop(item)`` selects."""
    from pmkg.ingest.civic import CivicKnowledge

    evidence = [item for item in civic.release.evidence if not drop(item)]
    release = replace(civic.release, evidence=evidence)
    return CivicKnowledge(release, civic.disease_parents, civic.disease_names).index()


def biomarker_top(civic, resolver, case: Case) -> list[str]:
    from pmkg.ingest.tumour import TumourVariant, match_variants

    from pmkg.workflows.oncology import biomarker_therapies, drug_biomarkers, merge_order

    variants = [TumourVariant("case", "phenopacket", g, proteins=(p,), somatic=True) for g, p in case.variants]
    match = match_variants(variants, civic, resolver)
    biomarkers = drug_biomarkers(biomarker_therapies(civic, match, {case.disease}))
    recommended, _ = merge_order([], biomarkers, K)
    return recommended


def gene_level_top(civic, case: Case) -> list[str]:
    genes = {civic.genes.get(g.upper()) for g, _ in case.variants}
    items: Counter = Counter()
    best: dict[str, str] = {}
    for profile in civic.release.profiles.values():
        if not any(civic.variant_gene(civic.release.variants[v]) in genes for v in profile.variant_ids):
            continue
        for item in civic.evidence_of_profile.get(profile.id, []):
            if item.evidence_type == "Predictive" and item.significance == SENSITIVITY and item.supports:
                for therapy in item.therapies:
                    for drug in therapy.drugs:
                        items[drug] += 1
                        best[drug] = min(best.get(drug, "Z"), item.level)
    return sorted(items, key=lambda d: (-items[d], best[d], d))[:K]


def phenopacket(case: Case, index: int) -> dict:
    genomic = [
        {
            "subjectOrBiosampleId": "tumour",
            "interpretationStatus": "CONTRIBUTORY",
            "variantInterpretation": {
                "variationDescriptor": {
                    "id": f"v{i}",
                    "geneContext": {"symbol": gene},
                    "expressions": [{"syntax": "hgvs.p", "value": f"{gene}:p.{protein}"}],
                }
            },
        }
        for i, (gene, protein) in enumerate(case.variants)
    ]
    return {
        "id": f"bench-{index}",
        "metaData": {"phenopacketSchemaVersion": "2.0"},
        "diseases": [{"term": {"id": case.disease}}],
        "biosamples": [{"id": "tumour", "tumorProgression": {"id": "NCIT:C84509"}}],
        "interpretations": [
            {"id": "i", "progressStatus": "SOLVED", "diagnosis": {"disease": {"id": case.disease},
                                                                 "genomicInterpretations": genomic}}
        ],
    }  # fmt: skip


def scorer_top(scorer, civic, case: Case, index: int) -> list[str]:
    from pmkg.workflows.patient_scoring import PatientInputError, score_patient

    scorer.civic = civic
    try:
        result = score_patient(phenopacket(case, index), scorer=scorer, top_k=K)
    except PatientInputError:
        return []
    return [d.drug_id for d in result.drugs if not d.warning][:K]


def metrics(tops: dict[int, list[str]], cases: list[Case]) -> dict[str, dict[str, float]]:
    out = {}
    for level in LEVELS:
        recalls, hits = [], []
        for i, case in enumerate(cases):
            targets = case.targets.get(level)
            if not targets or i not in tops:
                continue
            found = len(targets & set(tops[i][:K]))
            recalls.append(found / min(K, len(targets)))
            hits.append(float(found > 0))
        out[level] = {
            "cases": len(recalls),
            "recall@10": sum(recalls) / len(recalls) if recalls else float("nan"),
            "hit@10": sum(hits) / len(hits) if hits else float("nan"),
        }
    return out


def run_scheme(name, civic, resolver, cases, key, folds, seed, scorer) -> dict[str, dict]:
    assignment = folds_of(sorted({key(c) for c in cases}), folds, seed)
    tops: dict[str, dict[int, list[str]]] = defaultdict(dict)
    for fold in range(folds):
        held = {k for k, f in assignment.items() if f == fold}
        if name == "profile":
            knowledge = held_out(civic, lambda item, held=held: item.profile_id in held)
        else:
            knowledge = held_out(civic, lambda item, held=held: item.disease_id in held)
        for i, case in enumerate(cases):
            if key(case) not in held:
                continue
            tops["pmkg biomarker"][i] = biomarker_top(knowledge, resolver, case)
            tops["gene-level lookup"][i] = gene_level_top(knowledge, case)
            if scorer is not None:
                tops["drug-patient model (no CIViC)"][i] = scorer_top(scorer, None, case, i)
                tops["pmkg merged (biomarker + model)"][i] = scorer_top(scorer, knowledge, case, i)
        print(f"  {name} fold {fold + 1}/{folds}: {len(held)} held out", file=sys.stderr)
    return {method: metrics(by_case, cases) for method, by_case in tops.items()}


def report(results: dict, cases: list[Case], args, civic, seconds: float) -> str:
    lines = [
        "| hold-out | method | level | cases | Recall@10 | Hit@10 |",
        "|---|---|---|---:|---:|---:|",
    ]
    for scheme, methods in results.items():
        for method, by_level in methods.items():
            for level, m in by_level.items():
                lines.append(
                    f"| {scheme} | {method} | {level} | {m['cases']} | {m['recall@10']:.3f} | {m['hit@10']:.3f} |"
                )
    profiles = len({c.profile for c in cases})
    diseases = len({c.disease for c in cases})
    head = (
        f"CIViC {civic.version}: {len(cases)} cases ({profiles} molecular profiles x {diseases} diseases), "
        f"{args.folds} folds, seed {args.seed}; {seconds:.0f} s."
    )
    return head + "\n\n" + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="folder with civic/, disease-ontology/, drugcentral/")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--patient-model", type=Path, help="drug-patient model (or models folder) for the model rows")
    ap.add_argument("--out", type=Path, help="write the Markdown table here (and a .json beside it)")
    args = ap.parse_args()

    from pmkg.ingest.civic import load_knowledge
    from pmkg.ingest.xrefs import Resolver

    t0 = time.perf_counter()
    resolver = Resolver.from_data_dir(args.data_dir)
    civic = load_knowledge(args.data_dir, resolver)
    cases = cases_of(civic)
    scorer = None
    if args.patient_model is not None:
        from pmkg.workflows.patient_model import latest_patient_model
        from pmkg.workflows.patient_scoring import PatientScorer

        model = args.patient_model
        if (model / "LATEST").is_file():
            model = latest_patient_model(model)
        scorer = PatientScorer.load(model, args.data_dir)
    results = {
        "by molecular profile": run_scheme("profile", civic, resolver, cases, lambda c: c.profile, args.folds,
                                           args.seed, scorer),
        "by disease": run_scheme("disease", civic, resolver, cases, lambda c: c.disease, args.folds, args.seed,
                                 scorer),
    }  # fmt: skip
    text = report(results, cases, args, civic, time.perf_counter() - t0)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
