"""Human genes from NCBI ``gene_info``: one ``Gene`` node ``NCBIGene:<GeneID>`` per gene of the newest file.

Upstream format: NCBI ``Homo_sapiens.gene_info(.gz)``, one tab-separated row per gene. Two header styles
exist: the current ``#tax_id<TAB>GeneID<TAB>...`` and the 2015 ``#Format: tax_id GeneID ... (tab is used
as a separator, ...)`` with space-separated names. Columns used: ``tax_id``, ``GeneID``, ``Symbol``,
``Synonyms``, ``dbXrefs``, ``chromosome``, ``map_location``, ``description``, ``type_of_gene``.

The data bundle has two gene_info files and they complement each other (see ``genes/SOURCE.md``):

* the newest file (the 2022 org.Hs.eg.db export, or an upstream ``genes/Homo_sapiens.gene_info.gz``)
  decides which genes exist and gives symbol, name, synonyms, type, location and Ensembl ids;
* the older genuine NCBI file (June 2015) adds ``HGNC:`` and gene ``OMIM:`` xrefs, which the export
  lacks, to the genes that the newest file still has. A prefix the newest file already carries is not
  overridden. Genes only in the older file were discontinued or replaced since; they get no node and
  are counted under ``skipped``.
* ``gene_omim.orgHsEg.tsv`` lists every MIM number org.Hs.eg.db links to a gene, gene *and* phenotype
  entries alike (CFTR: gene 602421 plus four phenotypes), which cannot be told apart. They are kept as
  ``omim_links`` on the gene, never as ``xrefs``, so nothing claims a phenotype MIM is the gene's.

Node properties: ``symbol``, ``name`` (the description; the symbol when there is none), ``synonyms``,
``type_of_gene``, ``chromosome`` and ``map_location`` (as NCBI writes them: ``X|Y`` for genes on two
chromosomes), ``xrefs`` (``HGNC:``, ``ENSEMBL:``, ``OMIM:``), ``omim_links``.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, open_text, read_tsv, sha256_of
from pmkg.ingest.xrefs import Resolver, normalise_curie
from pmkg.kg.records import NodeRecord

SOURCE = SourceInfo(
    name="genes",
    version="unknown",  # replaced by the dates of the files actually read
    license=(
        "NCBI Gene data: no restrictions (NCBI places no restrictions on the use or distribution of the data); "
        "org.Hs.eg.db export: Artistic-2.0"
    ),
    url="https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz",
)
# Same order as ingest.xrefs.GENE_INFO_FILES, so the genes that get nodes are the genes the resolver knows.
NEWEST_FILES = ["genes/orgHsEg-2022-09-12/Homo_sapiens.gene_info.gz", "genes/Homo_sapiens.gene_info.gz"]
OLDER_FILES = ["genes/ncbi-2015-06/Homo_sapiens.gene_info.gz"]
GENE_OMIM_FILES = ["genes/orgHsEg-2022-09-12/gene_omim.orgHsEg.tsv"]

HUMAN = "9606"
REQUIRED_COLUMNS = [
    "tax_id",
    "GeneID",
    "Symbol",
    "Synonyms",
    "dbXrefs",
    "chromosome",
    "map_location",
    "description",
    "type_of_gene",
]
XREF_PREFIXES = ("HGNC", "ENSEMBL", "OMIM")
# What the older file may add: its Ensembl ids are seven years stale, the newest file's are kept.
OLDER_XREF_PREFIXES = ("HGNC", "OMIM")
_UPSTREAM_PREFIXES = {"HGNC", "ENSEMBL", "MIM", "OMIM"}  # gene_info spellings of XREF_PREFIXES, upper-cased
ONLY_IN_OLDER = "gene only in the older gene_info (discontinued or replaced since)"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}(?:-\d{2})?)")


@dataclass
class GeneRow:
    """The columns of one gene_info row that become a ``Gene`` node."""

    gene_id: str
    symbol: str
    name: str
    synonyms: list[str]
    type_of_gene: str | None
    chromosome: str | None
    map_location: str | None
    xrefs: dict[str, list[str]] = field(default_factory=dict)  # prefix -> CURIEs
    omim_links: list[str] = field(default_factory=list)


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    # GeneIDs are the canonical gene ids; this job defines what the resolver's gene table resolves to.
    del resolver
    newest = find_file(data_dir, SOURCE, NEWEST_FILES)
    older = _first_existing(data_dir, OLDER_FILES, exclude=newest)
    gene_omim = _first_existing(data_dir, GENE_OMIM_FILES)
    result = IngestResult(SOURCE)

    genes, newest_date = _read_newest(newest, result)
    versions = [newest_date or "unknown"]
    if older is not None:
        older_date = _add_older_xrefs(older, genes, result)
        versions.append(f"HGNC/OMIM xrefs from gene_info {older_date or older.parent.name}")
    if gene_omim is not None:
        _add_omim_links(gene_omim, genes, result)

    source = SourceInfo(SOURCE.name, "; ".join(versions), SOURCE.license, SOURCE.url)
    result.source = source
    prov = source.provenance.as_props()
    for gene in genes.values():
        result.nodes.append(
            NodeRecord(
                "Gene",
                f"NCBIGene:{gene.gene_id}",
                {
                    "symbol": gene.symbol,
                    # The display name is the symbol (as in Hetionet, whose Gene names are symbols): evidence
                    # paths read "CYP2C19", not "cytochrome P450 family 2 subfamily C member 19".
                    "name": gene.symbol,
                    "full_name": gene.name,
                    "synonyms": gene.synonyms,
                    "type_of_gene": gene.type_of_gene,
                    "chromosome": gene.chromosome,
                    "map_location": gene.map_location,
                    "xrefs": sorted(x for prefix in XREF_PREFIXES for x in gene.xrefs.get(prefix, [])),
                    "omim_links": gene.omim_links,
                    **prov,
                },
            )
        )
    result.files = {str(p): sha256_of(p) for p in (newest, older, gene_omim) if p is not None}
    return result


def read_gene_info(path: Path, result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` of a gene_info file in either header style; bad rows are warned and skipped.

    Rows are counted under ``<folder>/<file name>`` because both bundled files are named
    ``Homo_sapiens.gene_info.gz``.
    """
    try:
        yield from _gene_info_rows(path, result)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{path}: not a readable gene_info file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc


def _gene_info_rows(path: Path, result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    key = f"{path.parent.name}/{path.name}"
    with open_text(path, result) as fh:
        header_line = fh.readline().rstrip("\r\n")
        if header_line.startswith("#Format:"):
            header = header_line.removeprefix("#Format:").split("(", 1)[0].split()
        else:
            header = header_line.removeprefix("#").split("\t")
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise IngestError(
                f"{path}:1: header lacks gene_info column(s) {', '.join(missing)}; found {header[:10]}. "
                "Expected NCBI Homo_sapiens.gene_info; is this the right file?"
            )
        for line_number, line in enumerate(fh, start=2):
            if not line.strip() or line.startswith("#"):
                continue
            values = line.rstrip("\r\n").split("\t")
            result.rows_read[key] += 1
            if len(values) != len(header):
                result.skipped["wrong column count"] += 1
                result.warn(
                    f"{path}:{line_number}", f"expected {len(header)} columns, found {len(values)}; row skipped"
                )
                continue
            yield line_number, dict(zip(header, values, strict=True))


def _read_newest(path: Path, result: IngestResult) -> tuple[dict[str, GeneRow], str | None]:
    genes: dict[str, GeneRow] = {}
    latest_modification = ""
    for line_number, row in read_gene_info(path, result):
        where = f"{path}:{line_number}"
        gene_id = _checked_gene_id(row, where, result)
        if gene_id is None:
            continue
        symbol = _value(row["Symbol"])
        if symbol is None:
            result.skipped["missing symbol"] += 1
            result.warn(where, f"GeneID {gene_id} has no Symbol; row skipped")
            continue
        if gene_id in genes:
            result.skipped["duplicate GeneID"] += 1
            result.warn(where, f"GeneID {gene_id} appeared on an earlier line; row skipped")
            continue
        gene = GeneRow(
            gene_id=gene_id,
            symbol=symbol,
            name=_value(row["description"]) or symbol,
            synonyms=_list(row["Synonyms"]),
            type_of_gene=_value(row["type_of_gene"]),
            chromosome=_value(row["chromosome"]),
            map_location=_value(row["map_location"]),
        )
        gene.xrefs = _xrefs(row["dbXrefs"], XREF_PREFIXES, where, result)
        genes[gene_id] = gene
        latest_modification = max(latest_modification, _value(row.get("Modification_date", "")) or "")
    return genes, _file_date(path, latest_modification)


def _add_older_xrefs(path: Path, genes: dict[str, GeneRow], result: IngestResult) -> str | None:
    latest_modification = ""
    for line_number, row in read_gene_info(path, result):
        where = f"{path}:{line_number}"
        gene_id = _checked_gene_id(row, where, result)
        if gene_id is None:
            continue
        latest_modification = max(latest_modification, _value(row.get("Modification_date", "")) or "")
        gene = genes.get(gene_id)
        if gene is None:
            result.skipped[ONLY_IN_OLDER] += 1
            continue
        for prefix, curies in _xrefs(row["dbXrefs"], OLDER_XREF_PREFIXES, where, result).items():
            gene.xrefs.setdefault(prefix, curies)
    return _file_date(path, latest_modification)


def _add_omim_links(path: Path, genes: dict[str, GeneRow], result: IngestResult) -> None:
    links: dict[str, list[str]] = defaultdict(list)
    for line_number, row in read_tsv(path, ["GeneID", "MIM"], result):
        where = f"{path}:{line_number}"
        gene_id, mim = row["GeneID"].strip(), row["MIM"].strip()
        if not gene_id.isdigit() or not mim.isdigit():
            result.skipped["malformed GeneID or MIM"] += 1
            result.warn(where, f"expected numeric GeneID and MIM, found {gene_id!r}, {mim!r}; row skipped")
            continue
        if gene_id not in genes:
            result.note_unresolved("gene_omim GeneID not in gene_info", f"NCBIGene:{gene_id}")
            continue
        if f"OMIM:{mim}" not in links[gene_id]:
            links[gene_id].append(f"OMIM:{mim}")
    for gene_id, curies in links.items():
        genes[gene_id].omim_links = curies


def _checked_gene_id(row: dict[str, str], where: str, result: IngestResult) -> str | None:
    """The row's GeneID if it is a human gene with a numeric id; otherwise count (and warn about) the row."""
    if row["tax_id"] != HUMAN:
        # Expected, not damage: NCBI's human file also holds Neanderthal and Denisovan mitochondrial genes.
        result.skipped["other taxon"] += 1
        return None
    gene_id = row["GeneID"].strip()
    if not gene_id.isdigit():
        result.skipped["malformed GeneID"] += 1
        result.warn(where, f"GeneID {gene_id!r} is not a number; row skipped")
        return None
    return gene_id


def _xrefs(value: str, prefixes: tuple[str, ...], where: str, result: IngestResult) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for raw in _list(value):
        upstream_prefix, _, local = raw.partition(":")
        if not upstream_prefix or not local:
            result.skipped["malformed dbXref"] += 1
            result.warn(where, f"dbXref {raw!r} is not PREFIX:ID; xref skipped, gene kept")
            continue
        # Only the kept prefixes are normalised: NCBI also lists prefixes like IMGT/GENE-DB that are no CURIE.
        curie = normalise_curie(raw) if upstream_prefix.upper() in _UPSTREAM_PREFIXES else None
        if curie is None:
            continue
        prefix = curie.split(":", 1)[0]
        if prefix in prefixes and curie not in found.setdefault(prefix, []):
            found[prefix].append(curie)
    return {prefix: curies for prefix, curies in found.items() if curies}


def _value(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "-") else value


def _list(value: str) -> list[str]:
    return [item for item in (part.strip() for part in value.split("|")) if item and item != "-"]


def _file_date(path: Path, latest_modification: str) -> str | None:
    """The newest ``Modification_date`` (``2015-06-07``), else a date in the folder name (``orgHsEg-2022-09-12``)."""
    if len(latest_modification) == 8 and latest_modification.isdigit():
        return f"{latest_modification[:4]}-{latest_modification[4:6]}-{latest_modification[6:]}"
    match = _DATE_IN_NAME.search(path.parent.name)
    return match.group(1) if match else None


def _first_existing(data_dir: Path, candidates: list[str], exclude: Path | None = None) -> Path | None:
    for candidate in candidates:
        path = data_dir / candidate
        if path.is_file() and path != exclude:
            return path
    return None
