"""Disease ids through the committed mapping fixtures: DO xrefs and MONDO's SSSOM exact matches (cut_mondo.py)."""

from __future__ import annotations

import pytest
from pmkg.ingest.xrefs import Resolver

from tests.conftest import FIXTURES

OMIM_SSSOM = FIXTURES / "mondo/mappings-2026-08-04/mondo_exactmatch_omim.sssom.tsv.gz"


@pytest.fixture(scope="module")
def resolver():
    return Resolver.from_data_dir(FIXTURES)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("OMIM:235200", "DOID:2352"),  # hemochromatosis: OMIM -> MONDO -> DOID
        ("MIM:235200", "DOID:2352"),
        ("ORPHA:716", "DOID:9281"),  # phenylketonuria, Orphanet's id
        ("Orphanet:716", "DOID:9281"),
        ("MONDO:0009861", "DOID:9281"),
        ("MESH:D001943", "DOID:1612"),  # breast cancer through the Disease Ontology's own xref
        ("DOID:1648", "DOID:1612"),  # an alt_id of breast cancer
        ("MONDO:0018362", "MONDO:0018362"),  # MONDO knows no DOID for it: MONDO is canonical
        ("ORPHANET:398147", "MONDO:0018362"),
        ("OMIM:141749", None),  # no mapping anywhere
        ("DECIPHER:16", None),
    ],
)
def test_aliases_resolve_to_one_canonical_disease(resolver, alias, canonical):
    assert resolver.disease(alias) == canonical


def test_mondo_labels_name_mondo_keyed_diseases(resolver):
    assert resolver.disease_label("MONDO:0018362") == "persistent idiopathic facial pain"
    assert resolver.disease_label("DOID:1612") is None


def test_damaged_mapping_rows_are_warned_with_file_and_line_and_the_rest_used(resolver):
    resolver.diseases  # noqa: B018 - reads the mapping files
    assert resolver.mapping_problems == [
        f"{OMIM_SSSOM}:43: expected 6 columns, found 3; mapping row skipped",
        f"{OMIM_SSSOM}:44: object_id '612635' is not a CURIE; mapping row skipped",
        f"{OMIM_SSSOM}:45: subject_id 'OMIM:612635' is not a MONDO id; mapping row skipped",
    ]
    assert resolver.summary()["damaged mapping rows skipped"] == 3
    assert resolver.disease("OMIM:999999") is None  # the broadMatch row is no identity: not used, not warned
