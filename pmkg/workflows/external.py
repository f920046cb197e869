"""External validation: score a model against an indication list that is not in the graph.

``pmkg evaluate --external FILE`` ranks every pair of a universe (Rephetio's protocol: every Hetionet compound
× every Hetionet disease; or the candidate drugs × indicated diseases; or × every disease), removes the pairs
the model trained on, and measures how the list's pairs rank (:mod:`pmkg.gnn.external`). The degree-product
prior and the DWPC logistic regression are scored on the same pairs in the same run.

The list is a TSV with a header. Either a plain two-column list (``drug_id``/``drug`` and ``disease_id``/
``disease``, CURIEs in any supported prefix: ``DRUGBANK:DB00945``, ``CHEMBL.COMPOUND:…``, ``DOID:…``,
``MONDO:…``, ``UMLS:…``, ``MESH:…``), or SIDER 4.1's ``indications.tsv`` as mapped to DrugBank (columns
``drugbank_id``, ``umls_cui_from_meddra``, ``umls_cui_from_label``, ``method``), whose ``method`` column is
filtered (:data:`SIDER_METHODS`). Ids are resolved through the same resolver as ingest; rows whose drug or
disease does not resolve, or resolves outside the universe, are counted and reported, never dropped silently.

The list is evaluation data: nothing here writes it to the graph or passes it to training.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from pmkg.ingest.xrefs import Resolver
from pmkg.kg.export import GraphExport, export_graph
from pmkg.kg.store import GraphStore

log = logging.getLogger(__name__)

Universe = Literal["hetionet", "indicated", "all"]
UNIVERSES: tuple[str, ...] = ("hetionet", "indicated", "all")
# SIDER's label indications: an indication sentence and a term in the indications section count; a
# precondition ("given to patients with ...") is not an indication.
SIDER_METHODS = ("NLP_indication", "text_mention")
DRUG_COLUMNS = ("drug_id", "drug", "drugbank_id", "compound_id", "compound")
DISEASE_COLUMNS = ("disease_id", "disease", "doid_id", "doid")
HETIONET_SOURCE = "hetionet"


class ExternalListError(ValueError):
    """The indication list cannot be read: the message names the file, line and column."""


@dataclass
class IndicationList:
    """Resolved (drug CURIE, disease CURIE) pairs of an external list, with what did not resolve."""

    path: Path
    pairs: set[tuple[str, str]]
    rows: int = 0
    kept_rows: int = 0
    filtered_rows: int = 0  # e.g. SIDER preconditions
    unresolved_drugs: Counter = field(default_factory=Counter)
    unresolved_diseases: Counter = field(default_factory=Counter)
    format: str = "pairs"

    def summary(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "format": self.format, "rows": self.rows, "kept_rows": self.kept_rows,
            "filtered_rows": self.filtered_rows, "pairs": len(self.pairs),
            "unresolved_drug_rows": sum(self.unresolved_drugs.values()),
            "unresolved_disease_rows": sum(self.unresolved_diseases.values()),
            "unresolved_drug_examples": [k for k, _ in self.unresolved_drugs.most_common(5)],
            "unresolved_disease_examples": [k for k, _ in self.unresolved_diseases.most_common(5)],
        }


def _curie(value: str, default_prefix: str) -> str:
    value = value.strip()
    return value if ":" in value else f"{default_prefix}:{value}"


def read_indication_list(path: Path, resolver: Resolver, methods: tuple[str, ...] = SIDER_METHODS) -> IndicationList:
    """Read and resolve ``path`` (see the module docstring for the accepted formats)."""
    if not Path(path).is_file():
        raise ExternalListError(f"{path}: no such indication list; pass a TSV with a header (see --help)")
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        header = reader.fieldnames or []
        sider = {"drugbank_id", "umls_cui_from_meddra", "method"} <= set(header)
        drug_col = "drugbank_id" if sider else next((c for c in DRUG_COLUMNS if c in header), None)
        disease_col = None if sider else next((c for c in DISEASE_COLUMNS if c in header), None)
        if drug_col is None or (disease_col is None and not sider):
            raise ExternalListError(
                f"{path}:1: header {header!r} has no drug column ({', '.join(DRUG_COLUMNS)}) or no disease column "
                f"({', '.join(DISEASE_COLUMNS)}); write a tab-separated file with a header such as "
                "'drug_id<TAB>disease_id'"
            )
        out = IndicationList(path, set(), format="sider" if sider else "pairs")
        for line, row in enumerate(reader, start=2):
            out.rows += 1
            if sider and row.get("method") not in methods:
                out.filtered_rows += 1
                continue
            raw_drug = (row.get(drug_col) or "").strip()
            if sider:
                raw_diseases = [row.get("umls_cui_from_meddra") or "", row.get("umls_cui_from_label") or ""]
                candidates = [_curie(d, "UMLS") for d in raw_diseases if d.strip()]
            else:
                raw = (row.get(disease_col) or "").strip()  # type: ignore[arg-type]
                candidates = [raw] if raw else []
            if not raw_drug or not candidates:
                log.warning("%s:%d: empty drug or disease field; row skipped", path, line)
                out.unresolved_drugs["<empty>"] += not raw_drug
                out.unresolved_diseases["<empty>"] += not candidates
                continue
            drug = resolver.drug(_curie(raw_drug, "DRUGBANK"))
            disease = next((d for d in (resolver.disease(c) for c in candidates) if d), None)
            if drug is None:
                out.unresolved_drugs[raw_drug] += 1
            if disease is None:
                out.unresolved_diseases[candidates[0]] += 1
            if drug is None or disease is None:
                continue
            out.kept_rows += 1
            out.pairs.add((drug, disease))
    return out


@dataclass
class UniverseSet:
    """The drugs and diseases (export indices, sorted) whose every pair is ranked."""

    name: str
    drugs: np.ndarray
    diseases: np.ndarray


def universe_of(store: GraphStore, export: GraphExport, name: Universe) -> UniverseSet:
    """``hetionet``: Drug and Disease nodes that Hetionet contributed (1,552 × 137 in v1.0); ``indicated``: the
    candidate drugs × diseases with a TREATS or PALLIATES edge; ``all``: the candidate drugs × every disease."""
    from pmkg.gnn import TARGET
    from pmkg.gnn.candidates import prediction_candidates

    if name not in UNIVERSES:
        raise ValueError(f"universe must be one of {', '.join(UNIVERSES)}; got {name!r}")
    if name == "hetionet":
        index = {label: export.index(label) for label in ("Drug", "Disease")}
        picked = {}
        for label in ("Drug", "Disease"):
            rows = store.run(
                f"MATCH (n:{label}) WHERE $source IN coalesce(n.sources, [n.source]) RETURN n.id AS id",
                {"source": HETIONET_SOURCE},
            )
            picked[label] = np.array(sorted(index[label][r["id"]] for r in rows if r["id"] in index[label]))
        if not picked["Drug"].size or not picked["Disease"].size:
            raise ValueError("the graph has no Hetionet drugs or diseases: ingest hetionet, or pick another --universe")
        return UniverseSet(name, picked["Drug"], picked["Disease"])
    cands = prediction_candidates(export, TARGET, "all" if name == "all" else "indicated")
    return UniverseSet(name, cands.src, cands.dst)


@dataclass
class ExternalReport:
    """What ``pmkg evaluate --external`` measured, and where it wrote it."""

    model_version: str
    universe: str
    metrics: dict[str, dict[str, float]]
    indications: dict[str, Any]
    protocol: dict[str, Any]
    out_dir: Path | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"model_version": self.model_version, "universe": self.universe, "metrics": self.metrics,
                "indications": self.indications, "protocol": self.protocol, "seconds": self.seconds}


def evaluate_external(
    store: GraphStore,
    model_dir: Path,
    list_path: Path,
    universe: Universe = "hetionet",
    data_dir: Path | None = None,
    baselines: tuple[str, ...] = ("degree_prior", "dwpc"),
    n_boot: int = 1000,
    seed: int = 0,
    out_dir: Path | None = None,
    progress: bool = True,
    methods: tuple[str, ...] = SIDER_METHODS,
) -> ExternalReport:
    """Score the model in ``model_dir`` and ``baselines`` on every ``universe`` pair; rank the list's pairs.

    ``data_dir`` holds the alias tables the resolver reads (the ingest's data folder); without it only CURIEs
    already in the graph's own prefixes resolve.
    """
    from pmkg.gnn.artifacts import load_model
    from pmkg.gnn.baselines import degree_product_scores
    from pmkg.gnn.candidates import Candidates
    from pmkg.gnn.dwpc import dwpc_scores
    from pmkg.gnn.external import external_metrics
    from pmkg.gnn.predict import score_candidates
    from pmkg.gnn.train import holdout_drop, model_inputs

    t0 = time.perf_counter()
    loaded = load_model(model_dir)
    target = loaded.target
    export = export_graph(store, progress=progress)
    resolver = Resolver.from_data_dir(data_dir) if data_dir is not None else Resolver()
    indications = read_indication_list(list_path, resolver, methods)
    uni = universe_of(store, export, universe)
    cands = Candidates(uni.drugs, uni.diseases)
    shape = (cands.src.size, cands.dst.size)
    drug_index, disease_index = export.index(target[0]), export.index(target[2])
    in_graph = np.array([[drug_index.get(d, -1), disease_index.get(s, -1)] for d, s in sorted(indications.pairs)])
    in_graph = in_graph.reshape(-1, 2).T
    outside_graph = int((in_graph < 0).any(axis=0).sum())
    mapped, outside_universe = cands.restrict(in_graph[:, (in_graph >= 0).all(axis=0)])
    positives = np.zeros(shape, dtype=bool)
    positives[mapped[0], mapped[1]] = True
    # The model's training pairs are no test of it: removed from the universe (Rephetio's protocol).
    trained = loaded.split.train
    universe_mask = np.ones(shape, dtype=bool)
    known, _ = cands.restrict(trained)
    universe_mask[known[0], known[1]] = False
    scores = {"gnn": score_candidates(loaded.model, loaded.graph(export, strict=False), cands)}
    n_src, n_dst = export.num_nodes(target[0]), export.num_nodes(target[2])
    if "degree_prior" in baselines:
        scores["degree_prior"] = degree_product_scores(trained, n_src, n_dst)[np.ix_(cands.src, cands.dst)]
    if "dwpc" in baselines:
        inputs = model_inputs(export, loaded.config)  # the baseline reads what the model reads
        drop = holdout_drop(inputs, target, loaded.split, loaded.config.holdout_drop_pair_edges)
        scores["dwpc"], _ = dwpc_scores(inputs, drop, target, trained, cands, seed=seed)
    metrics = external_metrics(scores, positives, universe_mask, reference="degree_prior" if
                               "degree_prior" in scores else None, n_boot=n_boot, seed=seed)
    if "dwpc" in scores:
        versus_dwpc = external_metrics({"gnn": scores["gnn"], "dwpc": scores["dwpc"]}, positives, universe_mask,
                                       reference="dwpc", n_boot=n_boot, seed=seed)["gnn"]
        metrics["gnn"].update({f"{k}_vs_dwpc": v for k, v in versus_dwpc.items() if k.startswith(("delta", "p_"))})
    summary = indications.summary()
    summary.update(pairs_outside_graph=outside_graph, pairs_outside_universe=outside_universe,
                   positives_in_universe=int((positives & universe_mask).sum()),
                   positives_removed_as_training_pairs=int((positives & ~universe_mask).sum()))
    protocol = {
        "universe": universe, "drugs": int(cands.src.size), "diseases": int(cands.dst.size),
        "pairs_ranked": int(universe_mask.sum()), "training_pairs_removed": int((~universe_mask).sum()),
        "bootstrap": f"{n_boot} draws of the diseases with replacement (seed {seed})",
        "sider_methods": list(methods) if indications.format == "sider" else None,
    }
    report = ExternalReport(loaded.model_version, universe, metrics, summary, protocol, out_dir,
                            time.perf_counter() - t0)
    if out_dir is not None:
        write_external_report(report, scores, positives, universe_mask, out_dir)
        (Path(model_dir) / "external-validation.json").write_text(json.dumps(report.to_dict(), indent=2))
    return report


MODEL_LABELS = {"gnn": "pmkg model", "degree_prior": "degree-product prior", "dwpc": "DWPC + logistic regression"}


def render_markdown(report: ExternalReport) -> str:
    """The report as Markdown: protocol, the list's resolution counts, and one row per scorer."""
    p, ind = report.protocol, report.indications
    rows = []
    for name, m in report.metrics.items():
        delta = ""
        if "delta_auroc" in m:
            delta = f"{m['delta_auroc']:+.3f} [{m['delta_auroc_lo']:+.3f}, {m['delta_auroc_hi']:+.3f}]"
        rows.append(
            f"| {MODEL_LABELS.get(name, name)} | {m['auroc']:.3f} [{m['auroc_lo']:.3f}, {m['auroc_hi']:.3f}] | "
            f"{m['auprc']:.4f} | {m['recall@10']:.3f} | {m['recall@100']:.3f} | {delta or '—'} |"
        )
    return f"""# External validation of `{report.model_version}`

List: `{ind['path']}` ({ind['format']}): {ind['rows']:,} rows, {ind['filtered_rows']:,} filtered out by method,
{ind['kept_rows']:,} resolved to {ind['pairs']:,} drug–disease pairs; {ind['unresolved_drug_rows']:,} rows with an
unresolved drug, {ind['unresolved_disease_rows']:,} with an unresolved disease;
{ind['pairs_outside_graph']:,} pairs outside the graph and {ind['pairs_outside_universe']:,} outside the universe;
{ind['positives_removed_as_training_pairs']:,} pairs removed because the model trained on them.
**{ind['positives_in_universe']:,} positives** remain.

Protocol: universe `{p['universe']}` ({p['drugs']:,} drugs × {p['diseases']:,} diseases), {p['pairs_ranked']:,} pairs
ranked after removing the {p['training_pairs_removed']:,} training pairs; every other universe pair is a negative.
AUROC/AUPRC over all pairs at once; Recall@k per disease over min(k, positives), averaged over diseases with a
positive. Intervals: 95%, {p['bootstrap']}; Δ AUROC is paired against the degree prior on the same draws.

| model | AUROC [95% CI] | AUPRC | Recall@10 | Recall@100 | Δ AUROC vs prior [95% CI] |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Prevalence of positives among ranked pairs: {next(iter(report.metrics.values()))['prevalence']:.4%}.
"""


def write_external_report(
    report: ExternalReport, scores: dict[str, np.ndarray], positives: np.ndarray, universe: np.ndarray, out_dir: Path
) -> None:
    """``report.md``, ``metrics.json`` and ``roc.png`` in ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pmkg.gnn.external import roc_points

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(report.to_dict(), indent=2))
    (out_dir / "report.md").write_text(render_markdown(report) + "\n![ROC](roc.png)\n")
    labels = positives[universe]
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, block in scores.items():
        fpr, tpr = roc_points(labels, np.asarray(block)[universe])
        ax.plot(fpr, tpr, label=f"{MODEL_LABELS.get(name, name)} ({report.metrics[name]['auroc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_title(f"External indications, universe {report.universe}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "roc.png", dpi=120)
    plt.close(fig)
