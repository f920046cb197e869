"""Ingest of the committed fixtures (real rows cut from upstream files, plus deliberately bad rows)."""

import gzip
import shutil
from pathlib import Path

import pytest
from pmkg.ingest import hetionet, pharmacotherapydb
from pmkg.ingest.base import IngestError

from pmkg.workflows.ingest import ingest_sources
from tests.conftest import FIXTURE_SOURCES, FIXTURES


def test_hetionet_ids_become_curies():
    assert hetionet.to_curie("Compound::DB00945") == ("Drug", "DRUGBANK:DB00945")
    assert hetionet.to_curie("Disease::DOID:1612") == ("Disease", "DOID:1612")
    assert hetionet.to_curie("Gene::1017") == ("Gene", "NCBIGene:1017")
    assert hetionet.to_curie("Side Effect::C0000727") == ("SideEffect", "UMLS:C0000727")
    assert hetionet.to_curie("Pathway::WP100") == ("Pathway", "WIKIPATHWAYS:WP100")
    assert hetionet.to_curie("Biological Process::GO:0000002") == ("GOTerm", "GO:0000002")


def test_bad_rows_are_warned_with_file_and_line_and_the_rest_kept():
    result = hetionet.run(FIXTURES)
    assert result.unresolved == {"node kind Spaceship": 1, "metaedge CxG": 1, "edge endpoint not in nodes file": 1}
    assert result.skipped["wrong column count"] == 2
    assert any("hetionet-v1.0-nodes.tsv:1606" in w and "Spaceship" in w for w in result.warnings)
    assert any("hetionet-v1.0-edges.sif:1642" in w and "DB99999" in w for w in result.warnings)
    assert len(result.edges) == 1439  # CbG and DaG from their compiled tables (tests/test_hetionet_tables.py)
    pdb = pharmacotherapydb.run(FIXTURES)
    assert pdb.skipped["NOT (non-indication)"] == 109
    assert pdb.unresolved["malformed DOID or DrugBank id"] == 1
    assert {e.type for e in pdb.edges} == {"TREATS", "PALLIATES"}


def test_every_record_carries_provenance():
    for result in (hetionet.run(FIXTURES), pharmacotherapydb.run(FIXTURES)):
        for record in [*result.nodes, *result.edges]:
            assert record.props["source"] == result.source.name
            assert record.props["source_version"] and record.props["license"]


def test_missing_file_names_the_file_and_the_url(tmp_path):
    with pytest.raises(IngestError, match=r"indications.tsv.*github.com/dhimmel/indications"):
        pharmacotherapydb.run(tmp_path)


def test_corrupt_gzip_fails_that_source_only(tmp_path, store):
    shutil.copytree(FIXTURES, tmp_path / "data")
    (tmp_path / "data/hetionet/hetionet-v1.0-edges.sif").unlink()
    truncated = gzip.compress((FIXTURES / "hetionet/hetionet-v1.0-edges.sif").read_bytes())[:500]
    (tmp_path / "data/hetionet/hetionet-v1.0-edges.sif.gz").write_bytes(truncated)
    written = ingest_sources(store, tmp_path / "data", ["hetionet", "pharmacotherapydb"], progress=False)
    outcomes = {o.name: o for o in written}
    assert not outcomes["hetionet"].ok and "truncated or corrupt" in outcomes["hetionet"].error
    assert outcomes["pharmacotherapydb"].ok


def test_wrong_header_is_a_clear_error(tmp_path):
    (tmp_path / "pharmacotherapydb").mkdir()
    (tmp_path / "pharmacotherapydb/indications.tsv").write_text("a\tb\nx\ty\n")
    with pytest.raises(IngestError, match=r"indications.tsv:1: header lacks column\(s\) doid_id"):
        pharmacotherapydb.run(tmp_path)


def test_ingest_writes_the_fixture_graph(store, ingest_outcomes):
    assert all(o.ok for o in ingest_outcomes)
    assert all(not o.write_problems for o in ingest_outcomes), [o.write_problems for o in ingest_outcomes]
    treats = store.run("MATCH (:Drug)-[r:TREATS]->(:Disease) RETURN count(r) AS n, collect(DISTINCT r.source) AS s")
    # 307 DM rows in the fixture, one of them the malformed DBX row
    assert treats == [{"n": 306, "s": ["pharmacotherapydb"]}]
    aspirin = store.run("MATCH (n:Drug {id: 'DRUGBANK:DB00945'}) RETURN n.name AS name, n.sources AS sources")
    assert aspirin[0]["name"] == "Acetylsalicylic acid"
    assert sorted(aspirin[0]["sources"]) == ["drugcentral", "hetionet", "pharmacotherapydb"]
    sources = store.run("MATCH (s:Source) RETURN s.id AS id, s.sha256 AS sha ORDER BY id")
    assert [s["id"] for s in sources] == sorted(f"PMKG.SOURCE:{name}" for name in FIXTURE_SOURCES)
    assert all(len(h) == 64 for s in sources for h in s["sha"])


def test_no_node_or_edge_lacks_provenance(store, ingest_outcomes):
    rows = store.run(
        "MATCH (n) WHERE n.source IS NULL OR n.source_version IS NULL OR n.license IS NULL RETURN count(n) AS n"
    )
    assert rows == [{"n": 0}]
    rows = store.run(
        "MATCH ()-[r]->() WHERE r.model_version IS NULL AND (r.source IS NULL OR r.license IS NULL) "
        "RETURN count(r) AS n"
    )
    assert rows == [{"n": 0}]


def test_ingest_is_idempotent(store, ingest_outcomes):
    count = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS nodes, count(r) AS edges"
    before = store.run(count)
    again = ingest_sources(store, FIXTURES, FIXTURE_SOURCES, progress=False)
    assert all(o.ok for o in again)
    assert store.run(count) == before


def test_unknown_source_is_rejected(store):
    with pytest.raises(ValueError, match="unknown source"):
        ingest_sources(store, Path("."), ["nope"], progress=False)
