"""The action of every CPIC/DPWG recommendation follows a stated rule; no normal result is ever flagged."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pmkg.ingest import pgx_actions, pharmcat
from pmkg.ingest.pgx import ACTIONABLE

ALL = Path(__file__).parent / "fixtures" / "pgx-guidelines"  # all 2,583 recommendations, slimmed


@pytest.fixture(scope="module")
def every_recommendation() -> list[pharmcat.Recommendation]:
    return pharmcat.load_recommendations(ALL)


def by_id(recs: list[pharmcat.Recommendation]) -> dict[str, pharmcat.Recommendation]:
    return {r.id: r for r in recs}


def test_the_fixture_holds_every_recommendation_of_the_bundle(every_recommendation):
    assert len(every_recommendation) == 2583
    assert {r.guideline_source for r in every_recommendation} == {"CPIC", "DPWG"}


def test_normal_activity_scores_come_from_each_bodys_own_phenotype_map():
    keys = pharmcat.normal_lookup_keys(ALL)
    assert keys[("cpic", "CYP2D6")] == {"1.25", "1.5", "1.75", "2.0", "2.25"}
    assert "2.5" not in keys[("cpic", "CYP2D6")]  # CPIC calls 2.5 ultrarapid since 2019
    assert keys[("cpic", "CYP2C9")] == {"2.0"}
    assert keys[("cpic", "DPYD")] == {"2.0"}
    assert "Normal Metabolizer" in keys[("cpic", "CYP2C19")]


def test_no_normal_result_is_flagged_unless_the_curated_table_says_the_text_changes_the_prescription(
    every_recommendation,
):
    decisions = pgx_actions.curated_decisions()
    normal = [r for r in every_recommendation if r.normal]
    assert len(normal) == 291
    flagged = {r.id: r.action for r in normal if r.action in ACTIONABLE}
    assert flagged == {d: decisions[d].action for d in flagged}
    assert sorted(decisions[d].guideline for d in flagged) == ["CPIC tacrolimus", "DPWG tacrolimus"]
    assert all(r.action in ("standard", "no recommendation") for r in normal if r.id not in decisions)


def test_every_curated_reading_matches_the_recommendation_it_names(every_recommendation):
    """The table goes stale loudly: a row whose recommendation, guideline, key or keyword reading changed fails."""
    recs = by_id(every_recommendation)
    decisions = pgx_actions.curated_decisions()
    assert len(decisions) == 19
    for decision in decisions.values():
        rec = recs[decision.recommendation_id]
        drugs = "/".join(sorted({c.name for c in rec.drugs}))
        assert decision.guideline == f"{rec.guideline_source} {drugs}", decision
        assert decision.lookup_key == ";".join(f"{g}={v}" for g, v in rec.lookup_key), decision
        assert decision.keyword_reading == pharmcat.action_of(rec.text, rec.classification), decision
        assert rec.action == decision.action and decision.reason


def test_thiopurines_for_a_tpmt_and_nudt15_normal_metaboliser_are_not_flagged(every_recommendation):
    """Reported: azathioprine for TPMT *1/*1, NUDT15 *1/*1 carried 'CPIC: adjust dose (Strong)'."""
    wanted = {"TPMT": "Normal Metabolizer", "NUDT15": "Normal Metabolizer"}
    for drug in ("azathioprine", "mercaptopurine", "thioguanine"):
        found = pharmcat.recommendations_for(every_recommendation, drug, wanted, source="CPIC")
        assert found and {r.action for r in found} == {"standard"}, drug
        assert "normal starting dose" in found[0].text


def test_structured_flags_correct_the_keyword_reading_of_a_changed_dose(every_recommendation):
    """'Use 1.4 times the standard dose' mentions the standard dose and changes it: dosingInformation decides."""
    allopurinol = pharmcat.recommendations_for(
        every_recommendation, "allopurinol", {"ABCG2": "Poor Function"}, source="DPWG"
    )
    assert [r.text.split("\n")[0] for r in allopurinol] == ["Use 1.4 times the standard dose."]
    assert pharmcat.action_of(allopurinol[0].text) == "standard"  # the keyword reading alone
    assert allopurinol[0].action == "adjust dose"


def test_action_counts_over_the_whole_bundle(every_recommendation):
    counts = Counter(r.action for r in every_recommendation)
    assert counts == {
        "avoid": 856,
        "adjust dose": 586,
        "standard": 460,
        "no recommendation": 299,
        "use alternative": 252,
        "see text": 130,
    }


def test_a_malformed_decision_table_names_line_and_field(tmp_path):
    table = tmp_path / "decisions.tsv"
    header = "\t".join(pgx_actions.DECISION_COLUMNS)
    table.write_text(f"{header}\nPA1\tCPIC x\tG=Normal\tstandard\tmaybe\twhy\n")
    with pytest.raises(ValueError, match=r"row 2, field action: 'maybe' is not one of"):
        pgx_actions.curated_decisions(table)
    table.write_text(f"{header}\nPA1\tCPIC x\n")
    with pytest.raises(ValueError, match=r"row 2 has 2 fields, expected 6"):
        pgx_actions.curated_decisions(table)
