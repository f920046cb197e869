"""CPIC and DPWG dosing guidelines (via PharmCAT) and the CPIC pharmacogene list.

Upstream, under ``cpic/`` in the data folder (see its SOURCE.md):

* ``cpic-data/gene.tsv`` and ``cpic-data/drug.tsv``: the ``gene`` and ``drug`` tables of the CPIC database seed
  (2020), in PostgreSQL COPY text format (``\\N`` is NULL, backslash escapes). Genes carry NCBI, HGNC, Ensembl
  and PharmGKB ids; drugs carry the PharmGKB accession (``PA…``), RxNorm and DrugBank ids. Upstream publishes only
  the seed itself, ``cpic-data/V2__initial_data.sql``; without the two extracts its ``COPY gene``/``COPY drug``
  blocks are read in place (what ``pmkg ingest --download`` fetches).
* ``pharmcat_guidelines/*.json``: 118 guideline files (56 CPIC, 62 DPWG), read by :mod:`ingest.pharmcat`.

Graph mapping:

* ``Gene`` nodes for every CPIC gene and every gene a guideline names, resolved NCBI id -> HGNC id -> symbol,
  with only pharmacogenomic properties (``pharmacogene``, ``cpic_*``): the ``genes`` job owns names and symbols.
* ``Gene-AFFECTS_RESPONSE_TO-Drug`` for every gene x drug pair of a guideline. The writer merges edges on
  (endpoints, type, source), so the CPIC and the DPWG guideline for one pair share one edge (source ``cpic``):
  ``guideline_sources`` lists the bodies, and each body's details sit under its own prefix
  (``cpic_guideline_id``, ``dpwg_guideline_url``, ``cpic_recommendation_count``, ``dpwg_classifications``, ...).
  ``recommendation_count``, ``classification`` (the strongest), ``actions`` (see :mod:`pmkg.ingest.pgx_actions`)
  and ``pmids`` summarise both.
* Drugs resolve through the guideline's PharmGKB accession: ``drug.tsv`` gives its DrugBank id (canonical) or
  RxNorm id; drugs newer than the 2020 seed fall back to their name (as in the ``pharmgkb`` job). Unresolved
  drugs and genes are counted.
* ``Drug`` nodes (``name``, ``pharmgkb_id``, ``xrefs``) only for the drugs of an edge that DrugCentral does not
  list: DrugCentral's drugs are that job's nodes, and a drug newer than its 2016 tables would otherwise be an
  endpoint no source creates.

Licences differ by part: CPIC content is CC0, the PharmCAT files MPL-2.0, and the DPWG recommendations as
annotated by PharmGKB CC BY-SA 4.0; every record carries the combined statement.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest import pharmcat
from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, read_tsv, sha256_of
from pmkg.ingest.pharmgkb import DrugNames, gene_by_symbol
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="cpic",
    version="2024-03-25-16-13",  # replaced by the guideline files' own version when they are read
    license="CPIC content CC0 1.0; PharmCAT files MPL-2.0; DPWG guideline annotations (PharmGKB) CC BY-SA 4.0",
    url="https://github.com/PharmGKB/PharmCAT/tree/30f8cfb7b3d71f6b579212f8161689e5f7dc2e63/src/main/resources/org/pharmgkb/pharmcat",
)
GENE_FILES = ["cpic/cpic-data/gene.tsv"]
DRUG_FILES = ["cpic/cpic-data/drug.tsv"]
# Upstream ships only the database seed; the bundle's gene.tsv/drug.tsv are its COPY blocks cut out verbatim.
SEED_SQL_FILES = ["cpic/cpic-data/V2__initial_data.sql"]
GENE_COLUMNS = ["symbol", "chr", "genesequenceid", "proteinsequenceid", "hgncid", "ncbiid", "ensemblid", "pharmgkbid"]
DRUG_COLUMNS = ["drugid", "name", "pharmgkbid", "rxnormid", "drugbankid"]
GUIDELINE_ROWS = "pharmcat_guidelines/*.json"

# gene.tsv column -> Gene property; names, symbols and xrefs stay with the genes job.
GENE_PROPS = {
    "chr": "cpic_chromosome",
    "genesequenceid": "cpic_refseqgene",
    "proteinsequenceid": "cpic_refseq_protein",
    "hgncid": "cpic_hgnc_id",
    "ensemblid": "cpic_ensembl_id",
    "pharmgkbid": "cpic_pharmgkb_id",
}
_COPY_ESCAPE = re.compile(r"\\(.)")
_COPY_CHARS = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_DRUGBANK = re.compile(r"^DB\d{5}$")


@dataclass
class _Pair:
    """What the guidelines of all bodies say about one gene-drug pair."""

    guidelines: dict[str, pharmcat.GuidelineFile] = field(default_factory=dict)  # body -> guideline
    recommendations: dict[str, list[pharmcat.Recommendation]] = field(default_factory=lambda: defaultdict(list))

    def props(self) -> dict:
        props: dict = {}
        every = [rec for recs in self.recommendations.values() for rec in recs]
        for body, guideline in sorted(self.guidelines.items()):
            prefix = re.sub(r"\W+", "_", body.lower())
            recs = self.recommendations.get(body, [])
            props[f"{prefix}_guideline_id"] = guideline.id
            props[f"{prefix}_guideline_name"] = guideline.name
            props[f"{prefix}_guideline_url"] = guideline.url
            props[f"{prefix}_recommendation_count"] = len(recs)
            props[f"{prefix}_classifications"] = _ranked_classifications(rec.classification for rec in recs)
        pmids = {pmid for guideline in self.guidelines.values() for pmid in guideline.pmids}
        return {
            "guideline_sources": sorted(self.guidelines),
            "recommendation_count": len(every),
            "classification": pharmcat.strongest(rec.classification for rec in every),
            "actions": sorted({rec.action for rec in every}),
            "pmids": sorted(pmids, key=int),
            "evidence": "; ".join(f"{body} guideline" for body in sorted(self.guidelines)),
            **props,
        }


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    gene_path = find_file(data_dir, SOURCE, [*GENE_FILES, *SEED_SQL_FILES])
    drug_path = find_file(data_dir, SOURCE, [*DRUG_FILES, *SEED_SQL_FILES])
    guideline_paths = pharmcat.guideline_files(data_dir)
    if not guideline_paths:
        raise IngestError(
            f"{SOURCE.name}: no guideline JSONs in {data_dir / pharmcat.GUIDELINE_DIR}. Download them from "
            f"{SOURCE.url}/reporter/guidelines, or point --data-dir at the folder that holds cpic/."
        )
    result = IngestResult(SOURCE)
    gene_rows = _read_genes(gene_path, result)
    drug_rows = _read_drugs(drug_path, result)
    drug_names = DrugNames(resolver)

    guidelines: list[pharmcat.GuidelineFile] = []
    normal_keys = pharmcat.normal_lookup_keys(data_dir)
    for path in guideline_paths:
        result.rows_read[GUIDELINE_ROWS] += 1
        try:
            guidelines.append(pharmcat.read_guideline(path, normal_keys))
        except ValueError as exc:
            result.skipped["malformed guideline JSON"] += 1
            result.warn(str(path), f"{exc}; file skipped")
    versions = sorted({g.version for g in guidelines if g.version})
    source = SourceInfo(SOURCE.name, versions[-1] if versions else SOURCE.version, SOURCE.license, SOURCE.url)
    result.source = source
    prov = source.provenance.as_props()

    genes: dict[str, str | None] = {}  # symbol -> NCBIGene id

    def gene_of(symbol: str) -> str | None:
        if symbol not in genes:
            genes[symbol] = _resolve_gene(resolver, symbol, gene_rows.get(symbol.upper()), result)
        return genes[symbol]

    drugs: dict[str, str | None] = {}  # PharmGKB accession -> canonical drug id

    chemicals: dict[str, str] = {}  # PharmGKB accession -> the guideline's drug name

    def drug_of(chemical: pharmcat.Chemical) -> str | None:
        chemicals.setdefault(chemical.pharmgkb_id, chemical.name)
        if chemical.pharmgkb_id not in drugs:
            drugs[chemical.pharmgkb_id] = _resolve_drug(resolver, drug_names, chemical, drug_rows, result)
        return drugs[chemical.pharmgkb_id]

    pairs: dict[tuple[str, str], _Pair] = {}
    bodies_by_gene: dict[str, set[str]] = defaultdict(set)
    for guideline in guidelines:
        for symbol in guideline.genes:
            gene = gene_of(symbol)
            if gene is None:
                continue
            bodies_by_gene[gene].add(guideline.source)
            for chemical in guideline.chemicals:
                drug = drug_of(chemical)
                if drug is None:
                    continue
                pair = pairs.setdefault((gene, drug), _Pair())
                first = pair.guidelines.setdefault(guideline.source, guideline)
                if first.id != guideline.id:
                    result.warn(
                        str(guideline.path),
                        f"second {guideline.source} guideline for {symbol}/{chemical.name} after {first.path.name}; "
                        "the edge keeps the first's id, name and url and counts both's recommendations",
                    )
                pair.recommendations[guideline.source].extend(
                    rec
                    for rec in guideline.recommendations
                    if symbol in rec.genes and chemical.pharmgkb_id in {c.pharmgkb_id for c in rec.drugs}
                )

    for symbol, row in gene_rows.items():
        gene = gene_of(row["symbol"] or symbol)
        if gene is not None:
            props = {prop: row.get(column) for column, prop in GENE_PROPS.items()}
            result.nodes.append(_gene_node(gene, props, bodies_by_gene.get(gene, set()), prov))
    listed = {node.id for node in result.nodes}
    for gene, bodies in sorted(bodies_by_gene.items()):
        if gene not in listed:
            result.nodes.append(_gene_node(gene, {}, bodies, prov))
    for (gene, drug), pair in pairs.items():
        result.edges.append(EdgeRecord("AFFECTS_RESPONSE_TO", "Gene", gene, "Drug", drug, {**prov, **pair.props()}))
    result.nodes.extend(_drug_nodes(pairs, drugs, drug_rows, chemicals, resolver, prov))
    result.files = {str(p): sha256_of(p) for p in (gene_path, drug_path, *guideline_paths)}
    return result


def _drug_nodes(
    pairs: dict[tuple[str, str], _Pair],
    drugs: dict[str, str | None],
    drug_rows: dict[str, dict],
    chemicals: dict[str, str],
    resolver: Resolver,
    prov: dict,
) -> list[NodeRecord]:
    """A ``Drug`` node for each drug of an edge that DrugCentral does not list, so no edge dangles.

    DrugCentral's drugs get their node (and name) from the drugcentral job; a drug it lacks (newer than its
    2016 tables: siponimod, tafenoquine, the peginterferons) would otherwise be an endpoint nobody creates.
    """
    in_edges = {drug for _, drug in pairs}
    nodes = []
    for accession, drug in sorted(drugs.items()):
        if drug is None or drug not in in_edges or resolver.drugs.get(drug):
            continue
        in_edges.discard(drug)  # two accessions resolving to one drug make one node
        row = drug_rows.get(accession) or {}
        xrefs = [f"PHARMGKB.DRUG:{accession}"] + ([f"RXNORM:{row['rxnormid']}"] if row.get("rxnormid") else [])
        props = {"name": row.get("name") or chemicals.get(accession) or drug, "pharmgkb_id": accession, "xrefs": xrefs}
        nodes.append(NodeRecord("Drug", drug, {**props, **prov}))
    return nodes


def _gene_node(gene: str, props: dict, bodies: set[str], prov: dict) -> NodeRecord:
    return NodeRecord("Gene", gene, {"pharmacogene": True, **props, "cpic_guideline_sources": sorted(bodies), **prov})


def _ranked_classifications(classifications) -> list[str]:
    present = {c for c in classifications if c}
    known = [c for c in pharmcat.CLASSIFICATION_ORDER if c in present]
    return known + sorted(present - set(known))


def _resolve_gene(resolver: Resolver, symbol: str, row: dict | None, result: IngestResult) -> str | None:
    """NCBI id, then HGNC id (both from gene.tsv), then the symbol."""
    candidates = []
    if row:
        if row.get("ncbiid"):
            candidates.append(f"NCBIGene:{row['ncbiid']}")
        if row.get("hgncid"):
            candidates.append(row["hgncid"])
    for curie in candidates:
        gene = resolver.gene(curie)
        if gene:
            return gene
    gene = gene_by_symbol(resolver, symbol)
    if gene is None:
        result.note_unresolved("gene symbol", symbol)
    return gene


def _resolve_drug(
    resolver: Resolver,
    drug_names: DrugNames,
    chemical: pharmcat.Chemical,
    drug_rows: dict[str, dict],
    result: IngestResult,
) -> str | None:
    """DrugBank id, then RxNorm id (both from drug.tsv, keyed by PharmGKB accession), then the name."""
    row = drug_rows.get(chemical.pharmgkb_id) or {}
    candidates = []
    if _DRUGBANK.match(row.get("drugbankid") or ""):
        candidates.append(f"DRUGBANK:{row['drugbankid']}")
    if row.get("rxnormid"):
        candidates.append(f"RXNORM:{row['rxnormid']}")
    for curie in candidates:
        drug = resolver.drug(curie)
        if drug:
            return drug
    drug = drug_names.resolve(chemical.name)
    if drug is None:
        result.note_unresolved("drug", f"{chemical.name} ({chemical.pharmgkb_id})")
    return drug


def copy_value(value: str) -> str | None:
    """A PostgreSQL COPY text field: ``\\N`` is NULL and backslash escapes are undone (``2\\.`` -> ``2.``)."""
    if value == "\\N":
        return None
    return _COPY_ESCAPE.sub(lambda m: _COPY_CHARS.get(m.group(1), m.group(1)), value).strip() or None


def _table_rows(path: Path, table: str, required: list[str], result: IngestResult):
    """``(line_number, row)`` of a COPY table: its ``.tsv`` extract, or its block in the seed SQL."""
    if path.suffix == ".sql":
        return copy_block_rows(path, table, required, result)
    return read_tsv(path, required, result)


def copy_block_rows(
    path: Path, table: str, required: list[str], result: IngestResult
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of ``COPY <table> (columns) FROM stdin;`` up to its ``\\.`` line, as ``read_tsv`` yields them."""
    start = re.compile(rf"^COPY {re.escape(table)} \((?P<columns>[^)]*)\) FROM stdin;$")
    try:
        with open(path, encoding="utf-8") as fh:
            header: list[str] | None = None
            for line_number, line in enumerate(fh, start=1):
                line = line.rstrip("\r\n")
                if header is None:
                    if match := start.match(line):
                        header = [c.strip() for c in match.group("columns").split(",")]
                        missing = [c for c in required if c not in header]
                        if missing:
                            raise IngestError(
                                f"{path}:{line_number}: COPY {table} lacks column(s) {', '.join(missing)}; "
                                "is this the CPIC database seed (V2__initial_data.sql)?"
                            )
                    continue
                if line == "\\.":
                    return
                values = line.split("\t")
                result.rows_read[f"{path.name}:{table}"] += 1
                if len(values) != len(header):
                    result.skipped["wrong column count"] += 1
                    found = f"expected {len(header)} columns, found {len(values)}; row skipped"
                    result.warn(f"{path}:{line_number}", found)
                    continue
                yield line_number, dict(zip(header, values, strict=True))
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: not a readable file ({exc}); re-download it") from exc
    if header is None:
        raise IngestError(f"{path}: no 'COPY {table} (...) FROM stdin;' block; is this the CPIC database seed?")
    raise IngestError(f"{path}: the COPY {table} block has no closing '\\.' line; the file is truncated, re-fetch it")


def _read_genes(path: Path, result: IngestResult) -> dict[str, dict]:
    """Upper-cased symbol -> decoded gene row."""
    rows: dict[str, dict] = {}
    for line_number, raw in _table_rows(path, "gene", GENE_COLUMNS, result):
        row = {key: copy_value(value) for key, value in raw.items()}
        symbol, ncbi = row.get("symbol"), row.get("ncbiid")
        if not symbol:
            result.skipped["gene row without symbol"] += 1
            result.warn(f"{path}:{line_number}", "symbol is empty; row skipped")
            continue
        if ncbi and not ncbi.isdigit():
            result.warn(f"{path}:{line_number}", f"ncbiid {ncbi!r} is not a number; resolving {symbol} by symbol")
            row["ncbiid"] = None
        rows[symbol.upper()] = row
    return rows


def _read_drugs(path: Path, result: IngestResult) -> dict[str, dict]:
    """PharmGKB accession -> decoded drug row."""
    rows: dict[str, dict] = {}
    for line_number, raw in _table_rows(path, "drug", DRUG_COLUMNS, result):
        row = {key: copy_value(value) for key, value in raw.items()}
        accession = row.get("pharmgkbid")
        if not accession or not accession.startswith("PA"):
            result.skipped["drug row without PharmGKB accession"] += 1
            result.warn(f"{path}:{line_number}", f"pharmgkbid {accession!r} is not a PA accession; row skipped")
            continue
        rows[accession] = row
    return rows


def guideline_drug_resolver(data_dir: Path, resolver: Resolver) -> Callable[[pharmcat.Chemical], str | None]:
    """A guideline chemical -> canonical drug id, resolved exactly as this job resolves its edges' drugs.

    For patient-level code (issue C), which needs the graph's id of each recommendation's drug. Ids that cannot
    be resolved come back as None; the caller counts them.
    """
    scratch = IngestResult(SOURCE)
    drug_rows = _read_drugs(find_file(data_dir, SOURCE, DRUG_FILES), scratch)
    drug_names = DrugNames(resolver)
    cache: dict[str, str | None] = {}

    def resolve(chemical: pharmcat.Chemical) -> str | None:
        if chemical.pharmgkb_id not in cache:
            cache[chemical.pharmgkb_id] = _resolve_drug(resolver, drug_names, chemical, drug_rows, scratch)
        return cache[chemical.pharmgkb_id]

    return resolve


def pharmacogene_ids(data_dir: Path, resolver: Resolver) -> dict[str, str]:
    """Gene symbol -> canonical gene id for every CPIC gene, resolved as this job resolves its Gene nodes."""
    scratch = IngestResult(SOURCE)
    rows = _read_genes(find_file(data_dir, SOURCE, GENE_FILES), scratch)
    ids = {}
    for key, row in rows.items():
        gene = _resolve_gene(resolver, row["symbol"] or key, row, scratch)
        if gene is not None:
            ids[row["symbol"] or key] = gene
    return ids
