"""DrugCentral (2016-05-09 tables of ``olegursu/drugtarget``): drugs, their human targets and pharmacologic classes.

Upstream format: four headed TSVs.

* ``identifiers.tsv`` (``DRUG_ID DRUG_NAME ID_TYPE IDENTIFIER``, values double-quoted) lists every DrugCentral drug
  with its cross-identifiers. Each drug becomes one ``Drug`` node under the canonical id the shared
  :class:`~ingest.xrefs.Resolver` gives ``DRUGCENTRAL:<DRUG_ID>`` (DrugBank, else ChEMBL, else DrugCentral), with
  ``name`` (the lower-case INN), ``drugcentral_id`` and ``xrefs``: every alias CURIE that resolves to that node.
  An alias DrugCentral also lists under another drug (it lists salicylic acid's DB00936 under aspirin) resolves
  to the other drug and so is left out of this one's ``xrefs``. A few DrugCentral drugs (esters, salts, prodrugs
  of one DrugBank entry) share one canonical id; they become one node whose ``drugcentral_ids`` lists them all,
  and whose ``drugcentral_id`` and ``name`` come from the member with the most identifier rows (the parent
  compound: betamethasone rather than its acetate; ties go to the lowest id); the others' names are ``synonyms``.
  ``ID_TYPE`` values are checked against ``idtype.tsv`` (the vocabulary); types that are product codes rather
  than drug ids (NDDF, MMSL, VANDF, VUID, SNOMED CT ...) are counted as skipped, not kept.
* ``drug_target.tsv`` becomes ``Drug-TARGETS-Gene``. ``GENE`` may list several HGNC symbols (``|``) for a complex
  or a family; each resolves to ``NCBIGene:`` through ``gene_info`` symbols. ``UNIPROT`` lists the components in
  accession order, not in ``GENE`` order, so it is kept whole as the edge's ``uniprot`` list. Targets whose
  SwissProt entry names are not ``*_HUMAN`` (viral, bacterial, parasite proteins: 272 rows) are counted and
  skipped: their gene symbols (``folP``, ``ERG11``) would otherwise resolve to unrelated human genes. Rows that
  name the same drug and gene (subunits of several complexes) merge into one edge whose lists hold all rows.
  ``SOURCE`` (CHEMBL, IUPHAR, DRUG LABEL ...) is the edge's ``evidence``; PubMed ids are taken from PubMed
  ``REFERENCE`` URLs.
* ``pharm_class.tsv`` becomes ``PharmacologicClass`` nodes and ``Drug-IN_CLASS-PharmacologicClass``. The class id
  prefix follows the class source: MeSH pharmacological actions -> ``MESH:D...``; FDA classes (EPC, MoA, PE,
  Chemical/Ingredient) carry NDF-RT NUIs -> ``NDFRT:N...``, the ids Hetionet's pharmacologic classes use, so both
  sources meet on one node; ChEBI roles keep their ``CHEBI:`` CURIE. ``class_type`` is the upstream ``TYPE``.
  ``use`` says whether the class states a mechanism/structure or a therapeutic use (:mod:`pmkg.ingest.class_use`);
  memberships of therapeutic-use classes are ``Drug-IN_THERAPEUTIC_CLASS-PharmacologicClass`` instead, because
  they restate indications and training leaves them out.

The ``rephetio/`` files (dhimmel/drugcentral) are not read: they were derived from an earlier (2016-03-18) state
of these same tables, keyed by DrugBank only (drugs without a DrugBank id are missing), and their targets and
classes reach the graph already through Hetionet's ``CbG`` and ``PCiC`` edges.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestResult, SourceInfo, find_file, read_tsv, sha256_of
from pmkg.ingest.class_use import class_use
from pmkg.ingest.xrefs import DRUGCENTRAL_ID_TYPES, Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="drugcentral",
    version="2016-05-09",
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    url="https://github.com/olegursu/drugtarget",
)
IDENTIFIER_FILES = ["drugcentral/identifiers.tsv"]
IDTYPE_FILES = ["drugcentral/idtype.tsv"]
TARGET_FILES = ["drugcentral/drug_target.tsv"]
CLASS_FILES = ["drugcentral/pharm_class.tsv"]

# pharm_class SOURCE -> (CURIE prefix, pattern the CLASS_SOURCE_ID must match, does the id carry its prefix?)
CLASS_SOURCES: dict[str, tuple[str, re.Pattern[str], bool]] = {
    "MeSH": ("MESH", re.compile(r"^D\d{6,9}$"), False),
    "FDA": ("NDFRT", re.compile(r"^N\d{10}$"), False),
    "CHEBI": ("CHEBI", re.compile(r"^CHEBI:\d+$"), True),
}
_DRUG_ID = re.compile(r"^\d+$")
_PUBMED_URL = re.compile(r"ncbi\.nlm\.nih\.gov/pubmed/(\d+)", re.IGNORECASE)
UNMAPPED_ID_TYPE = "identifier type is a product or vocabulary code, not a drug alias"


@dataclass
class _Drug:
    names: list[str] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
    identifier_rows: int = 0


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    result = IngestResult(SOURCE)
    paths = {
        "idtype": find_file(data_dir, SOURCE, IDTYPE_FILES),
        "identifiers": find_file(data_dir, SOURCE, IDENTIFIER_FILES),
        "targets": find_file(data_dir, SOURCE, TARGET_FILES),
        "classes": find_file(data_dir, SOURCE, CLASS_FILES),
    }
    id_types = _read_id_types(paths["idtype"], result)
    drugs = _read_identifiers(paths["identifiers"], id_types, result)
    _emit_drugs(drugs, resolver, result)
    _emit_targets(paths["targets"], resolver, result)
    _emit_classes(paths["classes"], resolver, result)
    result.files = {str(path): sha256_of(path) for path in paths.values()}
    return result


def _unquote(value: str) -> str:
    return value.strip().strip('"').strip()


def _read_id_types(path: Path, result: IngestResult) -> set[str]:
    return {_unquote(row["ID_TYPE"]) for _, row in read_tsv(path, ["ID_TYPE", "DESCRIPTION"], result)}


def _read_identifiers(path: Path, id_types: set[str], result: IngestResult) -> dict[str, _Drug]:
    drugs: dict[str, _Drug] = defaultdict(_Drug)
    for line_number, row in read_tsv(path, ["DRUG_ID", "DRUG_NAME", "ID_TYPE", "IDENTIFIER"], result):
        where = f"{path}:{line_number}"
        drug_id, name = _unquote(row["DRUG_ID"]), _unquote(row["DRUG_NAME"])
        id_type, identifier = _unquote(row["ID_TYPE"]), _unquote(row["IDENTIFIER"])
        if not _DRUG_ID.match(drug_id):
            result.skipped["malformed DRUG_ID"] += 1
            result.warn(where, f"DRUG_ID {drug_id!r} is not a number; row skipped")
            continue
        if id_type not in id_types:
            result.skipped["ID_TYPE not in idtype.tsv"] += 1
            result.warn(where, f"ID_TYPE {id_type!r} is not listed in idtype.tsv; row skipped")
            continue
        if not identifier:
            result.skipped["empty IDENTIFIER"] += 1
            result.warn(where, f"{id_type} identifier of drug {drug_id} is empty; row skipped")
            continue
        drug = drugs[drug_id]
        drug.identifier_rows += 1
        if name and name not in drug.names:
            drug.names.append(name)
        prefix = DRUGCENTRAL_ID_TYPES.get(id_type)
        if prefix is None:
            result.skipped[UNMAPPED_ID_TYPE] += 1
            continue
        drug.aliases.add(f"{prefix}:{identifier}")
    return drugs


def _emit_drugs(drugs: dict[str, _Drug], resolver: Resolver, result: IngestResult) -> None:
    prov = SOURCE.provenance.as_props()
    members: dict[str, list[str]] = defaultdict(list)
    for drug_id in sorted(drugs, key=int):
        canonical = resolver.drug(f"DRUGCENTRAL:{drug_id}")
        if canonical is None:
            # Only when the resolver was built from another identifiers table than the one read here.
            result.note_unresolved("drug DrugCentral id", f"DRUGCENTRAL:{drug_id}")
            continue
        members[canonical].append(drug_id)
    for canonical, drug_ids in members.items():
        primary = max(drug_ids, key=lambda drug_id: (drugs[drug_id].identifier_rows, -int(drug_id)))
        names = [name for drug_id in [primary, *drug_ids] for name in drugs[drug_id].names]
        names = list(dict.fromkeys(names))
        aliases = {alias for drug_id in drug_ids for alias in (f"DRUGCENTRAL:{drug_id}", *drugs[drug_id].aliases)}
        # The Resolver keys DrugCentral's ChEBI ids as written (CHEBI:CHEBI:n); either spelling is accepted.
        xrefs = sorted(
            {
                _collapse_prefix(alias)
                for alias in aliases
                if alias != canonical and canonical in (resolver.drug(alias), resolver.drug(_collapse_prefix(alias)))
            }
        )
        result.nodes.append(
            NodeRecord(
                "Drug",
                canonical,
                {
                    "name": names[0] if names else canonical,
                    "synonyms": names[1:],
                    "drugcentral_id": primary,
                    "drugcentral_ids": drug_ids,
                    "xrefs": xrefs,
                    **prov,
                },
            )
        )


def _collapse_prefix(alias: str) -> str:
    """``'CHEBI:CHEBI:15365'`` -> ``'CHEBI:15365'``: DrugCentral's ChEBI identifiers carry their own prefix."""
    prefix, _, local = alias.partition(":")
    return local if local.startswith(prefix + ":") else alias


def _resolve_drug(drug_id: str, where: str, resolver: Resolver, result: IngestResult) -> str | None:
    if not _DRUG_ID.match(drug_id):
        result.skipped["malformed DRUG_ID"] += 1
        result.warn(where, f"DRUG_ID {drug_id!r} is not a number; row skipped")
        return None
    canonical = resolver.drug(f"DRUGCENTRAL:{drug_id}")
    if canonical is None:
        result.note_unresolved("drug DrugCentral id", f"DRUGCENTRAL:{drug_id}")
        result.warn(where, f"DRUG_ID {drug_id} is not in identifiers.tsv; row skipped")
    return canonical


def _add_distinct(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)


def _emit_targets(path: Path, resolver: Resolver, result: IngestResult) -> None:
    required = ["DRUG_ID", "CHEMBL_ID", "TARGET_NAME", "TARGET_FAMILY", "UNIPROT", "GENE", "SWISSPROT"]
    required += ["ACTION_TYPE", "SOURCE", "REFERENCE"]
    # (drug, gene) -> {property: distinct values in file order}
    pairs: dict[tuple[str, str], dict[str, list[str]]] = {}
    for line_number, row in read_tsv(path, required, result):
        where = f"{path}:{line_number}"
        entry_names = [name for name in row["SWISSPROT"].split("|") if name]
        if not any(name.endswith("_HUMAN") for name in entry_names):
            result.skipped["non-human target"] += 1
            continue
        symbols = [symbol.strip() for symbol in row["GENE"].split("|") if symbol.strip()]
        if not symbols:
            result.skipped["human target without a gene symbol"] += 1
            result.warn(where, f"target {row['TARGET_NAME']!r} has no GENE symbol; row skipped")
            continue
        drug = _resolve_drug(row["DRUG_ID"].strip(), where, resolver, result)
        if drug is None:
            continue
        pmids = _PUBMED_URL.findall(row["REFERENCE"])
        for symbol in symbols:
            gene = resolver.gene_by_symbol(symbol)
            if gene is None:
                result.note_unresolved("gene symbol", symbol)
                continue
            values = pairs.setdefault((drug, gene), defaultdict(list))
            for key, column in (
                ("action_type", "ACTION_TYPE"),
                ("target_class", "TARGET_FAMILY"),
                ("evidence", "SOURCE"),
                ("chembl_id", "CHEMBL_ID"),
                ("target_name", "TARGET_NAME"),
                ("reference", "REFERENCE"),
            ):
                _add_distinct(values[key], row[column].strip())
            for accession in row["UNIPROT"].split("|"):
                _add_distinct(values["uniprot"], accession.strip())
            for pmid in pmids:
                _add_distinct(values["pmids"], pmid)
    prov = SOURCE.provenance.as_props()
    for (drug, gene), values in pairs.items():
        props = {
            # One value per pair throughout the 2016 tables; joined should a later release disagree.
            **{key: "; ".join(values[key]) or None for key in ("action_type", "target_class", "evidence", "chembl_id")},
            **{key: sorted(values[key]) for key in ("target_name", "uniprot", "reference", "pmids")},
            **prov,
        }
        result.edges.append(EdgeRecord("TARGETS", "Drug", drug, "Gene", gene, props))


def _emit_classes(path: Path, resolver: Resolver, result: IngestResult) -> None:
    prov = SOURCE.provenance.as_props()
    classes: dict[str, dict[str, str]] = {}
    members: dict[tuple[str, str], str] = {}
    for line_number, row in read_tsv(path, ["DRUG_ID", "TYPE", "CLASS_SOURCE_ID", "CLASS", "SOURCE"], result):
        where = f"{path}:{line_number}"
        class_source, raw_id = row["SOURCE"].strip(), row["CLASS_SOURCE_ID"].strip()
        spec = CLASS_SOURCES.get(class_source)
        if spec is None:
            result.skipped["unknown class SOURCE"] += 1
            result.warn(where, f"class SOURCE {class_source!r} is not one of {', '.join(CLASS_SOURCES)}; row skipped")
            continue
        prefix, pattern, prefixed = spec
        if not pattern.match(raw_id):
            result.skipped["malformed class id"] += 1
            result.warn(where, f"{class_source} class id {raw_id!r} does not match {pattern.pattern}; row skipped")
            continue
        drug = _resolve_drug(row["DRUG_ID"].strip(), where, resolver, result)
        if drug is None:
            continue
        class_id = raw_id if prefixed else f"{prefix}:{raw_id}"
        name = row["CLASS"].strip() or class_id
        classes.setdefault(
            class_id,
            {"name": name, "class_type": row["TYPE"].strip(), "class_source": class_source,
             "use": class_use(class_source, name)},
        )
        members.setdefault((drug, class_id), class_source)
    for class_id, props in classes.items():
        result.nodes.append(NodeRecord("PharmacologicClass", class_id, {**props, **prov}))
    for (drug, class_id), class_source in members.items():
        rel = "IN_THERAPEUTIC_CLASS" if classes[class_id]["use"] == "therapeutic_use" else "IN_CLASS"
        result.edges.append(
            EdgeRecord(rel, "Drug", drug, "PharmacologicClass", class_id, {"evidence": class_source, **prov})
        )
