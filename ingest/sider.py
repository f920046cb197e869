"""SIDER 4.1: side effects found on drug labels, with their frequencies, as ``Drug-CAUSES_SIDE_EFFECT-SideEffect``.

Upstream format (see SIDER's README; the two gz files have no header):

* ``meddra_all_se.tsv.gz``: STITCH flat id, STITCH stereo id, UMLS CUI found on the label, MedDRA concept type
  (``LLT``, ``PT`` or empty), UMLS CUI of the MedDRA term, its name. Every term found on a label comes as an
  ``LLT`` row plus one ``PT`` row per preferred term it falls under (the PT may equal the LLT).
* ``meddra_freq.tsv.gz``: the same ids, then ``placebo`` or empty, a frequency description (``postmarketing``,
  ``rare``, ``21%`` ...), its lower and upper bound (0..1), then the MedDRA columns as above.
* ``side-effect-terms.tsv`` (dhimmel/SIDER4, headed ``umls_cui_from_meddra side_effect_name``): the SIDER side-effect
  vocabulary that Hetionet's ``SideEffect`` nodes were built from.

Mapping:

* Side effects are MedDRA preferred terms. Only ``PT`` rows make edges, so a label term and its synonyms (LLTs)
  under one PT give one edge per (drug, PT); ``LLT`` rows and rows of neither type (MedDRA group terms without a
  CUI) are counted as skipped. ``SideEffect`` nodes (``UMLS:C...``) are the terms of ``side-effect-terms.tsv`` plus
  any PT of ``meddra_all_se`` it lacks, named as upstream.
* STITCH ids encode PubChem CIDs: ``CID1xxxxxxxx`` (flat: stereo-isomers merged) and ``CID0xxxxxxxx`` (stereo: the
  compound itself); both give the CID as the number after the first digit. The stereo CID is tried first (it is
  the compound on the label: levalbuterol, not salbutamol), then the flat one, each as
  ``PUBCHEM.COMPOUND:<cid>`` through DrugCentral's identifiers. A compound neither resolves is counted once
  (kind ``drug PubChem CID (STITCH)``) and its rows are counted as skipped. Several STITCH compounds that resolve to
  one drug give one edge per side effect, listing them in ``stitch_ids``.
* Frequencies (``PT`` rows of ``meddra_freq``) join their edge: ``frequency`` lists the distinct descriptions,
  ``frequency_lower`` / ``frequency_upper`` are the lowest lower and highest upper bound over all of them (labels
  report several trials and severities). Rows marked ``placebo`` give the frequency in the placebo arm and go to
  ``placebo_frequency``, ``placebo_frequency_lower``, ``placebo_frequency_upper`` instead, so the drug's own
  frequency is never mixed with placebo's. Edges without frequency rows (most) have none of these properties.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, open_text, read_tsv, sha256_of
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="sider",
    version="4.1",
    license="CC BY-NC-SA 4.0 (Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International)",
    url="http://sideeffects.embl.de/download/",
)
SE_FILES = ["sider/meddra_all_se.tsv.gz", "sider/meddra_all_se.tsv"]
FREQ_FILES = ["sider/meddra_freq.tsv.gz", "sider/meddra_freq.tsv"]
TERM_FILES = ["sider/side-effect-terms.tsv"]
EVIDENCE = "drug label"

_STITCH = re.compile(r"^CID[01]\d{8}$")
_CUI = re.compile(r"^C\d{7}$")
_SE_COLUMNS = 6
_FREQ_COLUMNS = 10
UNRESOLVED_KIND = "drug PubChem CID (STITCH)"
SKIP_LLT = "LLT row (its PT row carries the pair)"
SKIP_NO_TERM = "neither LLT nor PT (MedDRA group term)"
SKIP_UNRESOLVED = "row of a compound no drug id resolves"


@dataclass
class _Frequencies:
    descriptions: list[str] = field(default_factory=list)
    lower: float | None = None
    upper: float | None = None

    def add(self, description: str, lower: float, upper: float) -> None:
        if description not in self.descriptions:
            self.descriptions.append(description)
        self.lower = lower if self.lower is None else min(self.lower, lower)
        self.upper = upper if self.upper is None else max(self.upper, upper)


@dataclass
class _Pair:
    stitch_ids: set[str] = field(default_factory=set)
    label_terms: set[str] = field(default_factory=set)
    drug: _Frequencies = field(default_factory=_Frequencies)
    placebo: _Frequencies = field(default_factory=_Frequencies)


def pubchem_cid(stitch_id: str) -> str:
    """``'CID100002244'`` or ``'CID000002244'`` -> ``'2244'``: the digit after ``CID`` says flat or stereo."""
    return str(int(stitch_id[4:]))


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    result = IngestResult(SOURCE)
    se_path = find_file(data_dir, SOURCE, SE_FILES)
    freq_path = find_file(data_dir, SOURCE, FREQ_FILES)
    terms_path = find_file(data_dir, SOURCE, TERM_FILES)
    compounds = _CompoundResolver(resolver, result)
    names = _read_terms(terms_path, result)
    pairs: dict[tuple[str, str], _Pair] = {}
    for line_number, row in _read_meddra(se_path, _SE_COLUMNS, "meddra_all_se", result):
        flat, stereo, label_cui, concept_type, cui, name = row
        if not _meddra_pt(se_path, line_number, concept_type, cui, result):
            continue
        names.setdefault(cui, name)
        drug = compounds.drug(flat, stereo)
        if drug is None:
            result.skipped[SKIP_UNRESOLVED] += 1
            continue
        pair = pairs.setdefault((drug, cui), _Pair())
        pair.stitch_ids |= {flat, stereo}
        if _CUI.match(label_cui):
            pair.label_terms.add(f"UMLS:{label_cui}")
    for line_number, row in _read_meddra(freq_path, _FREQ_COLUMNS, "meddra_freq", result):
        flat, stereo, _label_cui, placebo, description, lower_text, upper_text, concept_type, cui, _name = row
        if not _meddra_pt(freq_path, line_number, concept_type, cui, result):
            continue
        where = f"{freq_path}:{line_number}"
        bounds = _bounds(where, lower_text, upper_text, result)
        if bounds is None:
            continue
        if placebo not in ("", "placebo"):
            result.skipped["unknown placebo flag"] += 1
            result.warn(where, f"column 4 is {placebo!r}, expected 'placebo' or empty; row skipped")
            continue
        drug = compounds.drug(flat, stereo)
        if drug is None:
            result.skipped[SKIP_UNRESOLVED] += 1
            continue
        pair = pairs.get((drug, cui))
        if pair is None:
            result.skipped["frequency of a pair meddra_all_se lacks"] += 1
            result.warn(where, f"{flat}/{stereo} and {cui} have no meddra_all_se row; frequency row skipped")
            continue
        (pair.placebo if placebo else pair.drug).add(description, *bounds)
    prov = SOURCE.provenance.as_props()
    for cui, name in names.items():
        result.nodes.append(NodeRecord("SideEffect", f"UMLS:{cui}", {"name": name, **prov}))
    for (drug, cui), pair in pairs.items():
        props = {
            "stitch_ids": sorted(pair.stitch_ids),
            "label_terms": sorted(pair.label_terms),
            "evidence": EVIDENCE,
            **_frequency_props("frequency", pair.drug),
            **_frequency_props("placebo_frequency", pair.placebo),
            **prov,
        }
        result.edges.append(EdgeRecord("CAUSES_SIDE_EFFECT", "Drug", drug, "SideEffect", f"UMLS:{cui}", props))
    result.files = {str(path): sha256_of(path) for path in (se_path, freq_path, terms_path)}
    return result


class _CompoundResolver:
    """STITCH (flat, stereo) -> canonical drug, stereo CID first; each unresolved compound is counted once."""

    def __init__(self, resolver: Resolver, result: IngestResult):
        self.resolver, self.result = resolver, result
        self.cache: dict[tuple[str, str], str | None] = {}

    def drug(self, flat: str, stereo: str) -> str | None:
        key = (flat, stereo)
        if key not in self.cache:
            found = self.resolver.drug(f"PUBCHEM.COMPOUND:{pubchem_cid(stereo)}")
            found = found or self.resolver.drug(f"PUBCHEM.COMPOUND:{pubchem_cid(flat)}")
            if found is None:
                self.result.note_unresolved(
                    UNRESOLVED_KIND, f"PUBCHEM.COMPOUND:{pubchem_cid(stereo)} ({stereo}, flat {flat})"
                )
            self.cache[key] = found
        return self.cache[key]


def _meddra_pt(path: Path, line_number: int, concept_type: str, cui: str, result: IngestResult) -> bool:
    """Is this a usable preferred-term row? Other rows are counted (and warned about when malformed)."""
    if concept_type == "PT" and _CUI.match(cui):
        return True
    if concept_type == "LLT":
        result.skipped[SKIP_LLT] += 1
        return False
    if concept_type == "":
        result.skipped[SKIP_NO_TERM] += 1
        return False
    where = f"{path}:{line_number}"
    if concept_type != "PT":
        result.skipped["unknown MedDRA concept type"] += 1
        result.warn(where, f"MedDRA concept type {concept_type!r} is not LLT, PT or empty; row skipped")
        return False
    result.skipped["malformed UMLS CUI"] += 1
    result.warn(where, f"MedDRA term CUI {cui!r} is not C followed by 7 digits; row skipped")
    return False


def _bounds(where: str, lower_text: str, upper_text: str, result: IngestResult) -> tuple[float, float] | None:
    try:
        lower, upper = float(lower_text), float(upper_text)
    except ValueError:
        result.skipped["malformed frequency bound"] += 1
        result.warn(where, f"frequency bounds {lower_text!r}, {upper_text!r} are not numbers; row skipped")
        return None
    if not 0.0 <= lower <= upper <= 1.0:
        # SIDER has a few of these (``1-0%`` parsed as 0.01..0): a range that cannot be right is not guessed at.
        result.skipped["frequency bounds out of order or outside 0..1"] += 1
        result.warn(where, f"frequency bounds {lower_text}..{upper_text} are not 0 <= lower <= upper <= 1; row skipped")
        return None
    return lower, upper


def _frequency_props(prefix: str, frequencies: _Frequencies) -> dict[str, object]:
    if not frequencies.descriptions:
        return {}
    return {
        prefix: sorted(frequencies.descriptions),
        f"{prefix}_lower": frequencies.lower,
        f"{prefix}_upper": frequencies.upper,
    }


def _read_terms(path: Path, result: IngestResult) -> dict[str, str]:
    names: dict[str, str] = {}
    for line_number, row in read_tsv(path, ["umls_cui_from_meddra", "side_effect_name"], result):
        cui, name = row["umls_cui_from_meddra"].strip(), row["side_effect_name"].strip()
        if not _CUI.match(cui) or not name:
            result.skipped["malformed side-effect term"] += 1
            result.warn(f"{path}:{line_number}", f"expected a UMLS CUI and a name, got {cui!r}, {name!r}; row skipped")
            continue
        names.setdefault(cui, name)
    return names


def _read_meddra(path: Path, columns: int, what: str, result: IngestResult) -> Iterator[tuple[int, list[str]]]:
    """``(line number, values)`` of a headerless SIDER file; a first row unlike SIDER's refuses the file."""
    try:
        yield from _meddra_rows(path, columns, what, result)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{path}: not a readable file ({exc}); it may be truncated or corrupt, re-download it from {SOURCE.url}"
        ) from exc


def _meddra_rows(path: Path, columns: int, what: str, result: IngestResult) -> Iterator[tuple[int, list[str]]]:
    valid_ids: set[tuple[str, str]] = set()  # 1,556 compounds in 600k rows: check each id pair once
    rows = 0
    with open_text(path, result) as fh:
        first = True
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            values = line.rstrip("\r\n").split("\t")
            if first:
                first = False
                if len(values) != columns or not _STITCH.match(values[0]):
                    raise IngestError(
                        f"{path}:{line_number}: does not look like SIDER {what} (expected {columns} tab-separated "
                        f"columns starting with a STITCH id such as CID100002244, no header); found {values[:3]}. "
                        "Is this the right file?"
                    )
            rows += 1
            if len(values) != columns:
                result.skipped["wrong column count"] += 1
                result.warn(f"{path}:{line_number}", f"expected {columns} columns, found {len(values)}; row skipped")
                continue
            ids = (values[0], values[1])
            if ids not in valid_ids:
                if not (_STITCH.match(values[0]) and _STITCH.match(values[1])):
                    result.skipped["malformed STITCH id"] += 1
                    result.warn(
                        f"{path}:{line_number}",
                        f"expected STITCH ids CID1/CID0 + 8 digits, got {values[0]!r}, {values[1]!r}; row skipped",
                    )
                    continue
                valid_ids.add(ids)
            yield line_number, values
    result.rows_read[path.name] += rows
