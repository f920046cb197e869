"""DrugCentral drug-drug interactions as undirected ``Drug-INTERACTS_WITH-Drug {risk}`` edges.

Upstream (``drugcentral-ddi/drug_interactions.csv``, DrugCentral of 2018-06-21 as exported by PreDDI; see its
SOURCE.md): comma-separated, header ``id1,id2,ddi_risk``, DrugBank ids. DrugCentral records interactions between
drug **classes**; the export expanded each class to its member drugs, so a row says "a drug of one class and a drug
of the other interact at this risk", not a curated statement about the pair.

Mapping:

* One edge per unordered pair, stored once from the lower to the higher id (``directed: false``; query it without
  a direction). Rows of one pair in both orders, or with several risks (a pair in several interacting classes),
  merge: ``risk`` is the most severe (:data:`RISK_ORDER`), ``risks`` lists every one, ``rows`` counts them.
* A drug paired with itself (it belongs to both classes) is counted (``self-pair``) and skipped.
* A malformed row (not three fields, an id that is not ``DB#####``, an unknown risk class) is skipped with a warning
  naming file, line and field. DrugBank ids are canonical drug ids in pmkg, so nothing else is resolved; an edge to a
  drug no other source created is counted by the writer, as for every source.

:func:`load_interactions` gives the same table without a graph, for scoring a patient's current medications.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, open_text, sha256_of
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord

SOURCE = SourceInfo(
    name="drugcentral-ddi",
    version="2018-06-21",
    license="CC BY-SA (DrugCentral, Ursu O. et al., Nucleic Acids Res 45(D1):D932-D939, 2017); "
    "derivatives must be shared under the same licence",
    url="https://drugcentral.org/download",
)
FILES = ["drugcentral-ddi/drug_interactions.csv"]
HEADER = ["id1", "id2", "ddi_risk"]
# Most severe first. A warning at or above "Avoid combination" is shown first; "Contraindicated" holds a drug back.
RISK_ORDER = ("Contraindicated", "Critical", "Avoid combination", "Significant", "Potentially significant")
WARNING_RISKS = frozenset(RISK_ORDER[:3])
HOLDING_RISK = "Contraindicated"
EVIDENCE = "DrugCentral class-level interaction (both drugs are members of interacting classes)"
SKIP_SELF = "self-pair (a drug in two interacting classes)"
SKIP_MALFORMED = "malformed row"
_DRUGBANK = re.compile(r"^DB\d{5}$")


@dataclass
class Interaction:
    """What DrugCentral says about one unordered pair of drugs (CURIEs, ``a < b``)."""

    a: str
    b: str
    risks: set[str] = field(default_factory=set)
    rows: int = 0

    @property
    def risk(self) -> str:
        return min(self.risks, key=RISK_ORDER.index)

    def partner(self, drug: str) -> str:
        return self.b if drug == self.a else self.a


@dataclass
class InteractionTable:
    """Every pair, and each drug's pairs, so a patient's medications are checked against a drug in one look-up."""

    pairs: dict[tuple[str, str], Interaction]
    by_drug: dict[str, list[Interaction]]

    def between(self, drug: str, others: Iterable[str]) -> list[Interaction]:
        """The interactions of ``drug`` with any of ``others``, most severe first."""
        wanted = set(others) - {drug}
        found = [i for i in self.by_drug.get(drug, ()) if i.partner(drug) in wanted]
        return sorted(found, key=lambda i: (RISK_ORDER.index(i.risk), i.partner(drug)))


def _rows(path: Path, result: IngestResult) -> Iterator[tuple[str, str, str]]:
    with open_text(path, result) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != HEADER:
            raise IngestError(
                f"{path}: line 1: expected the header {','.join(HEADER)}, got {header}; is this DrugCentral's file?"
            )
        for line, row in enumerate(reader, start=2):
            result.rows_read[path.name] += 1
            where = f"{path}:{line}"
            if len(row) != 3:
                result.skip(where, f"{len(row)} fields, expected 3 ({','.join(HEADER)}); row skipped", SKIP_MALFORMED)
                continue
            id1, id2, risk = (value.strip() for value in row)
            bad = next((name for name, value in (("id1", id1), ("id2", id2)) if not _DRUGBANK.match(value)), None)
            if bad is not None:
                result.skip(where, f"field {bad} is not a DrugBank id (DB#####); row skipped", SKIP_MALFORMED)
                continue
            if risk not in RISK_ORDER:
                result.skip(where, f"field ddi_risk is not one of {', '.join(RISK_ORDER)}; row skipped", SKIP_MALFORMED)
                continue
            if id1 == id2:
                result.skipped[SKIP_SELF] += 1
                continue
            yield id1, id2, risk


def read_interactions(path: Path, result: IngestResult) -> InteractionTable:
    pairs: dict[tuple[str, str], Interaction] = {}
    for id1, id2, risk in _rows(path, result):
        a, b = sorted((f"DRUGBANK:{id1}", f"DRUGBANK:{id2}"))
        interaction = pairs.setdefault((a, b), Interaction(a, b))
        interaction.risks.add(risk)
        interaction.rows += 1
    by_drug: dict[str, list[Interaction]] = {}
    for interaction in pairs.values():
        by_drug.setdefault(interaction.a, []).append(interaction)
        by_drug.setdefault(interaction.b, []).append(interaction)
    return InteractionTable(pairs, by_drug)


def load_interactions(data_dir: Path) -> InteractionTable:
    """The interaction table of ``data_dir/drugcentral-ddi`` (malformed rows are left out, as ingest does)."""
    path = find_file(data_dir, SOURCE, FILES)
    return read_interactions(path, IngestResult(SOURCE))


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    result = IngestResult(SOURCE)
    path = find_file(data_dir, SOURCE, FILES)
    result.files[str(path)] = sha256_of(path)
    table = read_interactions(path, result)
    prov = SOURCE.provenance.as_props()
    for (a, b), interaction in sorted(table.pairs.items()):
        props = {
            **prov,
            "risk": interaction.risk,
            "risks": sorted(interaction.risks, key=RISK_ORDER.index),
            "rows": interaction.rows,
            "directed": False,
            "evidence": EVIDENCE,
        }
        result.edges.append(EdgeRecord("INTERACTS_WITH", "Drug", a, "Drug", b, props))
    return result
