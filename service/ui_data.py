"""What the triage page needs from the graph and the model directory that the other endpoints do not give.

Search by name, synonym, id or cross-reference (the named ``find_disease`` query matches names and synonyms only),
a disease's or drug's known indications with the edge kind (TREATS or PALLIATES) and its sources, and the model
card figures (cross-validation and external validation) read from the served model's directory.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pmkg.kg.store import GraphStore

log = logging.getLogger(__name__)
_HEADLINE = ("auroc", "auprc", "mrr", "recall@100")

Label = Literal["Disease", "Drug"]
# The labels and patterns are fixed strings chosen here, never request text, so formatting them into Cypher is safe.
_SEARCH = """
MATCH (n:{label})
WITH n, toLower(coalesce(n.name, '')) AS name, $text AS text,
     [s IN coalesce(n.synonyms, []) WHERE toLower(s) CONTAINS $text] AS synonyms,
     [x IN coalesce(n.xrefs, []) WHERE toLower(x) = $text] AS xrefs
WHERE toLower(n.id) = text OR name CONTAINS text OR size(synonyms) > 0 OR size(xrefs) > 0
WITH n, CASE WHEN toLower(n.id) = text THEN 'id'
             WHEN size(xrefs) > 0 THEN 'xref'
             WHEN name CONTAINS text THEN 'name'
             ELSE 'synonym' END AS matched_by,
     CASE WHEN toLower(n.id) = text THEN n.id
          WHEN size(xrefs) > 0 THEN head(xrefs)
          WHEN name CONTAINS text THEN n.name
          ELSE head(synonyms) END AS matched
WITH n, matched_by, matched,
     CASE WHEN matched_by IN ['id', 'xref'] OR toLower(matched) = $text THEN 0 ELSE 1 END AS inexact
ORDER BY inexact, size(matched), n.id
LIMIT $k
RETURN n.id AS id, n.name AS name, matched, matched_by,
       COUNT {{ (n){treats}(:{other}) }} AS treats, COUNT {{ (n){palliates}(:{other}) }} AS palliates
"""

_INDICATIONS = """
MATCH (n:{label} {{id: $id}})
OPTIONAL MATCH (n){edge}(m:{other})
WITH n, m, type(r) AS kind, collect(DISTINCT r.source) AS sources
RETURN n.id AS id, n.name AS name, coalesce(n.synonyms, []) AS synonyms, coalesce(n.xrefs, []) AS xrefs,
       m.id AS other_id, m.name AS other_name, kind, sources
ORDER BY kind DESC, other_name, other_id
"""

# Relationship patterns as seen from each label: indications point Drug -> Disease.
_PATTERNS: dict[str, dict[str, str]] = {
    "Disease": {
        "other": "Drug", "treats": "<-[:TREATS]-", "palliates": "<-[:PALLIATES]-", "edge": "<-[r:TREATS|PALLIATES]-",
    },
    "Drug": {
        "other": "Disease", "treats": "-[:TREATS]->", "palliates": "-[:PALLIATES]->", "edge": "-[r:TREATS|PALLIATES]->",
    },
}  # fmt: skip


@dataclass(frozen=True)
class SearchHit:
    id: str
    name: str | None
    matched: str | None
    matched_by: str  # id | xref | name | synonym
    treats: int
    palliates: int


@dataclass(frozen=True)
class Indication:
    id: str
    name: str | None
    kind: str  # treats | palliates
    sources: list[str]


@dataclass
class NodeCard:
    id: str
    name: str | None
    synonyms: list[str]
    xrefs: list[str]
    indications: list[Indication] = field(default_factory=list)


def search(store: GraphStore, label: Label, text: str, k: int) -> list[SearchHit]:
    """Nodes of ``label`` whose id or a cross-reference equals ``text``, or whose name or a synonym contains it.

    Exact matches first, then shorter names; case-insensitive.
    """
    query = _SEARCH.format(label=label, **_PATTERNS[label])
    rows = store.run(query, {"text": text.strip().lower(), "k": k})
    return [
        SearchHit(r["id"], r["name"], r["matched"], r["matched_by"], int(r["treats"]), int(r["palliates"]))
        for r in rows
    ]


def card(store: GraphStore, label: Label, curie: str) -> NodeCard | None:
    """The node's names and its known indications (TREATS before PALLIATES), or None when it is not in the graph."""
    rows = store.run(_INDICATIONS.format(label=label, **_PATTERNS[label]), {"id": curie})
    if not rows:
        return None
    first = rows[0]
    node = NodeCard(first["id"], first["name"], list(first["synonyms"]), list(first["xrefs"]))
    for row in rows:
        if row["other_id"] is not None:
            kind = "treats" if row["kind"] == "TREATS" else "palliates"
            sources = sorted(s for s in row["sources"] if s)
            node.indications.append(Indication(row["other_id"], row["other_name"], kind, sources))
    return node


def model_card_figures(model_dir: str | Path | None) -> dict[str, Any]:
    """Headline figures from the model directory, each None when its file is absent or unreadable.

    ``external``: ``external-validation.json`` (written by ``pmkg evaluate --external``); ``cross_validation``:
    the release model's mean and sd over folds; ``test``: a non-release model's held-out test metrics.
    """
    figures: dict[str, Any] = {"external": None, "cross_validation": None, "test": None}
    if model_dir is None:
        return figures
    directory = Path(model_dir)
    external = _read(directory / "external-validation.json")
    if external:
        scorers = external.get("metrics") or {}
        model, prior = scorers.get("gnn") or {}, scorers.get("degree_prior") or {}
        figures["external"] = {
            "auroc": model.get("auroc"), "auroc_lo": model.get("auroc_lo"), "auroc_hi": model.get("auroc_hi"),
            "degree_prior_auroc": prior.get("auroc"), "positives": model.get("n_pos"), "pairs": model.get("n_pairs"),
            "universe": external.get("universe"), "diseases": model.get("n_diseases"),
            "indication_list": (external.get("indications") or {}).get("format"),
        }  # fmt: skip
    metrics = _read(directory / "metrics.json") or {}
    # cv.summary: {scorer: {metric: [mean, sd]}} over the release model's folds; test: {scorer: {metric: value}}.
    cv = metrics.get("cv") or {}
    summary = (cv.get("summary") or {}).get("gnn") or {}
    if summary:
        figures["cross_validation"] = {
            "folds": len(cv.get("folds") or []),
            **{name: {"mean": summary[name][0], "sd": summary[name][1]} for name in _HEADLINE if name in summary},
        }
    test = (metrics.get("test") or {}).get("gnn") or {}
    if test:
        figures["test"] = {name: test[name] for name in _HEADLINE if name in test}
    return figures


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path.name, type(exc).__name__)
        return None
