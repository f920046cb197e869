"""The rule that separates mechanism classes from therapeutic-use classes (label proxies)."""

import pytest
from pmkg.ingest.class_use import class_use

CASES = [
    ("MeSH", "Antihypertensive Agents", "therapeutic_use"),
    ("MeSH", "Antineoplastic Agents", "therapeutic_use"),
    ("MeSH", "Analgesics, Non-Narcotic", "therapeutic_use"),
    ("MeSH", "Platelet Aggregation Inhibitors", "therapeutic_use"),
    ("MeSH", "Fibrinolytic Agents", "therapeutic_use"),
    ("MeSH", "Calcium Channel Blockers", "mechanism"),
    ("MeSH", "Cyclooxygenase Inhibitors", "mechanism"),
    ("MeSH", "Adrenergic beta-Antagonists", "mechanism"),
    ("MeSH", "Antimetabolites", "mechanism"),
    ("MeSH", "Glucocorticoids", "mechanism"),
    ("MeSH", "Contrast Media", "mechanism"),
    ("CHEBI", "antineoplastic agent", "therapeutic_use"),
    ("CHEBI", "antibacterial drug", "therapeutic_use"),
    ("CHEBI", "non-steroidal anti-inflammatory drug", "therapeutic_use"),
    ("CHEBI", "serotonin uptake inhibitor", "mechanism"),
    ("CHEBI", "prodrug", "mechanism"),
    ("CHEBI", "anxiolytic drug", "therapeutic_use"),
    ("FDA", "Nonsteroidal Anti-inflammatory Drug", "mechanism"),
    ("FDA", "Anti-epileptic Agent", "mechanism"),
]


@pytest.mark.parametrize(("source", "name", "expected"), CASES)
def test_class_use(source: str, name: str, expected: str) -> None:
    assert class_use(source, name) == expected
