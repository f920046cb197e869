"""The service's one adapter to a trained model: the rest of ``service/`` sees only :class:`ServingModel`.

:func:`load_serving_model` runs once at start-up. It reads the model directory (``gnn.artifacts``),
rebuilds the model's message-passing graph from one export of the graph, scores every candidate drug
(``gnn.candidates``: drugs with an edge besides an indication) against every Disease in one matrix
product, and keeps the score matrix, the calibration, the known indications, ids, names and
``model_version``. A request then only indexes into memory: a candidates call is one partial sort of one
column, a batch of pairs one vectorised comparison per pair against its disease's column.

If the model directory changes (new files, stored embeddings, another calibrator), this module is the only
one in the service to change.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from pmkg.kg.store import GraphStore

log = logging.getLogger(__name__)


class UnknownNode(LookupError):
    """A well-formed CURIE that is not a node the model scores."""

    def __init__(self, label: str, curie: str, model_version: str) -> None:
        super().__init__(
            f"{label} {curie} is not in the graph model {model_version} scores (or, for a drug, has no edge besides "
            "an indication, so it is not a candidate); check the id, or ingest it and retrain"
        )
        self.label = label
        self.curie = curie


@dataclass(frozen=True)
class PairScore:
    drug: str
    disease: str
    score: float  # model logit (DistMult, plus the path term of a hybrid model)
    probability: float | None  # calibrated (Platt) at the real prevalence; None without calibration.json
    rank: int  # the drug's rank among all candidate drugs for this disease (1 = best; ties by id order)
    known: bool  # an existing TREATS edge (indication) in the graph


class ServingModel:
    """Precomputed scores of one model over one graph, with the lookups the endpoints need."""

    def __init__(
        self,
        *,
        model_version: str,
        drug_ids: Sequence[str],
        disease_ids: Sequence[str],
        scores: np.ndarray,
        known_pairs: np.ndarray,
        calibration: Any | None,
        names: dict[str, str],
        details: dict[str, Any] | None = None,
    ) -> None:
        if scores.shape != (len(drug_ids), len(disease_ids)):
            raise ValueError(f"score matrix {scores.shape} does not match {len(drug_ids)} drugs x {len(disease_ids)}")
        if not np.isfinite(scores).all():
            raise ValueError(f"model {model_version} produced non-finite scores; retrain it")
        self.model_version = model_version
        self.drug_ids = list(drug_ids)
        self.disease_ids = list(disease_ids)
        self._drug_index = {c: i for i, c in enumerate(self.drug_ids)}
        self._disease_index = {c: j for j, c in enumerate(self.disease_ids)}
        self._scores = np.ascontiguousarray(scores, dtype=np.float32)
        self._known = np.zeros(scores.shape, dtype=bool)
        if known_pairs.size:
            self._known[known_pairs[0], known_pairs[1]] = True
        self._calibration = calibration
        self._names = names
        self.details = dict(details or {})

    @property
    def calibrated(self) -> bool:
        return self._calibration is not None

    def name(self, curie: str) -> str | None:
        return self._names.get(curie)

    def drug_index(self, curie: str) -> int:
        if curie not in self._drug_index:
            raise UnknownNode("drug", curie, self.model_version)
        return self._drug_index[curie]

    def disease_index(self, curie: str) -> int:
        if curie not in self._disease_index:
            raise UnknownNode("disease", curie, self.model_version)
        return self._disease_index[curie]

    def candidates(self, disease: str, k: int, include_known: bool = True) -> list[PairScore]:
        """The ``k`` best-scored drugs for ``disease``; with ``include_known=False`` indications are skipped."""
        j = self.disease_index(disease)
        eligible = None if include_known else ~self._known[:, j]
        order = top_k(self._scores[:, j], k, eligible)
        # Over all drugs, top_k's order is the ranking itself; skipping the rank computation saves a tenth of the
        # request's CPU (profiled under bench/bench_service.py).
        ranks = np.arange(1, order.size + 1) if eligible is None else None
        return self._pairs(order, np.full(order.size, j), ranks)

    def diseases_for_drug(
        self, drug: str, k: int, include_known: bool = True, by_rank: bool = False
    ) -> list[PairScore]:
        """The ``k`` diseases with the highest score (and so probability) for ``drug``.

        ``by_rank`` orders them instead by the drug's rank among all candidate drugs for each disease (ties:
        higher score first): the diseases for which this drug stands out, rather than those most often treated at all.
        """
        i = self.drug_index(drug)
        eligible = None if include_known else ~self._known[i]
        if not by_rank:
            order = top_k(self._scores[i], k, eligible)
            return self._pairs(np.full(order.size, i), order)
        every = np.arange(len(self.disease_ids))
        ranks = self._ranks(np.full(every.size, i), every)
        keep = every if eligible is None else every[eligible]
        order = keep[np.lexsort((keep, -self._scores[i, keep], ranks[keep]))][:k]
        return self._pairs(np.full(order.size, i), order)

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[PairScore | UnknownNode]:
        """Score each ``(drug, disease)``; an unknown id gives its :class:`UnknownNode` in that position."""
        results: list[PairScore | UnknownNode | None] = [None] * len(pairs)
        rows, cols, slots = [], [], []
        for slot, (drug, disease) in enumerate(pairs):
            try:
                i, j = self.drug_index(drug), self.disease_index(disease)
            except UnknownNode as missing:
                results[slot] = missing
                continue
            rows.append(i)
            cols.append(j)
            slots.append(slot)
        if slots:
            for slot, scored in zip(slots, self._pairs(np.asarray(rows), np.asarray(cols)), strict=True):
                results[slot] = scored
        return results  # type: ignore[return-value]

    def _ranks(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Rank of drug ``rows[p]`` among the candidate drugs for disease ``cols[p]``, as a stable sort would give."""
        values = self._scores[rows, cols]
        competitors = self._scores[:, cols]  # (drugs, pairs)
        better = (competitors > values).sum(axis=0)
        tied_before = ((competitors == values) & (np.arange(len(self.drug_ids))[:, None] < rows)).sum(axis=0)
        return better + tied_before + 1

    def _pairs(self, rows: np.ndarray, cols: np.ndarray, ranks: np.ndarray | None = None) -> list[PairScore]:
        values = self._scores[rows, cols]
        ranks = self._ranks(rows, cols) if ranks is None else ranks
        probabilities = self._probability(values)
        return [
            PairScore(self.drug_ids[i], self.disease_ids[j], float(v), _opt(p), int(r), bool(self._known[i, j]))
            for i, j, v, p, r in zip(rows, cols, values, probabilities, ranks, strict=True)
        ]

    def _probability(self, scores: np.ndarray) -> np.ndarray | list[None]:
        if self._calibration is None:
            return [None] * len(scores)
        return self._calibration.probability(scores)


def top_k(values: np.ndarray, k: int, eligible: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` largest ``values`` (among ``eligible``), descending, ties by the lower index.

    The same order as a stable sort of ``-values``, in O(n): one partition finds the k-th largest value, and
    only the entries at or above it are sorted. (Ties are common: drugs without edges share one embedding.)
    """
    index = np.arange(values.size) if eligible is None else np.flatnonzero(eligible)
    candidates = values[index]
    if k < candidates.size:
        kth = np.partition(candidates, candidates.size - k)[candidates.size - k]
        above = index[candidates > kth]
        tied = index[candidates == kth][: k - above.size]
        index = np.concatenate([above, tied])
    return index[np.lexsort((index, -values[index]))]


def _opt(value: float | None) -> float | None:
    return None if value is None else float(value)


def load_serving_model(model_dir: str | Path, store: GraphStore) -> ServingModel:
    """Read ``model_dir``, rebuild its message-passing graph from ``store`` and score every pair once.

    Raises ``ValueError``/``FileNotFoundError`` with a message when the directory or the graph does not fit.
    """
    from pmkg.gnn import TARGET
    from pmkg.gnn.artifacts import load_model
    from pmkg.gnn.calibration import calibration_from_dict
    from pmkg.gnn.candidates import prediction_candidates
    from pmkg.gnn.predict import score_candidates
    from pmkg.kg.export import export_graph

    t0 = time.perf_counter()
    model_dir = Path(model_dir)
    loaded = load_model(model_dir)
    export = export_graph(store, progress=False)
    if export.node_ids != loaded.node_ids:
        raise ValueError(
            f"{model_dir}: the graph's nodes differ from the ones the model was trained on; point the service "
            "at that graph (PMKG_GRAPH_URI) or retrain on this one (`pmkg train`)"
        )
    try:
        data = loaded.graph(export, strict=True)
        same_graph = True
    except ValueError:
        # Same nodes, changed edges: serve the model applied to today's graph, and say so.
        data = loaded.graph(export, strict=False)
        same_graph = False
        log.warning("model %s: the graph's edges changed since training; scoring today's graph", loaded.model_version)
    # The same pairs as `pmkg predict --diseases all`: candidate drugs x every disease, so ranks agree.
    cands = prediction_candidates(export, TARGET, "all")
    scores = score_candidates(loaded.model, data, cands)
    calibration_file = model_dir / "calibration.json"
    calibration = (
        calibration_from_dict(json.loads(calibration_file.read_text())) if calibration_file.is_file() else None
    )
    drug_label, _, disease_label = TARGET
    names = {
        curie: name
        for label in (drug_label, disease_label)
        for curie, name in zip(export.node_ids[label], export.node_names.get(label, []), strict=False)
    }
    known, _ = cands.restrict(export.edges.get(TARGET, np.zeros((2, 0), dtype=np.int64)))
    model = ServingModel(
        model_version=loaded.model_version,
        drug_ids=[export.node_ids[drug_label][i] for i in cands.src],
        disease_ids=[export.node_ids[disease_label][j] for j in cands.dst],
        scores=scores,
        known_pairs=known,
        calibration=calibration,
        names=names,
        details={"graph_matches_training": same_graph, "model_dir": str(model_dir)},
    )
    log.info(
        "model %s: %d drugs x %d diseases scored in %.1f s",
        model.model_version, len(model.drug_ids), len(model.disease_ids), time.perf_counter() - t0,
    )
    return model
