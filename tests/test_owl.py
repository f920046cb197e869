"""OWL ontology input through rdflib: the OWL form of the Disease Ontology fixture reads like its OBO form.

``tests/fixtures/owl/doid.owl`` is made from ``tests/fixtures/owl/doid.obo`` (the Hetionet fixture's diseases, a
subset of the Disease Ontology fixture cut by ``tools/fixtures/cut_disease_ontology.py``) by
``tools/fixtures/make_owl_fixture.py`` (the OBO-to-OWL mapping of the OWL API / ROBOT).
"""

from __future__ import annotations

import dataclasses
import gzip
import shutil
from pathlib import Path

import pytest
from pmkg.ingest import disease_ontology
from pmkg.ingest.base import IngestError
from pmkg.ingest.ontology import read_ontology
from pmkg.ingest.owl import obo_curie, read_owl
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

OBO_FILE = FIXTURES / "owl" / "doid.obo"
OWL_FILE = FIXTURES / "owl" / "doid.owl"
LIST_FIELDS = ("synonyms", "xrefs", "alt_ids", "parents", "relations", "replaced_by")

# A GO-shaped ontology in Turtle: a part_of restriction, a replaced_by IRI, a language-tagged label, an
# owl:versionInfo instead of a versionIRI, and a class outside the OBO PURL space.
GO_TURTLE = """\
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<http://purl.obolibrary.org/obo/go.owl> a owl:Ontology ; owl:versionInfo "2024-01-17" .
obo:BFO_0000050 a owl:ObjectProperty ; rdfs:label "part of" .
obo:GO_0005739 a owl:Class ;
    rdfs:label "mitochondrion" , "mitochondrie"@fr ;
    obo:IAO_0000115 "A semiautonomous, self replicating organelle." ;
    oboInOwl:hasOBONamespace "cellular_component" ;
    oboInOwl:hasNarrowSynonym "mitochondria" ;
    oboInOwl:hasDbXref "Wikipedia:Mitochondrion" ;
    rdfs:subClassOf obo:GO_0043231 ,
        [ a owl:Restriction ; owl:onProperty obo:BFO_0000050 ; owl:someValuesFrom obo:GO_0005737 ] ,
        [ a owl:Restriction ; owl:onProperty obo:BFO_0000050 ; owl:allValuesFrom obo:GO_0005575 ] .
obo:GO_0000000 a owl:Class ;
    rdfs:label "obsolete fixture component" ;
    owl:deprecated true ;
    obo:IAO_0100001 obo:GO_0005739 .
obo:GO_0043231 a owl:Class .
<http://www.ebi.ac.uk/efo/EFO_0000001> a owl:Class ; rdfs:label "experimental factor" .
"""


@pytest.fixture(scope="module")
def obo():
    return read_ontology(OBO_FILE)


@pytest.fixture(scope="module")
def owl():
    return read_ontology(OWL_FILE)


def _comparable(term) -> dict:
    fields = dataclasses.asdict(term)
    for name in LIST_FIELDS:
        fields[name] = sorted(fields[name])
    return fields


def test_owl_fixture_is_the_obo_fixture_converted():
    assert OWL_FILE.read_bytes().startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF')
    assert b"owl:versionIRI" in OWL_FILE.read_bytes()


def test_owl_reading_matches_obo_reading_term_by_term(obo, owl):
    assert owl.version == obo.version == "2016-09-01"  # from .../doid/releases/2016-09-01/doid.owl
    assert set(owl.terms) == set(obo.terms)
    assert len(owl.terms) == 69
    for term_id, obo_term in obo.terms.items():
        owl_fields, obo_fields = _comparable(owl.terms[term_id]), _comparable(obo_term)
        # The OWL API writes the OBO file's default-namespace onto every class; obonet leaves it off the term.
        assert owl_fields.pop("namespace") == "disease_ontology"
        assert obo_fields.pop("namespace") is None
        assert owl_fields == obo_fields, term_id


def test_breast_cancer_values(owl):
    term = owl.terms["DOID:1612"]
    assert term.name == "breast cancer"
    assert term.definition == "A thoracic cancer that originates in the mammary gland."
    assert term.parents == ["DOID:3463", "DOID:5093"]
    assert term.alt_ids == ["DOID:1648", "DOID:4241"]
    assert "mammary neoplasm" in term.synonyms  # a RELATED synonym
    assert "breast tumor" in term.synonyms  # an EXACT synonym
    # Only the class's own xrefs: the definition's url: xrefs annotate the definition axiom, not the class.
    assert {"MESH:D001943", "OMIM:114480", "UMLS_CUI:C0006142", "NCI:C2910"} <= set(term.xrefs)
    assert not any(x.startswith("url:") for x in term.xrefs)
    assert len(term.xrefs) == 17
    assert not term.obsolete


def test_declared_only_classes_are_not_terms_and_obsolete_ones_are_flagged(owl):
    assert b"DOID_9999999" in OWL_FILE.read_bytes()  # declared, as the OWL API declares every referenced class
    assert "DOID:9999999" not in owl.terms
    nameless = owl.terms["DOID:9999901"]
    assert nameless.name is None and nameless.parents == ["DOID:9999999"]
    assert owl.terms["DOID:9999902"].obsolete
    assert owl.terms["DOID:9999902"].name == "retired fixture disease"


def test_turtle_gzip_relations_replaced_by_and_version_info(tmp_path):
    path = tmp_path / "go.ttl.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write(GO_TURTLE.encode())
    ontology = read_ontology(path)
    assert ontology.version == "2024-01-17"
    assert set(ontology.terms) == {"GO:0005739", "GO:0000000"}  # GO:0043231 is declared only; EFO is no OBO PURL
    mito = ontology.terms["GO:0005739"]
    assert mito.name == "mitochondrion"  # the untagged label, not the French one
    assert mito.namespace == "cellular_component"
    assert mito.definition == "A semiautonomous, self replicating organelle."
    assert mito.synonyms == ["mitochondria"]
    assert mito.xrefs == ["Wikipedia:Mitochondrion"]
    assert mito.parents == ["GO:0043231"]
    assert mito.relations == [("part_of", "GO:0005737")]  # allValuesFrom is not an OBO relationship
    obsolete = ontology.terms["GO:0000000"]
    assert obsolete.obsolete and obsolete.replaced_by == ["GO:0005739"]


def test_turtle_content_in_an_owl_file_is_recognised(tmp_path):
    path = tmp_path / "go.owl"
    path.write_text(GO_TURTLE)
    assert read_owl(path).terms["GO:0005739"].relations == [("part_of", "GO:0005737")]


def test_obo_iris_become_curies():
    assert obo_curie("http://purl.obolibrary.org/obo/DOID_1612") == "DOID:1612"
    assert obo_curie("http://purl.obolibrary.org/obo/NCBITaxon_9606") == "NCBITaxon:9606"
    assert obo_curie("http://purl.obolibrary.org/obo/doid#DO_cancer_slim") is None
    assert obo_curie("http://www.ebi.ac.uk/efo/EFO_0000001") is None


@pytest.fixture(scope="module")
def owl_only_data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("owl-data")
    (data_dir / "disease-ontology").mkdir()
    shutil.copy(OWL_FILE, data_dir / "disease-ontology" / "doid.owl")
    return data_dir


@pytest.fixture(scope="module")
def obo_data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("obo-data")
    (data_dir / "disease-ontology").mkdir()
    shutil.copy(OBO_FILE, data_dir / "disease-ontology" / "doid.obo")
    return data_dir


def _records(result):
    nodes = sorted((n.label, n.id, sorted(n.props.items())) for n in result.nodes)
    edges = sorted((e.type, e.src, e.dst, sorted(e.props.items())) for e in result.edges)
    return nodes, edges


def test_disease_ontology_job_gives_the_same_records_from_owl(owl_only_data_dir, obo_data_dir):
    from_obo = disease_ontology.run(obo_data_dir)
    from_owl = disease_ontology.run(owl_only_data_dir)
    assert list(from_owl.files) == [str(owl_only_data_dir / "disease-ontology" / "doid.owl")]
    assert from_owl.source.version == "2016-09-01"
    assert _records(from_owl) == _records(from_obo)
    assert len(from_owl.nodes) == 68 and len(from_owl.edges) == 72
    assert from_owl.skipped == from_obo.skipped == {"obsolete term": 1}
    assert from_owl.unresolved == from_obo.unresolved == {"is_a parent obsolete or missing": 1}
    breast = next(n for n in from_owl.nodes if n.id == "DOID:1612")
    assert {"MESH:D001943", "UMLS:C0006142", "NCIT:C2910", "SNOMEDCT:126926005"} <= set(breast.props["xrefs"])
    assert breast.props["source"] == "disease-ontology" and breast.props["license"]


def test_owl_records_written_over_the_obo_ones_change_nothing(store, ingest_outcomes, owl_only_data_dir):
    count = (
        "MATCH (d:Disease) WHERE 'disease-ontology' IN d.sources "
        "OPTIONAL MATCH (d)-[r:IS_A]->(:Disease) RETURN count(DISTINCT d) AS diseases, count(r) AS is_a"
    )
    breast = "MATCH (d:Disease {id: 'DOID:1612'}) RETURN d.alt_ids AS alt_ids, d.definition AS definition"
    before = store.run(count), store.run(breast)
    assert before[0][0]["is_a"] == len(disease_ontology.run(FIXTURES).edges)  # the OWL cut is a subset of these
    result = disease_ontology.run(owl_only_data_dir)
    GraphWriter(store, progress=False).write(result.nodes, result.edges, what="disease-ontology (OWL)")
    assert (store.run(count), store.run(breast)) == before


def test_truncated_owl_fails_with_the_file_named(tmp_path):
    path = tmp_path / "doid.owl"
    path.write_bytes(OWL_FILE.read_bytes()[:20_000])
    with pytest.raises(IngestError, match=r"doid\.owl: not a readable RDF/XML file"):
        read_owl(path)


def test_malformed_owl_fails_the_disease_ontology_job(tmp_path):
    (tmp_path / "disease-ontology").mkdir()
    (tmp_path / "disease-ontology" / "doid.owl").write_text('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="x">\n<oops')
    with pytest.raises(IngestError, match=r"disease-ontology/doid\.owl: not a readable RDF/XML file"):
        disease_ontology.run(tmp_path)


def test_corrupt_gzip_and_bad_turtle_fail_with_the_file_named(tmp_path):
    corrupt = tmp_path / "go.owl.gz"
    corrupt.write_bytes(gzip.compress(OWL_FILE.read_bytes())[:5_000])
    with pytest.raises(IngestError, match=r"go\.owl\.gz: not a readable"):
        read_owl(corrupt)
    turtle = tmp_path / "go.ttl"
    turtle.write_text(GO_TURTLE.replace("owl:Class ;", "owl:Class ;;;", 1).replace(" .\nobo:GO_0000000", "\nobo:"))
    with pytest.raises(IngestError, match=r"go\.ttl: not a readable Turtle file"):
        read_owl(turtle)


def test_formats_rdflib_cannot_read_and_empty_ontologies_are_refused_with_advice(tmp_path):
    functional = tmp_path / "hp.owl"
    functional.write_text(
        "Prefix(:=<http://purl.obolibrary.org/obo/hp.owl#>)\nOntology(<http://purl.obolibrary.org/obo/hp.owl>)\n"
    )
    with pytest.raises(IngestError, match=r"hp\.owl: OWL functional syntax or OWL/XML.*robot convert"):
        read_owl(functional)
    empty = tmp_path / "empty.owl"
    empty.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>\n'
    )
    with pytest.raises(IngestError, match=r"empty\.owl: parsed, but it has no owl:Class with an OBO PURL IRI"):
        read_owl(empty)
