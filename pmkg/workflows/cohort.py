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
# CIViC (ingest.civic): supporting predictive items' diseases per profile, and the profiles' variants.
TUMOUR_PAIRS = (
    "MATCH (mp:MolecularProfile)-[e:PREDICTS_SENSITIVITY_TO]->() WHERE mp.match_rule IN ['single', 'all'] "
    "UNWIND range(0, size(e.evidence_ids) - 1) AS i "
    "WITH mp, e.evidence_directions[i] AS direction, e.evidence_disease_ids[i] AS disease "
    "WHERE direction = 'Supports' AND disease <> '' "
    "MATCH (d:Disease {id: disease}) WITH DISTINCT mp.id AS profile, d.id AS disease "
    "RETURN collect(profile) AS profile, collect(disease) AS disease"
)
TUMOUR_VARIANTS = (
    "MATCH (mp:MolecularProfile)-[:HAS_COMPONENT]->(v:Variant) WHERE mp.match_rule IN ['single', 'all'] "
    "RETURN collect(mp.id) AS profile, collect(coalesce(v.gene_symbol, '')) AS gene, "
    "collect(coalesce(v.protein_change, '')) AS protein"
)
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
    pairs, variants = _tumour_source(store)
    return CohortSource(
        indications={d: sorted(v) for d, v in sorted(indications.items())},
        phenotypes={d: sorted(v.items()) for d, v in sorted(phenotypes.items())},
        symptoms={d: sorted(v) for d, v in sorted(symptoms.items())},
        parents={c: sorted(v) for c, v in sorted(parents.items())},
        disease_names=dict(zip(names["id"], names["name"], strict=True)),
        tumour_pairs=pairs,
        tumour_variants=variants,
    )


def _tumour_source(store: GraphStore) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """CIViC (profile, disease) pairs whose profile's variants all have a gene and a concrete protein change."""
    import re

    cols = store.columns(TUMOUR_VARIANTS)
    variants: dict[str, list[tuple[str, str]]] = defaultdict(list)
    unusable: set[str] = set()
    for profile, gene, protein in zip(cols["profile"], cols["gene"], cols["protein"], strict=True):
        if not gene or not protein or re.fullmatch(r"[A-Z*]\d+", protein):  # none, or codon level (BRAF V600)
            unusable.add(profile)
        variants[profile].append((gene, protein))
    usable = {p: sorted(v) for p, v in sorted(variants.items()) if p not in unusable}
    cols = store.columns(TUMOUR_PAIRS)
    pairs = sorted({(p, d) for p, d in zip(cols["profile"], cols["disease"], strict=True) if p in usable})
    return pairs, {p: usable[p] for p in sorted({p for p, _ in pairs})}
