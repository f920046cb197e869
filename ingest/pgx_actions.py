"""What a CPIC or DPWG recommendation asks the prescriber to do: its action, read by a stated rule.

The rule, in order (the first step that applies decides):

1. ``classification`` "No recommendation" -> ``no recommendation``.
2. A recommendation listed in the curated decision table (``pgx_action_decisions.tsv``, next to this module)
   -> the action recorded there. The table holds every reading that needed a human decision, each with its reason.
3. Every gene of the lookup key has a **normal** result (Normal Metabolizer, Normal Function, Normal; an activity
   score counts as normal when the body's own phenotype map names it so) -> ``standard``. A normal result never
   flags a drug; the few guidelines whose text really changes the prescription for a normal result are in the
   table (step 2), e.g. tacrolimus for a CYP3A5 expresser.
4. Otherwise the first sentence of the advice is read with keywords (:func:`keyword_action`), and then reconciled
   with the guideline's structured flags: a reading of ``standard`` or ``see text`` for a recommendation that
   PharmGKB marks ``dosingInformation`` becomes ``adjust dose`` ("Use 1.25 times the standard dose" mentions the
   standard dose and changes it), and one marked only ``alternateDrugAvailable`` becomes ``use alternative``.

Actions, strongest first: ``avoid``, ``use alternative``, ``adjust dose``, ``see text``, ``standard``,
``no recommendation``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DECISIONS_FILE = Path(__file__).with_name("pgx_action_decisions.tsv")
DECISION_COLUMNS = ("recommendation_id", "guideline", "lookup_key", "keyword_reading", "action", "reason")
ACTIONS = ("avoid", "use alternative", "adjust dose", "see text", "standard", "no recommendation")

# PharmCAT's phenotype maps call the reference state of every gene one of these; HLA "negative" and MT-RNR1
# "normal risk" results are reference states too.
NORMAL_RESULTS = frozenset({"Normal Metabolizer", "Normal Function", "Normal"})
_NORMAL_KEY = re.compile(r"\((?:Normal Metabolizer|Normal Function)\)$|^normal risk of |^\*\d+:\d+ negative$")

# Checked in order on the first sentence, lower-cased; the first pattern that matches names the action.
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("no recommendation", re.compile(r"^no recommendation|does not provide a recommendation")),
    (
        "standard",
        re.compile(
            r"\bno (?:dose )?adjustments? (?:is |are )?(?:needed|required)|no action|no need to|no indication to change"
            r"|no reason to avoid|prescribe (?:the )?desired starting dose"
        ),
    ),
    ("avoid", re.compile(r"(?<!to )\bavoid\b|\bnot recommended\b|\bcontra-?indicated\b|\bdo not (?:use|prescribe)\b")),
    ("use alternative", re.compile(r"\balternative\b|\bnot (?:predominantly )?metabolized by\b")),
    ("adjust dose", re.compile(r"\b(?:reduc|increas|decreas|titrat)\w*|do not exceed|\b(?:lower|higher)\b|\d\s?%")),
    ("standard", re.compile(r"\bstandard\b|label[- ]recommended|recommended starting dose|\bnormal dose")),
    ("adjust dose", re.compile(r"\bdose\b|\bdosing\b|\bmg\b")),
)
_CO_MEDICATION = re.compile(r"^avoid [^.;]*\binhibitors?\b[^.;]*[.;]?$")


@dataclass(frozen=True)
class Decision:
    """One row of the curated table: a reading a person decided, and why."""

    recommendation_id: str
    guideline: str
    lookup_key: str
    keyword_reading: str
    action: str
    reason: str


@dataclass(frozen=True)
class RecommendationFacts:
    """The fields of a recommendation the rule reads."""

    id: str
    text: str
    classification: str | None
    lookup_key: tuple[tuple[str, str], ...]
    dosing_information: bool
    alternate_drug_available: bool
    normal: bool  # every gene of the lookup key has a normal result


def keyword_action(text: str, classification: str | None = None) -> str:
    """The keyword reading of the advice's first sentence (step 4 before the flags); 'see text' if nothing matches.

    The first sentence of the first paragraph, or of the second when the first is a condition ending in ``:``.
    """
    if classification == "No recommendation":
        return "no recommendation"
    lines = text.strip().split("\n")
    # DPWG often opens with a condition ("DOSES HIGHER THAN 20 mg ...:"); the advice is the line after it.
    line = lines[1] if len(lines) > 1 and lines[0].rstrip().endswith(":") else lines[0]
    sentences = re.split(r"(?<=[.;])\s", line, maxsplit=1)
    first = sentences[0].lower()
    # "Avoid moderate and strong CYP2D6 inhibitors." is about co-medication (CPIC tamoxifen); the advice on the
    # drug itself is the next sentence.
    if _CO_MEDICATION.match(first) and len(sentences) > 1:
        first = re.split(r"(?<=[.;])\s", sentences[1], maxsplit=1)[0].lower()
    for action, pattern in _KEYWORDS:
        if pattern.search(first):
            return action
    return "see text"


def is_normal_key(value: str, normal_keys: frozenset[str] = frozenset()) -> bool:
    """True for a lookup-key value that names a normal result, or that the body's map lists as normal."""
    return value in NORMAL_RESULTS or value in normal_keys or bool(_NORMAL_KEY.search(value))


def read_action(facts: RecommendationFacts, decisions: Mapping[str, Decision] | None = None) -> str:
    """The recommendation's action by the rule in this module's docstring."""
    if facts.classification == "No recommendation":
        return "no recommendation"
    decision = (decisions if decisions is not None else curated_decisions()).get(facts.id)
    if decision is not None:
        return decision.action
    if facts.normal:
        return "standard"
    action = keyword_action(facts.text, facts.classification)
    if action in ("standard", "see text"):
        if facts.dosing_information:
            return "adjust dose"
        if facts.alternate_drug_available:
            return "use alternative"
    return action


@cache
def curated_decisions(path: Path = DECISIONS_FILE) -> dict[str, Decision]:
    """The curated table, keyed by recommendation id; a malformed row raises with its line and field."""
    decisions: dict[str, Decision] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.reader((line for line in fh if not line.startswith("#")), delimiter="\t")
        header = next(rows)
        if tuple(header) != DECISION_COLUMNS:
            raise ValueError(f"{path}: header must be {'/'.join(DECISION_COLUMNS)}, got {'/'.join(header)}")
        for number, row in enumerate(rows, start=2):
            if len(row) != len(DECISION_COLUMNS):
                raise ValueError(f"{path}: row {number} has {len(row)} fields, expected {len(DECISION_COLUMNS)}")
            decision = Decision(*row)
            if decision.action not in ACTIONS:
                raise ValueError(f"{path}: row {number}, field action: {decision.action!r} is not one of {ACTIONS}")
            if decision.recommendation_id in decisions:
                raise ValueError(f"{path}: row {number}: recommendation {decision.recommendation_id} listed twice")
            decisions[decision.recommendation_id] = decision
    return decisions
