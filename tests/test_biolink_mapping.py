"""kg/biolink.yaml checked against the Biolink Model with bmt, and its infores ids against the pinned registry.

bmt reads the biolink-model wheel's schema and the pinned predicate_mapping.yaml (tests/trapi_validation.py), so
nothing is downloaded.
"""

from __future__ import annotations

import pytest
import yaml
from pmkg.kg.biolink import MAPPING_FILE, BiolinkMapping, MappingError, biolink_mapping
from pmkg.kg.schema import LABELS, RELATIONSHIPS

from tests.trapi_validation import PINNED, biolink_toolkit

INFORES_CATALOG = PINNED / "infores_catalog.yaml"


@pytest.fixture(scope="module")
def toolkit():
    return biolink_toolkit()


@pytest.fixture(scope="module")
def mapping():
    return biolink_mapping()


def _name(curie: str) -> str:
    return curie.removeprefix("biolink:")


def test_the_table_names_the_biolink_version_it_was_checked_against(toolkit, mapping):
    assert mapping.biolink_version == toolkit.get_model_version()


def test_every_label_and_every_exported_relationship_is_mapped(mapping):
    assert set(mapping.categories) == set(LABELS), "each label needs a row (exported: false to keep it in)"
    missing = [
        f"{spec.name} {src}->{dst}"
        for spec in RELATIONSHIPS.values()
        for src, dst in sorted(spec.endpoints)
        if mapping.exported(src) and mapping.exported(dst) and mapping.edge(spec.name, src, dst) is None
    ]
    assert not missing, f"relationships without a Biolink predicate in {MAPPING_FILE.name}: {missing}"
    unknown = [
        key
        for key in mapping.predicates
        if key[0] not in RELATIONSHIPS or key[1:] not in RELATIONSHIPS[key[0]].endpoints
    ]
    assert not unknown, f"rows for relationships the schema does not have: {unknown}"


def test_categories_are_concrete_current_biolink_classes(toolkit, mapping):
    used = {c for spec in mapping.categories.values() for c in spec.categories()} | set(mapping.query_aliases)
    used |= set(mapping.query_aliases.values())
    for category in sorted(used):
        element = toolkit.get_element(category)
        assert element is not None and toolkit.is_category(category), category
        assert not element.mixin and not element.abstract and not element.deprecated, category


def _within(toolkit, category: str, bound: str | None) -> bool:
    if not bound:
        return True
    return toolkit.get_element(bound).name in {
        toolkit.get_element(a).name for a in toolkit.get_ancestors(category, mixin=True, formatted=True)
    }


def _predicate_object_pairs(mapping, row) -> list[tuple[str, list[str]]]:
    """Each predicate of ``row`` with the object categories it applies to (a by-property predicate goes with the
    object category chosen by the same property value)."""
    target = mapping.categories[row.object]
    if row.by_object_property and target.by_property and target.by_property[0] == row.by_object_property[0]:
        categories = target.by_property[1]
        pairs = [(p, [categories[v]]) for v, p in row.by_object_property[1].items() if v in categories]
        return [(row.predicate, [target.category]), *pairs]
    return [(predicate, target.categories()) for predicate in row.predicates()]


def test_predicates_exist_are_current_and_respect_domain_and_range(toolkit, mapping):
    problems = []
    for row in mapping.predicates.values():
        for predicate, object_categories in _predicate_object_pairs(mapping, row):
            subject_categories = mapping.categories[row.subject].categories()
            if row.reverse:  # the Biolink edge runs object -> subject
                subject_categories, object_categories = object_categories, subject_categories
            element = toolkit.get_element(predicate)
            if element is None or not toolkit.is_predicate(predicate):
                problems.append(f"{row.type}: {predicate} is not a Biolink predicate")
                continue
            if element.deprecated or element.abstract:
                problems.append(f"{row.type}: {predicate} is deprecated or abstract")
            for category in subject_categories:
                if not _within(toolkit, category, element.domain):
                    problems.append(
                        f"{row.type} {row.subject}: {category} is outside {predicate}'s domain {element.domain}"
                    )
            for category in object_categories:
                if not _within(toolkit, category, element.range):
                    problems.append(
                        f"{row.type} {row.object}: {category} is outside {predicate}'s range {element.range}"
                    )
    assert not problems, "\n".join(problems)


def test_predicates_run_in_biolink_s_canonical_direction(toolkit, mapping):
    """Where Biolink marks a predicate's inverse canonical, the row uses the inverse with reverse: true."""
    wrong = []
    for row in mapping.predicates.values():
        for predicate in row.predicates():
            element = toolkit.get_element(predicate)
            if toolkit.is_translator_canonical_predicate(predicate) or not element.inverse:
                continue
            if toolkit.is_translator_canonical_predicate(element.inverse):
                wrong.append(f"{row.type} {row.subject}->{row.object}: {predicate} (canonical: {element.inverse})")
    assert not wrong, wrong


def test_qualifiers_are_biolink_qualifiers_with_allowed_values(toolkit, mapping):
    checked = 0
    for row in mapping.predicates.values():
        for qualifier, value in row.qualifiers:
            assert toolkit.is_qualifier(qualifier), qualifier
            if qualifier == "biolink:qualified_predicate":
                assert toolkit.is_predicate(value) and not toolkit.get_element(value).deprecated, value
            else:
                assert toolkit.validate_qualifier(qualifier, value), (row.type, qualifier, value)
            checked += 1
    assert checked >= 10


def test_knowledge_levels_and_agent_types_are_biolink_enum_values(toolkit, mapping):
    levels = {str(v) for v in toolkit.view.get_enum("KnowledgeLevelEnum").permissible_values}
    agents = {str(v) for v in toolkit.view.get_enum("AgentTypeEnum").permissible_values}
    for source in mapping.sources.values():
        assert source.knowledge_level in levels and source.agent_type in agents, source
    for row in mapping.predicates.values():
        assert row.knowledge_level in levels | {None} and row.agent_type in agents | {None}, row


def test_infores_ids_come_from_the_registry_and_the_unregistered_ones_are_flagged(mapping):
    catalog = {r["id"]: r for r in yaml.safe_load(INFORES_CATALOG.read_text())["information_resources"]}
    flagged = {s.infores for s in mapping.sources.values() if not s.registered} | (
        set() if mapping.infores_registered else {mapping.infores}
    )
    used = {s.infores for s in mapping.sources.values()} | {
        i for r in mapping.predicates.values() for i in r.infores.values()
    }
    for infores in sorted(used - flagged):
        assert infores in catalog, f"{infores} is not in the infores registry"
        assert catalog[infores].get("status") == "released", (infores, catalog[infores].get("status"))
    # When one of these is registered, the test says so: flip its flag in the table.
    assert not (flagged & set(catalog)), f"now registered: {sorted(flagged & set(catalog))}"
    assert flagged == {"infores:pmkg", "infores:cpic", "infores:drugcentral-ddi"}
    assert len(set(mapping.infores_to_source)) == len(mapping.sources), "two sources share an infores id"


def test_curie_spelling_round_trips(mapping):
    assert mapping.curie_out("Variant", "dbSNP:rs334") == "DBSNP:rs334"
    assert mapping.curie_in("DBSNP:rs334") == "dbSNP:rs334"
    assert mapping.curie_out("Drug", "DRUGCENTRAL:5") == "DrugCentral:5"
    assert mapping.curie_in("DrugCentral:5", "Drug") == "DRUGCENTRAL:5"
    assert mapping.curie_in("PHARMGKB.VARIANT:PA166154579", "Drug") == "PHARMGKB.VARIANT:PA166154579"
    assert mapping.curie_out("Disease", "DOID:1612") == mapping.curie_in("DOID:1612") == "DOID:1612"


def test_a_malformed_table_is_refused_with_the_entry_named():
    data = yaml.safe_load(MAPPING_FILE.read_text())
    data["predicates"].append(dict(data["predicates"][0]))
    with pytest.raises(MappingError, match="TREATS Drug->Disease is mapped twice"):
        BiolinkMapping(data)
    data = yaml.safe_load(MAPPING_FILE.read_text())
    data["predicates"][0]["agent_type"] = "robot"
    with pytest.raises(MappingError, match=r"predicates\[0\].*agent_type 'robot'"):
        BiolinkMapping(data)


def test_non_biolink_prefixes_are_exactly_the_exported_ones_biolink_lacks(mapping):
    import json
    from importlib.resources import files

    prefix_map = json.loads((files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text())
    written = {
        mapping.curie_out(label, f"{prefix}:x").partition(":")[0]
        for label, spec in LABELS.items()
        if mapping.exported(label) and label in mapping.categories
        for prefix in spec.prefixes
    }
    assert set(mapping.non_biolink_prefixes) == written - set(prefix_map)


def test_the_committed_biolink_closure_is_current():
    """kg/biolink_closure.json (the hierarchy TRAPI matches queries with) is what tools/biolink_closure.py writes."""
    import json

    from pmkg.kg.biolink import CLOSURE_FILE

    from tools.biolink_closure import closure

    assert json.loads(CLOSURE_FILE.read_text()) == closure(), "run: python tools/biolink_closure.py"


def test_query_matching_follows_the_biolink_hierarchy(mapping):
    assert mapping.category_matches(["biolink:ChemicalEntity"], "biolink:Drug")
    assert mapping.category_matches(["biolink:SmallMolecule"], "biolink:Drug")  # a query alias
    assert not mapping.category_matches(["biolink:Gene"], "biolink:Drug")
    assert mapping.predicate_matches(["biolink:related_to"], "biolink:treats")
    assert mapping.predicate_matches(None, "biolink:treats")
    assert not mapping.predicate_matches(["biolink:causes"], "biolink:treats")
