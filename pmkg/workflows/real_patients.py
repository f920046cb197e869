"""The patient model's differential diagnosis on real phenopackets, against Resnik best-match average (Phenomizer).

Protocol (docs/evaluation/real-phenopackets.md):

- **Patients**: every Phenopacket v2 file under a folder (phenopacket-store: one folder per gene). Inputs are the
  observed HPO terms (``excluded`` ones left out) and, in the "+ gene" settings, the genes of the interpreted
  variants (``genomicInterpretations``: ``geneContext`` or ``gene``), resolved to ``NCBIGene:``. The recorded
  diagnosis (``diseases``, else the interpretation's ``diagnosis.disease``) is **only** the label: it never
  enters any ranker.
- **Label**: the recorded disease (OMIM) through :class:`ingest.xrefs.Resolver` to the graph's canonical id (DOID
  via MONDO/DO xrefs, else MONDO). One the resolver cannot map is counted as unmappable and left out.
- **Rankers**, each a ``(patients, diseases)`` score matrix over its own universe:

  * the drug-patient model's disease softmax (:meth:`gnn.patient_model.PatientDrugModel.disease_logits`), over
    its candidate diseases (those with a TREATS indication), from phenotypes, and from phenotypes + the causal
    gene given as the model's ``variant_gene`` input;
  * Resnik best-match average (:mod:`gnn.phenotype_similarity`, patient -> disease, Phenomizer's measure; IC from
    the graph's HPO disease annotations) over every disease with an HPO annotation in the graph, and its
    symmetric variant (the mean of both directions);
  * "restricted to the gene's diseases": the same scores with the diseases that the graph associates with one of
    the patient's genes (``Disease-ASSOCIATED_WITH-Gene``, ClinVar ``Variant-ASSOCIATED_WITH-Disease`` with
    ``IN_GENE``) moved first, order otherwise kept;
  * annotation-count prior (diseases with more HPO annotations first) and random (expected values).

A patient whose label is outside a ranker's universe is a miss for that ranker (rank infinite), so every ranker
is measured over the same patients. :mod:`gnn.differential_metrics` breaks ties in expectation.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pmkg.gnn.differential_metrics import LabelRanks, bootstrap_mean, label_ranks, paired_bootstrap
from pmkg.gnn.phenotype_similarity import ResnikIndex
from pmkg.kg.export import GraphExport

log = logging.getLogger(__name__)

DO_ROOT = "DOID:4"  # disease
DO_ANATOMICAL = "DOID:7"  # disease of anatomical entity: its children (organ systems) are the groups
NO_DO_GROUP = "not in the Disease Ontology (MONDO-keyed)"
KS = (1, 10)
GROUP_RANKERS = ("model (phenotypes)", "Resnik BMA (phenotypes)", "Resnik BMA (phenotypes), gene's diseases first")


@dataclass
class RealPatient:
    """One phenopacket's inputs and label; ``cohort`` is its folder (phenopacket-store: the gene)."""

    cohort: str
    phenotypes: list[str]
    genes: list[str]  # NCBIGene ids of the interpreted variants' genes
    recorded: list[str]  # the recorded disease ids as written (OMIM:...)
    labels: list[str]  # their canonical ids (empty: unmappable)


@dataclass
class PatientSet:
    patients: list[RealPatient]
    unreadable: dict[str, str] = field(default_factory=dict)  # file -> error
    counts: Counter = field(default_factory=Counter)


def read_real_patients(folder: Path, resolver, progress: bool = False) -> PatientSet:
    """Read every ``*.json`` phenopacket under ``folder`` (validated as ingest does); see the module docstring."""
    from tqdm.auto import tqdm

    from pmkg.ingest.phenopackets import PhenopacketError, parse_phenopacket

    out = PatientSet([])
    files = sorted(Path(folder).rglob("*.json"))
    if not files:
        raise FileNotFoundError(f"{folder}: no phenopacket (*.json) files; pass the phenopackets folder")
    for path in tqdm(files, desc="read phenopackets", unit="file", disable=None if progress else True):
        rel = str(path.relative_to(folder))
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            packet = parse_phenopacket(document, rel)
        except (PhenopacketError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            out.unreadable[rel] = str(exc)
            continue
        recorded = [d.id for d in packet.diseases if d.source == "diseases" and not d.excluded]
        if not recorded:
            recorded = [d.id for d in packet.diseases if d.source == "interpretation" and not d.excluded]
        labels = sorted({c for c in (resolver.disease(d) for d in recorded) if c})
        genes = sorted({g for g in (_resolve_gene(resolver, *pair) for pair in interpreted_genes(document)) if g})
        out.counts["genes unresolved"] += bool(interpreted_genes(document)) and not genes
        out.patients.append(
            RealPatient(
                cohort=path.relative_to(folder).parts[0] if len(path.relative_to(folder).parts) > 1 else "",
                phenotypes=sorted({f.id for f in packet.features if not f.excluded}),
                genes=genes,
                recorded=recorded,
                labels=labels,
            )
        )
    return out


def interpreted_genes(document: dict) -> list[tuple[str | None, str | None]]:
    """``(gene id, symbol)`` of every genomic interpretation: a variant's ``geneContext`` or a ``gene`` descriptor."""
    out = []
    for interpretation in document.get("interpretations") or []:
        for genomic in (interpretation.get("diagnosis") or {}).get("genomicInterpretations") or []:
            descriptor = ((genomic.get("variantInterpretation") or {}).get("variationDescriptor") or {}).get(
                "geneContext"
            ) or genomic.get("gene") or {}
            if descriptor:
                out.append((descriptor.get("valueId"), descriptor.get("symbol")))
    return out


def _resolve_gene(resolver, gene_id: str | None, symbol: str | None) -> str | None:
    return (resolver.gene(gene_id) if gene_id else None) or (resolver.gene_by_symbol(symbol) if symbol else None)


# ---- the graph side ------------------------------------------------------------------------------------------


def resnik_index(export: GraphExport) -> tuple[ResnikIndex, np.ndarray]:
    """The Resnik index over the export's Phenotype ``IS_A`` and Disease ``HAS_PHENOTYPE`` edges, and the
    Disease indices with at least one annotation (the Resnik universe, in index order)."""
    empty = np.zeros((2, 0), dtype=np.int64)
    is_a = export.edges.get(("Phenotype", "IS_A", "Phenotype"), empty)
    annotations = export.edges.get(("Disease", "HAS_PHENOTYPE", "Phenotype"), empty)
    index = ResnikIndex.build(export.num_nodes("Phenotype"), export.num_nodes("Disease"), is_a, annotations)
    return index, np.flatnonzero(index.annotated)


def gene_diseases(export: GraphExport) -> dict[int, set[int]]:
    """Gene index -> Disease indices the graph associates with it (directly, or through a ClinVar variant)."""
    empty = np.zeros((2, 0), dtype=np.int64)
    out: dict[int, set[int]] = {}
    for disease, gene in export.edges.get(("Disease", "ASSOCIATED_WITH", "Gene"), empty).T:
        out.setdefault(int(gene), set()).add(int(disease))
    in_gene = export.edges.get(("Variant", "IN_GENE", "Gene"), empty)
    genes_of: dict[int, list[int]] = {}
    for variant, gene in in_gene.T:
        genes_of.setdefault(int(variant), []).append(int(gene))
    for variant, disease in export.edges.get(("Variant", "ASSOCIATED_WITH", "Disease"), empty).T:
        for gene in genes_of.get(int(variant), ()):
            out.setdefault(gene, set()).add(int(disease))
    return out


def disease_groups(export: GraphExport) -> dict[int, str]:
    """Disease index -> its Disease Ontology group: the organ system under "disease of anatomical entity", else
    the top-level branch under "disease" (first by name when several); MONDO-keyed diseases get
    :data:`NO_DO_GROUP`."""
    ids = export.node_ids["Disease"]
    names = export.node_names.get("Disease", ids)
    index = export.index("Disease")
    parents: dict[int, list[int]] = {}
    for child, parent in export.edges.get(("Disease", "IS_A", "Disease"), np.zeros((2, 0), dtype=np.int64)).T:
        parents.setdefault(int(child), []).append(int(parent))
    root, anatomical = index.get(DO_ROOT), index.get(DO_ANATOMICAL)

    def lineage(node: int) -> set[int]:
        seen, stack = set(), [node]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(parents.get(n, ()))
        return seen

    out = {}
    for i, curie in enumerate(ids):
        if not curie.startswith("DOID:"):
            out[i] = NO_DO_GROUP
            continue
        up = lineage(i)
        systems = [n for n in up if anatomical in parents.get(n, ())]
        branches = [n for n in up if root in parents.get(n, ()) and n != anatomical]
        chosen = sorted(systems or branches, key=lambda n: names[n])
        out[i] = names[chosen[0]] if chosen else ("disease (root)" if i == root else "no DO branch")
    return out


# ---- rankers -------------------------------------------------------------------------------------------------


def model_disease_logits(
    loaded, patients: Sequence[RealPatient], with_gene: bool, diseases: Sequence[int] | None = None
) -> tuple[np.ndarray, Counter]:
    """``(P, C)`` disease logits of the drug-patient model over its candidates, from phenotypes (and genes).

    The patient goes in as the model's own relations (``phenotype``, ``variant_gene``); no diagnosis edge exists
    for it. ``diseases`` (indices into the model's Disease ids) applies the same DistMult diagnosis decoder to
    other diseases than the candidates it was trained on (zero-shot). Returns the logits and the counts of inputs
    the model's graph lacks.
    """
    import torch

    from pmkg.gnn.patient_data import build_inputs
    from pmkg.kg.patients import CohortExport

    pids = [f"row{i}" for i in range(len(patients))]
    edges: dict[str, tuple[list[str], list[str]]] = {k: ([], []) for k in ("phenotype", "symptom", "diagnosis")}
    edges["variant_gene"] = ([], [])
    for pid, patient in zip(pids, patients, strict=True):
        for term in patient.phenotypes:
            edges["phenotype"][0].append(pid)
            edges["phenotype"][1].append(term)
        for gene in patient.genes if with_gene else ():
            edges["variant_gene"][0].append(pid)
            edges["variant_gene"][1].append(gene)
    cohort = CohortExport(False, pids, edges, [], [])
    inputs, _, dropped = build_inputs(cohort, GraphExport(node_ids=loaded.node_ids), loaded.vocabulary)
    relations, tokens, _ = inputs.tensors()
    with torch.no_grad():
        z = loaded.model.encode_patients(loaded.embeddings, inputs.num_patients, relations, tokens)
        if diseases is None:
            logits = loaded.model.disease_logits(z, loaded.embeddings).numpy()
        else:
            rows = torch.as_tensor(list(diseases), dtype=torch.long)
            logits = loaded.model.diagnose.all_pairs(z, loaded.embeddings["Disease"][rows]).numpy()
    return logits, Counter(dropped)


def restrict_first(scores: np.ndarray, allowed: Sequence[Sequence[int]]) -> np.ndarray:
    """``scores`` with each row's ``allowed`` columns moved above all others (order within each part kept)."""
    out = np.asarray(scores, dtype=np.float64).copy()
    shift = out.max() - out.min() + 1.0 if out.size else 0.0
    for row, columns in enumerate(allowed):
        columns = np.asarray(list(columns), dtype=np.int64)
        if columns.size:
            out[row, columns] += shift
    return out


# ---- evaluation ----------------------------------------------------------------------------------------------


@dataclass
class RankerResult:
    name: str
    universe: int  # diseases it ranks
    ranks: LabelRanks

    def per_patient(self) -> dict[str, np.ndarray]:
        out = {f"top{k}": self.ranks.top_k(k) for k in KS}
        out["mrr"] = self.ranks.reciprocal_rank()
        return out


def summarise(result: RankerResult, rows: np.ndarray | None = None, samples: int = 1000) -> dict[str, object]:
    """Top-1, top-10, MRR (each with its 95% bootstrap interval) over ``rows`` (default: every patient)."""
    values = result.per_patient()
    rows = np.arange(result.ranks.greater.size) if rows is None else rows
    out: dict[str, object] = {"ranker": result.name, "universe": result.universe, "n": int(rows.size),
                              "rankable": int(result.ranks.rankable[rows].sum())}  # fmt: skip
    for key, vector in values.items():
        out[key] = bootstrap_mean(vector[rows], samples)
    return out


def random_ranks(labels_in_universe: np.ndarray, universe: int) -> LabelRanks:
    """Every disease tied: the expected values of a random order."""
    n = labels_in_universe.size
    return LabelRanks(np.zeros(n), np.full(n, universe - 1.0), labels_in_universe.astype(bool))


def compare(a: RankerResult, b: RankerResult, samples: int = 1000) -> dict[str, tuple[float, float, float]]:
    """Paired bootstrap of ``a - b`` on each metric."""
    va, vb = a.per_patient(), b.per_patient()
    return {key: paired_bootstrap(va[key], vb[key], samples) for key in va}


def failure_reason(
    patient: RealPatient, label_columns: set[int], annotated: set[int], in_graph: bool, known_terms: int
) -> str:
    """Why a ranker could not have placed this patient's disease well (the first that applies)."""
    if not in_graph:
        return "disease not in the graph (no HPO annotation: e.g. an OMIM entry newer than phenotype.hpoa)"
    if not label_columns & annotated:
        return "disease has no HPO annotation in the graph"
    if known_terms == 0:
        return "no phenotype term the graph knows"
    if known_terms < 3:
        return "fewer than 3 known phenotype terms"
    return "annotated, ranked low"


@dataclass
class RealPatientEvaluation:
    """Everything the bench prints: rankers over all mappable patients, the head-to-head on the model's
    candidates, per-group rows and the failures."""

    counts: dict[str, int]
    overall: list[dict[str, object]]
    annotated_only: list[dict[str, object]]  # the same rankers over patients whose disease has HPO annotations
    head_to_head: list[dict[str, object]]
    differences: dict[str, dict[str, tuple[float, float, float]]]
    groups: list[dict[str, object]]
    failures: dict[str, dict[str, int]]
    worst_diseases: list[dict[str, object]]
    largest_diseases: list[dict[str, object]]  # the same columns for the diseases with the most patients
    seconds: dict[str, float]


def evaluate_real_patients(
    export: GraphExport, loaded, patient_set: PatientSet, samples: int = 1000, worst: int = 15
) -> RealPatientEvaluation:
    """Score every mappable patient with every ranker and summarise (see the module docstring)."""
    import time

    t0 = time.perf_counter()
    disease_index = export.index("Disease")
    phenotype_index = export.index("Phenotype")
    gene_index = export.index("Gene")
    names = export.node_names.get("Disease", export.node_ids["Disease"])
    all_patients = patient_set.patients
    mapped = [p for p in all_patients if p.labels]
    counts = {
        "phenopackets": len(all_patients) + len(patient_set.unreadable),
        "unreadable": len(patient_set.unreadable),
        "unmappable disease": len(all_patients) - len(mapped),
        "evaluable": len(mapped),
        "label not a Disease node": sum(not any(lab in disease_index for lab in p.labels) for p in mapped),
        "with a resolved causal gene": sum(bool(p.genes) for p in mapped),
    }
    label_nodes = [{disease_index[lab] for lab in p.labels if lab in disease_index} for p in mapped]
    terms = [[phenotype_index[t] for t in p.phenotypes if t in phenotype_index] for p in mapped]
    counts["phenotype terms"] = sum(len(p.phenotypes) for p in mapped)
    counts["phenotype terms the graph lacks"] = counts["phenotype terms"] - sum(len(t) for t in terms)

    index, universe = resnik_index(export)
    column = {int(d): i for i, d in enumerate(universe)}
    counts["Resnik universe (diseases with HPO annotations)"] = int(universe.size)
    t1 = time.perf_counter()
    resnik_scores = index.query_to_disease(terms)[:, universe]
    seconds = {"resnik_index": t1 - t0, "resnik_scores": time.perf_counter() - t1}
    t1 = time.perf_counter()
    symmetric_scores = (resnik_scores + index.disease_to_query(terms)[:, universe]) / 2
    seconds["resnik_symmetric_scores"] = time.perf_counter() - t1
    associated = gene_diseases(export)
    gene_nodes = [{gene_index[g] for g in p.genes if g in gene_index} for p in mapped]
    gene_disease_nodes = [set().union(*(associated.get(g, set()) for g in genes)) for genes in gene_nodes]
    counts["label associated with the patient's gene in the graph"] = sum(
        bool(lab & dis) for lab, dis in zip(label_nodes, gene_disease_nodes, strict=True)
    )

    def cols(nodes: Sequence[set[int]], position: dict[int, int]) -> list[list[int]]:
        return [[position[n] for n in s if n in position] for s in nodes]

    labels_all = cols(label_nodes, column)
    prior = np.asarray(index.annotations.sum(axis=1)).ravel()[universe].astype(np.float64)
    results = {
        "Resnik BMA (phenotypes)": RankerResult("Resnik BMA (phenotypes)", universe.size,
                                                label_ranks(resnik_scores, labels_all)),
        "Resnik BMA symmetric (phenotypes)": RankerResult("Resnik BMA symmetric (phenotypes)", universe.size,
                                                          label_ranks(symmetric_scores, labels_all)),
        "Resnik BMA (phenotypes), gene's diseases first": RankerResult(
            "Resnik BMA (phenotypes), gene's diseases first", universe.size,
            label_ranks(restrict_first(resnik_scores, cols(gene_disease_nodes, column)), labels_all)),
        "annotation-count prior": RankerResult("annotation-count prior", universe.size,
                                               label_ranks(np.broadcast_to(prior, resnik_scores.shape), labels_all)),
        "random": RankerResult("random", universe.size,
                               random_ranks(np.array([bool(c) for c in labels_all]), universe.size)),
    }  # fmt: skip

    candidates = [int(c) for c in loaded.model.hparams["candidates"]]
    model_disease_ids = loaded.node_ids["Disease"]
    # The model's candidates as this export's Disease indices (the same CURIEs; the model's graph may differ).
    cand_nodes = [disease_index.get(model_disease_ids[c], -1) for c in candidates]
    cand_column = {n: i for i, n in enumerate(cand_nodes) if n >= 0}
    labels_model = cols(label_nodes, cand_column)
    t2 = time.perf_counter()
    logits, dropped = model_disease_logits(loaded, mapped, with_gene=False)
    logits_gene, dropped_gene = model_disease_logits(loaded, mapped, with_gene=True)
    seconds["model_scores"] = time.perf_counter() - t2
    counts["model candidates"] = len(candidates)
    counts["genes the model's graph lacks"] = int(dropped_gene.get("variant_gene", 0))
    model_gene_first = restrict_first(logits, cols(gene_disease_nodes, cand_column))
    # The diagnosis decoder over every annotated disease the model's graph has (zero-shot beyond the candidates).
    model_index = {curie: i for i, curie in enumerate(model_disease_ids)}
    curies = export.node_ids["Disease"]
    known = np.array([curies[d] in model_index for d in universe])
    wide = np.full(resnik_scores.shape, -np.inf)
    if known.any():
        rows_in_model = [model_index[curies[d]] for d in universe[known]]
        wide[:, known] = model_disease_logits(loaded, mapped, with_gene=False, diseases=rows_in_model)[0]
    counts["Resnik-universe diseases the model's graph lacks"] = int((~known).sum())
    results = {
        "model (phenotypes)": RankerResult("model (phenotypes)", len(candidates), label_ranks(logits, labels_model)),
        "model (phenotypes + gene input)": RankerResult(
            "model (phenotypes + gene input)", len(candidates), label_ranks(logits_gene, labels_model)),
        "model (phenotypes), gene's diseases first": RankerResult(
            "model (phenotypes), gene's diseases first", len(candidates), label_ranks(model_gene_first, labels_model)),
        "model decoder over all annotated diseases (zero-shot beyond C)": RankerResult(
            "model decoder over all annotated diseases (zero-shot beyond C)", universe.size,
            label_ranks(wide, labels_all)),
        **results,
    }  # fmt: skip
    overall = [summarise(r, samples=samples) for r in results.values()]
    with_annotations = np.flatnonzero([bool(c) for c in labels_all])
    annotated_only = [summarise(r, with_annotations, samples) for r in results.values()]

    # Head to head on the model's own universe: patients whose disease is a candidate, every ranker over C.
    rows = np.flatnonzero([bool(c) for c in labels_model])
    counts["label among the model's candidates"] = int(rows.size)
    cand_in_universe = np.array([column.get(n, -1) for n in cand_nodes if n >= 0])
    head: list[dict[str, object]] = []
    differences: dict[str, dict[str, tuple[float, float, float]]] = {}
    if rows.size:
        sub_labels = [labels_model[r] for r in rows]
        present = [n for n in cand_nodes if n >= 0]
        resnik_c = np.zeros((rows.size, len(present)))
        ok = cand_in_universe >= 0
        resnik_c[:, ok] = resnik_scores[rows][:, cand_in_universe[ok]]  # unannotated candidates score 0
        model_rows = logits[rows][:, [i for i, n in enumerate(cand_nodes) if n >= 0]]
        gene_rows = logits_gene[rows][:, [i for i, n in enumerate(cand_nodes) if n >= 0]]
        h2h = {
            "model (phenotypes)": label_ranks(model_rows, sub_labels),
            "model (phenotypes + gene input)": label_ranks(gene_rows, sub_labels),
            "Resnik BMA (phenotypes)": label_ranks(resnik_c, sub_labels),
            "random": random_ranks(np.ones(rows.size, dtype=bool), len(present)),
        }
        h2h_results = {name: RankerResult(name, len(present), ranks) for name, ranks in h2h.items()}
        head = [summarise(r, samples=samples) for r in h2h_results.values()]
        differences["model - Resnik (model's candidates)"] = compare(
            h2h_results["model (phenotypes)"], h2h_results["Resnik BMA (phenotypes)"], samples
        )
    differences["Resnik + gene - Resnik (all diseases)"] = compare(
        results["Resnik BMA (phenotypes), gene's diseases first"], results["Resnik BMA (phenotypes)"], samples
    )
    differences["model + gene input - model (all patients)"] = compare(
        results["model (phenotypes + gene input)"], results["model (phenotypes)"], samples
    )

    group_of = disease_groups(export)
    patient_group = [
        group_of[min(nodes)] if nodes else "disease not in the graph (no HPO annotation)" for nodes in label_nodes
    ]
    groups = []
    for name in sorted(set(patient_group), key=lambda g: (-patient_group.count(g), g)):
        member = np.flatnonzero([g == name for g in patient_group])
        row: dict[str, object] = {"group": name, "patients": int(member.size)}
        for ranker in GROUP_RANKERS:
            values = results[ranker].per_patient()
            row[ranker] = {key: float(v[member].mean()) for key, v in values.items()}
        groups.append(row)

    annotated = {int(d) for d in universe}
    failures: dict[str, dict[str, int]] = {}
    for ranker in ("model (phenotypes)", "Resnik BMA (phenotypes)"):
        hit = results[ranker].per_patient()["top10"]
        reasons: Counter = Counter()
        for i, patient in enumerate(mapped):
            if hit[i] >= 0.5:
                continue
            if ranker.startswith("model") and not labels_model[i]:
                reasons["disease not a model candidate (no TREATS indication)"] += 1
                continue
            reasons[failure_reason(patient, label_nodes[i], annotated, bool(label_nodes[i]), len(terms[i]))] += 1
        failures[ranker] = dict(reasons.most_common())

    by_disease: dict[str, list[int]] = {}
    for i, patient in enumerate(mapped):
        by_disease.setdefault(patient.labels[0], []).append(i)
    resnik_values = results["Resnik BMA (phenotypes)"].per_patient()
    rank = results["Resnik BMA (phenotypes)"].ranks.rank()
    worst_rows = []
    for disease, members in by_disease.items():
        node = disease_index.get(disease)
        if not labels_all[members[0]]:
            continue  # no HPO annotation: counted among the failures, nothing to rank
        worst_rows.append({
            "disease": disease,
            "name": names[node] if node is not None else "",
            "patients": len(members),
            "top10": float(resnik_values["top10"][members].mean()),
            "median rank": float(np.median(rank[members])),
            "median known terms": float(np.median([len(terms[i]) for i in members])),
            "annotations": int(index.annotations[node].nnz) if node is not None else 0,
            "reason of most misses": next(iter(Counter(
                failure_reason(mapped[i], label_nodes[i], annotated, bool(label_nodes[i]), len(terms[i]))
                for i in members if resnik_values["top10"][i] < 0.5
            ).most_common(1)), ("-",))[0],
        })  # fmt: skip
    largest = sorted(worst_rows, key=lambda r: (-r["patients"], r["disease"]))[:worst]
    worst_rows.sort(key=lambda r: (r["top10"], -r["patients"], r["disease"]))
    seconds["total"] = time.perf_counter() - t0
    log.info("real patients evaluated: %d of %d phenopackets", len(mapped), counts["phenopackets"])
    return RealPatientEvaluation(
        counts, overall, annotated_only, head, differences, groups, failures, worst_rows[:worst], largest, seconds
    )


def synthetic_differential(
    cohort, loaded, export: GraphExport, seed: int = 0, samples: int = 1000
) -> tuple[list[dict[str, object]], int]:
    """The same differential on the model's own synthetic test patients (the circular setting, for contrast).

    ``cohort`` is the synthetic :class:`kg.patients.CohortExport` the model trained on; its test patients are
    the ones :func:`gnn.patient_data.patient_split` held out for ``seed`` (80/10/10, as training splits them).
    The model sees them as it was trained (phenotypes, symptoms, variant genes, PGx tokens) without the diagnosis
    edge; Resnik sees their HP terms. Both rank the model's candidates; Resnik also every annotated disease.
    Returns the summaries and the number of test patients.
    """
    import torch

    from pmkg.gnn.patient_data import DIAGNOSIS, build_inputs, patient_split

    inputs, _, _ = build_inputs(cohort, GraphExport(node_ids=loaded.node_ids), loaded.vocabulary)
    test = patient_split(inputs.num_patients, 0.1, 0.1, seed)["test"]
    held_out = inputs.subset(test)
    diagnosis = held_out.relations[DIAGNOSIS]
    model_diseases = loaded.node_ids["Disease"]
    labels_curie = [{model_diseases[d] for d in diagnosis[1][diagnosis[0] == row]} for row in range(len(test))]
    relations, tokens, _ = held_out.without(DIAGNOSIS).tensors()
    with torch.no_grad():
        z = loaded.model.encode_patients(loaded.embeddings, held_out.num_patients, relations, tokens)
        logits = loaded.model.disease_logits(z, loaded.embeddings).numpy()
    candidates = [model_diseases[c] for c in loaded.model.hparams["candidates"]]
    cand_column = {c: i for i, c in enumerate(candidates)}
    labels_model = [[cand_column[c] for c in s if c in cand_column] for s in labels_curie]

    index, universe = resnik_index(export)
    phenotype_index = export.index("Phenotype")
    pids = set(held_out.patients)
    terms_by_patient: dict[str, list[int]] = {}
    for pid, term in zip(*cohort.edges.get("phenotype", ([], [])), strict=True):
        if pid in pids and term in phenotype_index:
            terms_by_patient.setdefault(pid, []).append(phenotype_index[term])
    terms = [terms_by_patient.get(pid, []) for pid in held_out.patients]
    scores = index.query_to_disease(terms)
    curies = export.node_ids["Disease"]
    cand_nodes = np.array([export.index("Disease").get(c, -1) for c in candidates])
    resnik_c = np.where(cand_nodes >= 0, scores[:, np.maximum(cand_nodes, 0)], 0.0)
    column = {curies[d]: i for i, d in enumerate(universe)}
    labels_all = [[column[c] for c in s if c in column] for s in labels_curie]
    with_hpo = np.flatnonzero([bool(t) for t in terms])
    results = [
        RankerResult("model (no diagnosis), over C", len(candidates), label_ranks(logits, labels_model)),
        RankerResult("Resnik BMA, over C", len(candidates), label_ranks(resnik_c, labels_model)),
        RankerResult("Resnik BMA, over all annotated", int(universe.size),
                     label_ranks(scores[:, universe], labels_all)),
        RankerResult("random, over C", len(candidates), random_ranks(np.ones(len(test), dtype=bool), len(candidates))),
    ]  # fmt: skip
    out = [summarise(r, samples=samples) for r in results]
    out += [{**summarise(r, with_hpo, samples), "ranker": f"{r.name}, patients with HP terms"} for r in results[:2]]
    return out, len(test)
