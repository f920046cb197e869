"""Gene Ontology: ``GOTerm`` nodes and their hierarchy from go-basic (OBO), human annotations from NCBI gene2go.

Upstream formats:

* ``go-basic.obo(.gz)``, read through :func:`ingest.ontology.read_ontology`. Each current term becomes a
  ``GOTerm`` with ``name``, ``namespace`` (biological_process, molecular_function, cellular_component),
  ``definition``, ``synonyms`` and ``alt_ids``. ``is_a`` becomes ``IS_A`` and ``relationship: part_of``
  becomes ``PART_OF`` (child -> parent); the regulation relations are not in the schema and are counted
  under ``skipped``, as are obsolete terms.
* NCBI ``gene2go(.gz)``: tab-separated ``#tax_id GeneID GO_ID Evidence Qualifier GO_term PubMed Category``.
  Only human rows (tax_id 9606) are used; the upstream file covers all taxa, so other taxa are counted
  as ``other taxon`` without a warning per row.

Annotations become ``Gene -ANNOTATED_WITH-> GOTerm``, one edge per (gene, term). NCBI writes one row per
(gene, term, evidence, qualifier, ...), so a pair's rows are merged and the edge's ``evidence``
(evidence codes), ``qualifier`` and ``pmids`` are always sorted lists, whether one row or ten made the
edge; ``category`` is gene2go's Process / Function / Component. Rows whose qualifier starts with ``NOT``
say the gene does *not* have the function: they never become (or add to) an edge and are counted under
``skipped``. A GO id that is an ``alt_id`` is mapped to its current term; an obsolete or unknown GO id and
a GeneID that gene_info does not know are counted as unresolved.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, open_text, sha256_of
from pmkg.ingest.ontology import Ontology, read_ontology
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="go",
    version="unknown",  # replaced by the ontology's data-version when it is read
    license="CC BY 4.0 (Gene Ontology ontology and annotations); NCBI gene2go: no restrictions",
    url="http://current.geneontology.org/ontology/go-basic.obo and https://ftp.ncbi.nlm.nih.gov/gene/DATA/gene2go.gz",
)
OBO_FILES = ["go/go-basic.obo.gz", "go/go-basic.obo"]
GENE2GO_FILES = ["go/gene2go.gz", "go/gene2go"]

HUMAN = "9606"
GENE2GO_COLUMNS = ["#tax_id", "GeneID", "GO_ID", "Evidence", "Qualifier", "GO_term", "PubMed", "Category"]
USED_COLUMNS = ["GeneID", "GO_ID", "Evidence", "Qualifier", "PubMed", "Category"]
NAMESPACES = frozenset({"biological_process", "molecular_function", "cellular_component"})
RELATIONS = {"part_of": "PART_OF"}  # OBO relationship -> pmkg type; is_a is read from the term's parents
_GO_ID = re.compile(r"^GO:\d{7}$")
_EVIDENCE = re.compile(r"^[A-Z]{2,4}$")


class Annotation(NamedTuple):
    """The merged gene2go rows of one (gene, term) pair; lists, as a pair rarely has more than a few rows."""

    category: str
    evidence: list[str]
    qualifiers: list[str]
    pmids: list[str]


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    obo_path = find_file(data_dir, SOURCE, OBO_FILES)
    gene2go_path = find_file(data_dir, SOURCE, GENE2GO_FILES)
    ontology = read_ontology(obo_path)
    source = SourceInfo(SOURCE.name, ontology.version or "unknown", SOURCE.license, SOURCE.url)
    result = IngestResult(source)
    ontology.report_to(result)
    prov = source.provenance.as_props()

    current = _terms(ontology, obo_path, result, prov)
    _hierarchy(ontology, current, obo_path, result, prov)
    primary = {alt: term.id for term in ontology.terms.values() if term.id in current for alt in term.alt_ids}
    obsolete = {term.id for term in ontology.terms.values() if term.obsolete}
    annotations = _annotations(gene2go_path, current, primary, obsolete, resolver, result)
    for (gene, term), annotation in annotations.items():
        result.edges.append(
            EdgeRecord(
                "ANNOTATED_WITH",
                "Gene",
                gene,
                "GOTerm",
                term,
                {
                    "evidence": sorted(annotation.evidence),
                    "qualifier": sorted(annotation.qualifiers),
                    "category": annotation.category,
                    "pmids": sorted(annotation.pmids, key=int),
                    **prov,
                },
            )
        )
    result.files = {str(p): sha256_of(p) for p in (obo_path, gene2go_path)}
    return result


def _terms(ontology: Ontology, path: Path, result: IngestResult, prov: dict[str, str]) -> set[str]:
    """Emit a node per current GO term; return their ids."""
    current: set[str] = set()
    for term in ontology.terms.values():
        result.rows_read[path.name] += 1
        if not _GO_ID.match(term.id):
            result.skipped["non-GO term id"] += 1
            result.warn(f"{path}: term {term.id}", "id is not GO:NNNNNNN; term skipped")
            continue
        if term.obsolete:
            result.skipped["obsolete term"] += 1
            continue
        if term.namespace not in NAMESPACES:
            result.warn(f"{path}: term {term.id}", f"namespace {term.namespace!r} is not a GO aspect; term kept")
        current.add(term.id)
        result.nodes.append(
            NodeRecord(
                "GOTerm",
                term.id,
                {
                    "name": term.name or term.id,
                    "namespace": term.namespace,
                    "definition": term.definition,
                    "synonyms": term.synonyms,
                    "alt_ids": sorted(term.alt_ids),
                    **prov,
                },
            )
        )
    return current


def _hierarchy(ontology: Ontology, current: set[str], path: Path, result: IngestResult, prov: dict[str, str]) -> None:
    for term in ontology.terms.values():
        if term.id not in current:
            continue
        links = [("IS_A", parent) for parent in term.parents]
        for relation, target in term.relations:
            if relation not in RELATIONS:
                result.skipped[f"{relation} relation (not in the schema)"] += 1
                continue
            links.append((RELATIONS[relation], target))
        for rel_type, target in links:
            if target not in current:
                result.note_unresolved(f"{rel_type} target obsolete or missing", target)
                result.warn(f"{path}: term {term.id}", f"{rel_type} {target}, which is obsolete or not in the file")
                continue
            result.edges.append(EdgeRecord(rel_type, "GOTerm", term.id, "GOTerm", target, dict(prov)))


def _annotations(
    path: Path,
    current: set[str],
    primary: dict[str, str],
    obsolete: set[str],
    resolver: Resolver,
    result: IngestResult,
) -> dict[tuple[str, str], Annotation]:
    merged: dict[tuple[str, str], Annotation] = {}
    # Each distinct GeneID, GO id and evidence code is checked once: 348k rows use ~20k genes and ~18k terms.
    genes: dict[str, str | None] = {}
    terms: dict[str, str | None] = {}
    evidence_codes: set[str] = set()
    for line_number, (gene_id, go_id, evidence, qualifier, pubmed, category) in _gene2go_rows(path, result):
        qualifier, pubmed = qualifier.strip(), pubmed.strip()
        if gene_id not in genes and not gene_id.isdigit():
            result.skipped["malformed GeneID"] += 1
            result.warn(f"{path}:{line_number}", f"GeneID {gene_id!r} is not a number; row skipped")
            continue
        if go_id not in terms and not _GO_ID.match(go_id):
            result.skipped["malformed GO id"] += 1
            result.warn(f"{path}:{line_number}", f"GO_ID {go_id!r} is not GO:NNNNNNN; row skipped")
            continue
        if evidence not in evidence_codes:
            if not _EVIDENCE.match(evidence):
                result.skipped["malformed evidence code"] += 1
                result.warn(
                    f"{path}:{line_number}", f"Evidence {evidence!r} is not a GO evidence code (e.g. IDA); row skipped"
                )
                continue
            evidence_codes.add(evidence)
        pmids = [] if pubmed in ("", "-") else [p.strip() for p in pubmed.split("|")]
        if pmids and not all(p.isdigit() for p in pmids):
            result.skipped["malformed PubMed"] += 1
            result.warn(f"{path}:{line_number}", f"PubMed {pubmed!r} is not '-' or numbers joined by '|'; row skipped")
            continue
        if qualifier.upper().startswith("NOT"):
            result.skipped["NOT-qualified annotation"] += 1
            continue
        if go_id not in terms:
            terms[go_id] = go_id if go_id in current else primary.get(go_id)
        term = terms[go_id]
        if term is None:
            kind = "GO term obsolete" if go_id in obsolete else "GO term not in the ontology"
            result.note_unresolved(kind, go_id)
            continue
        if gene_id not in genes:
            genes[gene_id] = resolver.gene(f"NCBIGene:{gene_id}")
        gene = genes[gene_id]
        if gene is None:
            result.note_unresolved("gene NCBIGene not in gene_info", f"NCBIGene:{gene_id}")
            continue
        annotation = merged.get((gene, term))
        if annotation is None:
            merged[(gene, term)] = Annotation(
                category, [evidence], [] if qualifier in ("", "-") else [qualifier], pmids
            )
            continue
        if evidence not in annotation.evidence:
            annotation.evidence.append(evidence)
        if qualifier not in ("", "-") and qualifier not in annotation.qualifiers:
            annotation.qualifiers.append(qualifier)
        annotation.pmids.extend(p for p in pmids if p not in annotation.pmids)
    return merged


def _gene2go_rows(path: Path, result: IngestResult) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from _human_rows(path, result)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{path}: not a readable gene2go file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc


def _human_rows(path: Path, result: IngestResult) -> Iterator[tuple[int, list[str]]]:
    """``(line_number, [GeneID, GO_ID, Evidence, Qualifier, PubMed, Category])`` of the rows with tax_id 9606.

    The upstream file holds every taxon (tens of millions of rows), so other taxa are rejected on the
    line prefix, before any splitting, and counted in local integers rather than a Counter per row.
    """
    human_prefix = HUMAN + "\t"
    rows = other_taxon = 0
    with open_text(path, result) as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        missing = [column for column in GENE2GO_COLUMNS if column not in header]
        if missing or header[0] != "#tax_id":
            raise IngestError(
                f"{path}:1: header lacks gene2go column(s) {', '.join(missing) or '#tax_id (first)'}; "
                f"found {header[:10]}. Expected NCBI gene2go ({' '.join(GENE2GO_COLUMNS)}); is this the right file?"
            )
        wanted = [header.index(column) for column in USED_COLUMNS]
        try:
            for line_number, line in enumerate(fh, start=2):
                if not line.strip() or line.startswith("#"):
                    continue
                rows += 1
                if not line.startswith(human_prefix):
                    tax_id = line.partition("\t")[0]
                    if tax_id.isdigit():
                        other_taxon += 1
                    else:
                        result.skipped["malformed tax_id"] += 1
                        result.warn(f"{path}:{line_number}", f"tax_id {tax_id!r} is not a number; row skipped")
                    continue
                values = line.rstrip("\r\n").split("\t")
                if len(values) != len(header):
                    result.skipped["wrong column count"] += 1
                    result.warn(
                        f"{path}:{line_number}", f"expected {len(header)} columns, found {len(values)}; row skipped"
                    )
                    continue
                yield line_number, [values[i] for i in wanted]
        finally:
            result.rows_read[path.name] += rows
            if other_taxon:
                result.skipped["other taxon"] += other_taxon
