"""Which pharmacologic classes say what a drug does, and which say what it is used for.

DrugCentral's classes come from three vocabularies. The FDA's (EPC, MoA, PE, Chemical/Ingredient) describe
mechanism, physiological effect and structure. MeSH's "pharmacological action" tree and ChEBI's roles mix
mechanism classes ("Calcium Channel Blockers", "cyclooxygenase inhibitor") with **therapeutic-use** classes
("Antihypertensive Agents", "antineoplastic agent", "Analgesics") that restate a drug's indications. A model that
reads a therapeutic-use class learns the label from its input, so pmkg stores those memberships as their own
relationship, ``IN_THERAPEUTIC_CLASS``, which training leaves out by default (the docs' "Model and evaluation"
page gives the ablation that chose this).

The rule, in order, on the class name (case-insensitive):

1. FDA classes are mechanism/structure classes.
2. A name with a mechanism word (:data:`MECHANISM_WORDS`: inhibitor, agonist, antagonist, blocker, receptor,
   modulator, …) or a pharmacology family (:data:`MECHANISM_FAMILIES`: adrenergic, cholinergic, dopamine,
   alkylating, …) is a mechanism class, unless it also names a use (:data:`USE_OVERRIDES`, e.g. "Platelet
   Aggregation Inhibitors", which MeSH files under therapeutic uses).
3. A name that starts with ``anti`` or holds a use word (:data:`USE_WORDS`: analgesic, anesthetic, diuretic,
   contraceptive, …) is a therapeutic-use class.
4. Everything else (hormones, vitamins, prodrug, metabolite, contrast media) is a mechanism/structure class.
"""

from __future__ import annotations

import re
from typing import Literal

ClassUse = Literal["mechanism", "therapeutic_use"]

MECHANISM_WORDS = (
    "inhibitor", "agonist", "antagonist", "blocker", "modulator", "activator", "inducer", "receptor", "uptake",
    "ligand", "reactivator", "chelat", "sequestering", "uncoupl", "releasing", "antimetabolite", "antioxidant",
    "alkylating", "intercalat", "cross-linking", "prodrug", "metabolite", "allergen", "hapten", "mimetic",
    "channel", "symporter", "enzyme", "ionophore", "antimitotic",
)
MECHANISM_FAMILIES = (
    "adrenergic", "cholinergic", "dopamin", "serotonin", "serotonergic", "histamine", "gaba", "glutamat",
    "neurotransmitter", "opioid", "purinergic", "muscarinic", "nicotinic", "excitatory amino acid", "hormone",
    "estrogen", "progestin", "androgen", "glucocorticoid", "mineralocorticoid", "vitamin", "micronutrient",
    "sympatho", "parasympatho", "tubulin", "topoisomerase", "cytochrome", "kinase",
)
USE_OVERRIDES = ("platelet aggregation inhibitor", "angiogenesis inhibitor", "growth inhibitor")
USE_WORDS = (
    "analgesic", "anesthetic", "anaesthetic", "anaesthesia", "anesthesia", "sedative", "hypnotic", "tranquiliz",
    "anxiolytic", "contracepti", "diuretic", "natriuretic", "laxative", "cathartic", "bronchodilator",
    "vasodilator", "vasoconstrictor", "hypoglycemic", "hypolipidemic", "anticholesteremic", "antilipemic",
    "immunosuppress", "immunomodulat", "cardiotonic", "dermatologic", "gastrointestinal", "respiratory system",
    "central nervous system", "peripheral nervous system", "cardiovascular", "hematologic", "sensory system",
    "urological", "reproductive", "neuroprotective", "nootropic", "muscle relaxant", "expectorant", "antidote",
    "gout", "bone density", "tocolytic", "oxytocic", "mydriatic", "miotic", "keratolytic", "antipruritic",
    "antiseptic", "disinfectant", "amebicide", "anthelmintic", "schistosomicide", "trypanocid", "psychotropic",
    "dyskinesia", "decongestant", "radiation-protective", "photosensitizing", "obesity", "antacid", "cholagogue",
    "uricosuric", "hemostatic", "coagulant", "fibrinolytic", "narcotic", "anabolic", "protective agent",
    "antipyretic", "emetic", "antitussive", "anticonvulsant", "antiepileptic", "antidepress", "antipsychotic",
    "antineoplastic", "chemotherap", "antibiotic", "antibacterial", "antiviral", "antifungal", "antimalarial",
    "antiprotozoal", "antiparasitic", "antitubercular", "spasmolytic", "antispasmodic", "glaucoma", "parkinson",
    "orphan drug", "nutraceutical", "appetite", "smoking", "alcohol deterrent", "abortifacient", "fertility",
    "ulcer", "asthma", "allergic", "arrhythmi", "rheumatic", "inflammatory", "infective", "hypertensive",
    "anginal", "emetic", "malarial", "leprotic", "scabicide", "pediculicide", "insecticide", "pesticide",
)
_ANTI = re.compile(r"^anti[\s-]?\w")


def class_use(class_source: str, name: str) -> ClassUse:
    """Whether the class ``name`` from ``class_source`` (``FDA``, ``MeSH``, ``CHEBI``) states a use or a mechanism."""
    if class_source.upper() == "FDA":
        return "mechanism"
    text = name.lower()
    if any(word in text for word in USE_OVERRIDES):
        return "therapeutic_use"
    if any(word in text for word in MECHANISM_WORDS) or any(word in text for word in MECHANISM_FAMILIES):
        return "mechanism"
    if _ANTI.match(text) or any(word in text for word in USE_WORDS):
        return "therapeutic_use"
    return "mechanism"
