"""What the synthetic cohort generator draws from, read out of the real graph (one columnar query per table)."""

from __future__ import annotations

from collections import defaultdict

from pmkg.ingest.synthetic import CohortSource
from pmkg.kg.store import GraphStore

TREATABLE = "MATCH (c:Drug)-[:TREATS]->(d:Disease) RETURN collect(d.id) AS disease, collect(c.id) AS drug"
DISEASE_PHENOTYPES = (
    "MATCH (d:Disease)-[r:HAS_PHENOTYPE]->(p:Phenotype) "
    "RETURN collect(d.id) AS disease, collect(p.id) AS phenotype, collect(coalesce(r.frequency_value, -1.0)) AS freq"
)
DISEASE_SYMPTOMS = (
    "MATCH (d:Disease)-[:PRESENTS]->(s:Symptom) RETURN collect(d.id) AS disease, collect(s.id) AS symptom"
)
PHENOTYPE_PARENTS = "MATCH (c:Phenotype)-[:IS_A]->(p:Phenotype) RETURN collect(c.id) AS child, collect(p.id) AS parent"
DISEASE_NAMES = (
    "MATCH (d:Disease) WHERE d.id IN $ids RETURN collect(d.id) AS id, collect(coalesce(d.name, d.id)) AS name"
)


def read_cohort_source(store: GraphStore) -> CohortSource:
    cols = store.columns(TREATABLE)
    indications: dict[str, set[str]] = defaultdict(set)
    for disease, drug in zip(cols["disease"], cols["drug"], strict=True):
        indications[disease].add(drug)
    cols = store.columns(DISEASE_PHENOTYPES)
    phenotypes: dict[str, dict[str, float | None]] = defaultdict(dict)
    for disease, term, freq in zip(cols["disease"], cols["phenotype"], cols["freq"], strict=True):
        phenotypes[disease][term] = None if freq is None or freq < 0 else float(freq)
    cols = store.columns(DISEASE_SYMPTOMS)
    symptoms: dict[str, set[str]] = defaultdict(set)
    for disease, symptom in zip(cols["disease"], cols["symptom"], strict=True):
        symptoms[disease].add(symptom)
    cols = store.columns(PHENOTYPE_PARENTS)
    parents: dict[str, set[str]] = defaultdict(set)
    for child, parent in zip(cols["child"], cols["parent"], strict=True):
        parents[child].add(parent)
    names = store.columns(DISEASE_NAMES, {"ids": sorted(indications)})
    return CohortSource(
        indications={d: sorted(v) for d, v in sorted(indications.items())},
        phenotypes={d: sorted(v.items()) for d, v in sorted(phenotypes.items())},
        symptoms={d: sorted(v) for d, v in sorted(symptoms.items())},
        parents={c: sorted(v) for c, v in sorted(parents.items())},
        disease_names=dict(zip(names["id"], names["name"], strict=True)),
    )
