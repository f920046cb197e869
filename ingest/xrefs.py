"""One canonical CURIE per entity: alias tables built from the mapping sources in ``--data-dir``.

* Diseases resolve to a current ``DOID:`` of the Disease Ontology file in use. Failing that, to ``MONDO:``
  when MONDO knows the disease. The routes are, in order of trust:
  1. the DOID itself, or a DOID's ``alt_id``;
  2. MONDO's curated exact matches (``X -> MONDO -> DOID``);
  3. the Disease Ontology's own xrefs (OBO and the current ``allXREFinDO.tsv`` report).
* Drugs resolve through DrugCentral's identifier table. The canonical id is ``DRUGBANK:`` where the drug
  has one, then ``CHEMBL.COMPOUND:``, then ``DRUGCENTRAL:``. Aliases include ChEMBL, UMLS, MeSH, PubChem,
  RxNorm, ChEBI, UNII and KEGG ids, and lower-cased names.
* Genes resolve to ``NCBIGene:`` through NCBI ``gene_info``: symbols (NCBI's and, where it differs, HGNC's:
  ``MT-ND1`` for ``ND1``), HGNC, Ensembl and gene MIM numbers. A synonym is used only when exactly one gene
  claims it and no gene has it as its symbol.

Each table is built lazily, on first use, from whichever mapping files exist. A resolver for a folder
without mapping files still passes canonical ids through unchanged, so the bundled sample ingests as is.
Jobs report what they could not resolve (see :meth:`ingest.base.IngestResult.note_unresolved`).
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pmkg.ingest.base import open_text

log = logging.getLogger(__name__)

# Upstream spellings of a prefix -> the Bioregistry-style prefix pmkg uses.
PREFIX_SYNONYMS: dict[str, str] = {
    "MIM": "OMIM",
    "OMIM": "OMIM",
    "ORPHA": "ORPHANET",
    "ORPHANET": "ORPHANET",
    "ORDO": "ORPHANET",
    "MESH": "MESH",
    "MSH": "MESH",
    "UMLS": "UMLS",
    "UMLS_CUI": "UMLS",
    "DOID": "DOID",
    "MONDO": "MONDO",
    "NCIT": "NCIT",
    "NCI": "NCIT",
    "HGNC": "HGNC",
    "ENSEMBL": "ENSEMBL",
    "NCBIGENE": "NCBIGene",
    "ENTREZ": "NCBIGene",
    "DRUGBANK": "DRUGBANK",
    "CHEMBL.COMPOUND": "CHEMBL.COMPOUND",
    "CHEMBL": "CHEMBL.COMPOUND",
    "PUBCHEM.COMPOUND": "PUBCHEM.COMPOUND",
    "PUBCHEM": "PUBCHEM.COMPOUND",
    "CHEBI": "CHEBI",
    "DECIPHER": "DECIPHER",
    "ICD10CM": "ICD10CM",
    "GARD": "GARD",
    "EFO": "EFO",
}

# DrugCentral ID_TYPE -> prefix. Types not listed (NDDF, MMSL, VANDF, ...) are product codes, not drugs.
DRUGCENTRAL_ID_TYPES: dict[str, str] = {
    "DRUGBANK_ID": "DRUGBANK",
    "ChEMBL_ID": "CHEMBL.COMPOUND",
    "UMLSCUI": "UMLS",
    "MESH_DESCRIPTOR_UI": "MESH",
    "MESH_SUPPLEMENTAL_RECORD_UI": "MESH",
    "PUBCHEM_CID": "PUBCHEM.COMPOUND",
    "RXNORM": "RXNORM",
    "CHEBI": "CHEBI",
    "UNII": "UNII",
    "KEGG_DRUG": "KEGG.DRUG",
    "IUPHAR_LIGAND_ID": "IUPHAR.LIGAND",
}
CANONICAL_DRUG_PREFIXES = ("DRUGBANK", "CHEMBL.COMPOUND")

DO_FILES = ("disease-ontology/doid.obo", "disease-ontology/doid_2016-09-01.obo")
DO_XREF_REPORT = "disease-ontology/allXREFinDO.tsv"
MONDO_MAPPINGS = "mondo/mappings-2026-08-04"
DRUGCENTRAL_IDENTIFIERS = "drugcentral/identifiers.tsv"
GENE_INFO_FILES = (
    "genes/orgHsEg-2022-09-12/Homo_sapiens.gene_info.gz",
    "genes/ncbi-2015-06/Homo_sapiens.gene_info.gz",
    "genes/Homo_sapiens.gene_info.gz",
)

_CURIE = re.compile(r"^\s*(?P<prefix>[A-Za-z][A-Za-z0-9._-]*?)\s*:\s*(?P<local>\S+?)\s*$")


def normalise_curie(value: str) -> str | None:
    """``'MIM:264300'`` -> ``'OMIM:264300'``, ``'ORPHA:558'`` -> ``'ORPHANET:558'``; None if not a CURIE.

    HGNC's doubled prefix (``HGNC:HGNC:5``) is collapsed, and ``CHEMBL:CHEMBL25`` keeps its local id.
    """
    match = _CURIE.match(value.strip().strip('"'))
    if not match:
        return None
    prefix, local = match.group("prefix"), match.group("local")
    upper = prefix.upper()
    if upper.startswith("SNOMEDCT"):
        return f"SNOMEDCT:{local}"
    canonical = PREFIX_SYNONYMS.get(upper, prefix)
    if local.upper().startswith((f"{upper}:", f"{canonical.upper()}:")):
        local = local.split(":", 1)[1]  # doubled prefix, e.g. HGNC:HGNC:5 or ClinVar's MONDO:MONDO:0013342
    return f"{canonical}:{local}"


@dataclass
class AliasTable:
    """alias CURIE (or name key) -> canonical CURIE, with first-claim-wins and a count of conflicts."""

    kind: str
    canonical: dict[str, str] = field(default_factory=dict)
    conflicts: int = 0

    def add(self, alias: str, target: str) -> None:
        current = self.canonical.setdefault(alias, target)
        if current != target:
            self.conflicts += 1

    def get(self, alias: str) -> str | None:
        return self.canonical.get(alias)

    def __len__(self) -> int:
        return len(self.canonical)


class Resolver:
    """Resolves aliases to canonical CURIEs. Build with :meth:`from_data_dir` or, in tests, :meth:`from_tables`."""

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = data_dir
        self.mondo_labels: dict[str, str] = {}  # MONDO id -> MONDO's label, from the SSSOM files' subject_label
        self.mapping_problems: list[str] = []  # damaged mapping rows, each "file:line: reason"

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Resolver:
        return cls(data_dir)

    @classmethod
    def from_tables(
        cls,
        diseases: dict[str, str] | None = None,
        drugs: dict[str, str] | None = None,
        drug_names: dict[str, str] | None = None,
        genes: dict[str, str] | None = None,
        gene_symbols: dict[str, str] | None = None,
        known_doids: Iterable[str] | None = None,
    ) -> Resolver:
        """A resolver over explicit tables (alias -> canonical), for tests and for callers with their own maps."""
        resolver = cls(None)
        tables = {
            "diseases": (diseases, "disease"),
            "drugs": (drugs, "drug"),
            "drug_names": (drug_names, "drug name"),
            "genes": (genes, "gene"),
            "gene_symbols": (gene_symbols, "gene symbol"),
        }
        for attribute, (mapping, kind) in tables.items():
            table = AliasTable(kind)
            by_name = attribute in ("drug_names", "gene_symbols")
            for alias, target in (mapping or {}).items():
                key = (name_key(alias) if attribute == "drug_names" else alias.upper()) if by_name else alias
                table.add(key if by_name else normalise_curie(key) or key, target)
            resolver.__dict__[attribute] = table
        resolver.__dict__["known_doids"] = set(known_doids) if known_doids is not None else None
        return resolver

    # ---- lookups -------------------------------------------------------------------------------------

    def disease(self, curie: str) -> str | None:
        """Canonical ``DOID:`` (or ``MONDO:``) for a disease CURIE in any spelling; None if unknown."""
        key = normalise_curie(curie)
        if key is None:
            return None
        found = self.diseases.get(key)
        if found:
            return found
        if key.startswith("DOID:") and self.known_doids is None:
            return key  # no Disease Ontology to check against: a DOID is taken as canonical
        if key.startswith("MONDO:") and key not in self.diseases.canonical:
            return key if self.known_doids is None else None
        return None

    def disease_label(self, curie: str) -> str | None:
        """MONDO's own label for a ``MONDO:`` id (from the mapping files), the name a MONDO-keyed node takes."""
        self.diseases  # noqa: B018 - the labels are read with the disease tables
        return self.mondo_labels.get(curie)

    def drug(self, curie: str) -> str | None:
        """Canonical drug CURIE (``DRUGBANK:``, ``CHEMBL.COMPOUND:`` or ``DRUGCENTRAL:``); None if unknown."""
        key = normalise_curie(curie)
        if key is None:
            return None
        if key.startswith("DRUGBANK:"):
            return key  # DrugBank ids are canonical, whether or not DrugCentral lists them
        found = self.drugs.get(key)
        if found:
            return found
        if not self.drugs and key.startswith("CHEMBL.COMPOUND:"):
            return key
        return None

    def drug_by_name(self, name: str) -> str | None:
        return self.drug_names.get(name_key(name))

    def gene(self, curie: str) -> str | None:
        """``NCBIGene:`` for a gene CURIE (NCBIGene, HGNC, ENSEMBL, OMIM gene MIM); None if unknown."""
        key = normalise_curie(curie)
        if key is None:
            return None
        found = self.genes.get(key)
        if found:
            return found
        if not self.genes and key.startswith("NCBIGene:"):
            return key
        return None

    def gene_by_symbol(self, symbol: str) -> str | None:
        return self.gene_symbols.get(symbol.strip().upper())

    def summary(self) -> dict[str, int]:
        """Sizes and conflict counts of the tables built so far (for the ingest report)."""
        built = {
            name: table
            for name, table in self.__dict__.items()
            if isinstance(table, AliasTable) and not name.startswith("_")
        }
        return {
            **{f"{name} aliases": len(table) for name, table in built.items()},
            **{f"{name} conflicting aliases": table.conflicts for name, table in built.items() if table.conflicts},
            **({"damaged mapping rows skipped": len(self.mapping_problems)} if self.mapping_problems else {}),
        }

    # ---- tables, built on first use ------------------------------------------------------------------

    @cached_property
    def known_doids(self) -> set[str] | None:
        self._disease_tables  # noqa: B018 - builds both
        return self.__dict__["known_doids"]

    @cached_property
    def diseases(self) -> AliasTable:
        return self._disease_tables

    @cached_property
    def _disease_tables(self) -> AliasTable:
        table = AliasTable("disease")
        known: set[str] | None = None
        do_path = self._first_existing(DO_FILES)
        do_xrefs: list[tuple[str, str]] = []
        if do_path is not None:
            known = set()
            for term, alt_ids, xrefs in _read_do_terms(do_path):
                known.add(term)
                table.add(term, term)
                for alt in alt_ids:
                    table.add(alt, term)
                do_xrefs.extend((xref, term) for xref in xrefs)
        mondo_to_doid: dict[str, str] = {}
        mondo_dir = self._path(MONDO_MAPPINGS)
        mondo_rows: list[tuple[str, str]] = []
        if mondo_dir is not None and mondo_dir.is_dir():
            # Only finished files: a download cache also holds .part and .sha256 files beside them.
            for path in sorted(mondo_dir.glob("mondo_exactmatch_*.sssom.tsv*")):
                if not path.name.endswith((".sssom.tsv", ".sssom.tsv.gz")):
                    continue
                for mondo, other, label in _read_sssom(path, self.mapping_problems):
                    if label:
                        self.mondo_labels.setdefault(mondo, label)
                    if other.startswith("DOID:"):
                        if known is None or other in known or other in table.canonical:
                            mondo_to_doid.setdefault(mondo, table.get(other) or other)
                    else:
                        mondo_rows.append((other, mondo))
        # Precedence: curated MONDO chains to a DOID, then the DO's own xrefs, then MONDO ids without a DOID.
        for mondo, doid in mondo_to_doid.items():
            table.add(mondo, doid)
        for other, mondo in mondo_rows:
            if mondo in mondo_to_doid:
                table.add(other, mondo_to_doid[mondo])
        report = self._path(DO_XREF_REPORT)
        if report is not None and report.is_file():
            do_xrefs.extend(_read_do_xref_report(report))
        for xref, doid in do_xrefs:
            canonical = table.get(doid) if known is not None else doid
            if canonical:
                table.add(xref, canonical)
        for other, mondo in mondo_rows:
            if mondo not in mondo_to_doid:
                table.add(mondo, mondo)
                table.add(other, mondo)
        self.__dict__["known_doids"] = known
        log.info("disease aliases: %d (%d conflicting)", len(table), table.conflicts)
        return table

    @cached_property
    def drugs(self) -> AliasTable:
        return self._drug_tables[0]

    @cached_property
    def drug_names(self) -> AliasTable:
        return self._drug_tables[1]

    @cached_property
    def _drug_tables(self) -> tuple[AliasTable, AliasTable]:
        ids, names = AliasTable("drug"), AliasTable("drug name")
        path = self._path(DRUGCENTRAL_IDENTIFIERS)
        if path is None or not path.is_file():
            return ids, names
        by_drug: dict[str, list[str]] = defaultdict(list)
        drug_name: dict[str, str] = {}
        for row in _read_quoted_tsv(path):
            prefix = DRUGCENTRAL_ID_TYPES.get(row.get("ID_TYPE", ""))
            drug_id, identifier = row.get("DRUG_ID", ""), row.get("IDENTIFIER", "")
            if not drug_id or not identifier:
                continue
            drug_name.setdefault(drug_id, row.get("DRUG_NAME", ""))
            if prefix:
                by_drug[drug_id].append(f"{prefix}:{identifier}")
        claims: dict[str, int] = defaultdict(int)
        for aliases in by_drug.values():
            for alias in set(aliases):
                claims[alias] += 1
        for drug_id in sorted(set(by_drug) | set(drug_name), key=_numeric_first):
            aliases = sorted(set(by_drug.get(drug_id, [])))
            canonical = canonical_drug_id(drug_id, aliases, claims)
            for alias in (f"DRUGCENTRAL:{drug_id}", *aliases):
                ids.add(alias, canonical)
            if drug_name.get(drug_id):
                names.add(name_key(drug_name[drug_id]), canonical)
        log.info("drug aliases: %d (%d conflicting)", len(ids), ids.conflicts)
        return ids, names

    @cached_property
    def genes(self) -> AliasTable:
        return self._gene_tables[0]

    @cached_property
    def gene_symbols(self) -> AliasTable:
        return self._gene_tables[1]

    @cached_property
    def _gene_tables(self) -> tuple[AliasTable, AliasTable]:
        ids, symbols = AliasTable("gene"), AliasTable("gene symbol")
        synonyms: dict[str, set[str]] = defaultdict(set)
        current: set[str] = set()
        newest_read = False
        for relative in GENE_INFO_FILES:
            path = self._path(relative)
            if path is None or not path.is_file():
                continue
            for row in _read_gene_info(path):
                gene = f"NCBIGene:{row['GeneID']}"
                if not newest_read:
                    current.add(gene)  # the first file found, the newest, decides which genes exist
                elif gene not in current:
                    continue  # an older file only adds xrefs to genes the newest file still has
                ids.add(gene, gene)
                symbols.add(row["Symbol"].upper(), gene)
                # HGNC's symbol where NCBI's differs (MT-ND1 for ND1): the spelling DrugCentral and ClinVar use.
                authority = row.get("Symbol_from_nomenclature_authority", "-")
                if authority not in ("", "-"):
                    symbols.add(authority.upper(), gene)
                for xref in row.get("dbXrefs", "-").split("|"):
                    if xref != "-" and (alias := normalise_curie(xref)):
                        ids.add(alias, gene)
                for synonym in row.get("Synonyms", "-").split("|"):
                    if synonym != "-":
                        synonyms[synonym.upper()].add(gene)
            newest_read = True
        for synonym, genes in synonyms.items():
            if len(genes) == 1 and synonym not in symbols.canonical:
                symbols.add(synonym, next(iter(genes)))
        log.info("gene aliases: %d ids, %d symbols", len(ids), len(symbols))
        return ids, symbols

    def _path(self, relative: str) -> Path | None:
        return None if self.data_dir is None else self.data_dir / relative

    def _first_existing(self, candidates: Iterable[str]) -> Path | None:
        for relative in candidates:
            path = self._path(relative)
            if path is not None and path.is_file():
                return path
        return None


def name_key(name: str) -> str:
    """Case- and space-insensitive key for drug names (``' Warfarin  sodium'`` -> ``'warfarin sodium'``)."""
    return " ".join(name.strip().strip('"').lower().split())


def canonical_drug_id(drugcentral_id: str, aliases: Iterable[str], claims: dict[str, int] | None = None) -> str:
    """DrugBank over ChEMBL over DrugCentral.

    Within a prefix, an id that no other DrugCentral drug claims wins (DrugCentral lists salicylic acid's
    DB00936 under aspirin too), then the lowest id, so the choice is reproducible.
    """
    claims = claims or {}
    aliases = sorted(aliases, key=lambda alias: (claims.get(alias, 1), alias))
    for prefix in CANONICAL_DRUG_PREFIXES:
        for alias in aliases:
            if alias.startswith(prefix + ":"):
                return alias
    return f"DRUGCENTRAL:{drugcentral_id}"


def _numeric_first(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (1 << 62, value)


def _read_do_terms(path: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    import obonet

    graph = obonet.read_obo(path, ignore_obsolete=False)
    for term, data in graph.nodes(data=True):
        if not data or not term.startswith("DOID:") or data.get("is_obsolete") == "true":
            continue
        xrefs = [x for x in (normalise_curie(v.split(" ", 1)[0]) for v in data.get("xref", [])) if x]
        yield term, list(data.get("alt_id", [])), xrefs


def _read_sssom(path: Path, problems: list[str]) -> Iterator[tuple[str, str, str]]:
    """(MONDO id, other CURIE, MONDO label) from a SSSOM exact-match file; ``#`` lines hold the metadata.

    Rows with another predicate (a broader or narrower match is no identity) are passed over as SSSOM intends.
    A damaged row (wrong column count, a subject that is no MONDO id, an object that is no CURIE) is skipped,
    warned about with ``file:line`` and appended to ``problems``.
    """
    with open_text(path) as fh:
        header: list[str] | None = None
        for line_number, line in enumerate(fh, start=1):
            if line.startswith("#") or not line.strip():
                continue
            values = line.rstrip("\r\n").split("\t")
            if header is None:
                header = values
                continue
            row = dict(zip(header, values, strict=False))
            if row.get("predicate_id") not in (None, "skos:exactMatch"):
                continue
            subject, obj = row.get("subject_id") or "", normalise_curie(row.get("object_id") or "")
            problem = None
            if len(values) != len(header):
                problem = f"expected {len(header)} columns, found {len(values)}"
            elif not subject.startswith("MONDO:"):
                problem = f"subject_id {subject!r} is not a MONDO id"
            elif obj is None:
                problem = f"object_id {row.get('object_id')!r} is not a CURIE"
            if problem:
                message = f"{path}:{line_number}: {problem}; mapping row skipped"
                log.warning("%s", message)
                problems.append(message)
                continue
            yield subject, obj, row.get("subject_label") or ""


def _read_do_xref_report(path: Path) -> Iterator[tuple[str, str]]:
    for row in _read_quoted_tsv(path):
        doid, xref = row.get("id", ""), normalise_curie(row.get("xref", ""))
        if doid.startswith("DOID:") and xref:
            yield xref, doid


def _read_quoted_tsv(path: Path) -> Iterator[dict[str, str]]:
    with open_text(path) as fh:
        yield from csv.DictReader(fh, delimiter="\t")


def _read_gene_info(path: Path) -> Iterator[dict[str, str]]:
    """Rows of NCBI gene_info in either header style (2015: ``#Format: a b c (...)``; now: ``#tax_id\\t...``)."""
    with open_text(path) as fh:
        header_line = fh.readline().rstrip("\r\n")
        if header_line.startswith("#Format:"):
            header = header_line.removeprefix("#Format:").split("(", 1)[0].split()
        else:
            header = header_line.lstrip("#").split("\t")
        for line in fh:
            if line.startswith("#"):
                continue
            values = line.rstrip("\r\n").split("\t")
            # The genes job warns about (and counts) these same rows; here they must only not become aliases.
            if len(values) != len(header):
                continue
            row = dict(zip(header, values, strict=True))
            if row.get("tax_id") == "9606" and row.get("GeneID", "").isdigit() and row.get("Symbol") not in ("", "-"):
                yield row
