"""The real-phenopacket evaluation (pmkg.workflows.real_patients, gnn.differential_metrics) on the committed real
phenopackets of tests/fixtures/patients and a hand-made graph export whose answers are known."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from pmkg.gnn.calibration import PlattScaling
from pmkg.gnn.differential_metrics import bootstrap_mean, label_ranks, paired_bootstrap
from pmkg.gnn.patient_artifacts import LoadedPatientModel
from pmkg.gnn.patient_data import TokenVocabulary
from pmkg.gnn.patient_model import PatientDrugModel
from pmkg.ingest.phenopackets import PhenopacketError, parse_phenopacket
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.export import GraphExport

from pmkg.workflows.real_patients import (
    NO_DO_GROUP,
    disease_groups,
    evaluate_real_patients,
    model_disease_logits,
    read_real_patients,
    restrict_first,
)

PACKETS = Path(__file__).parent / "fixtures" / "patients" / "phenopackets"
ABCA4 = "PMID_10874631_II_2.json"  # OMIM:601718 (ABCA4), 7 HP terms
ABCA4_B = "PMID_16546111_A_IV_5.json"  # OMIM:248200 (ABCA4)
ADAMTS10 = "PMID_19836009_Family_B_II_2.json"  # OMIM:277600
AAGAB = "PMID_24573067_CASE_REPORT.json"  # OMIM:148600


def _resolver() -> Resolver:
    return Resolver.from_tables(
        diseases={"OMIM:601718": "DOID:10", "OMIM:248200": "MONDO:0000011", "OMIM:277600": "DOID:20"},
        genes={"HGNC:34": "NCBIGene:24", "HGNC:13201": "NCBIGene:81794", "HGNC:25662": "NCBIGene:79719"},
        known_doids={"DOID:4", "DOID:7", "DOID:10", "DOID:20", "DOID:30"},
    )


@pytest.fixture(scope="module")
def packets(tmp_path_factory) -> Path:
    """The fixture phenopackets laid out as phenopacket-store is (one folder per gene), plus the broken one."""
    root = tmp_path_factory.mktemp("packets")
    for name, gene in ((ABCA4, "ABCA4"), (ABCA4_B, "ABCA4"), (ADAMTS10, "ADAMTS10"), (AAGAB, "AAGAB"),
                       ("broken_excluded_is_text.json", "AAGAB")):  # fmt: skip
        (root / gene).mkdir(exist_ok=True)
        shutil.copy(PACKETS / name, root / gene / name)
    return root


def _terms(name: str, excluded: bool = False) -> list[str]:
    doc = json.loads((PACKETS / name).read_text())
    return [f["type"]["id"] for f in doc["phenotypicFeatures"] if bool(f.get("excluded", False)) == excluded]


def test_phenopacket_store_unknown_protein_changes_no_longer_reject_the_file():
    # 150 of the 1,480 real phenopackets write p.? or p.(Met1?) (HGVS: consequence unknown / uncertain); reading
    # them raised PhenopacketError, so the real cohort could not be read.
    doc = json.loads((PACKETS / ABCA4).read_text())
    descriptor = doc["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
        "variationDescriptor"
    ]
    for value in ("NP_000341.2:p.?", "NP_000341.2:p.(Met1?)", "NP_000341.2:p.(Ter483LeuextTer7)"):
        changed = copy.deepcopy(doc)
        target = changed["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
            "variationDescriptor"
        ]
        target["expressions"] = [*descriptor.get("expressions", []), {"syntax": "hgvs.p", "value": value}]
        packet = parse_phenopacket(changed, "case.json")
        assert packet.variants[0].gene_symbol == "ABCA4"
    broken = copy.deepcopy(doc)
    broken["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
        "variationDescriptor"
    ]["expressions"] = [{"syntax": "hgvs.p", "value": "NP_000341.2:p.Banana"}]
    with pytest.raises(PhenopacketError, match="expressions"):
        parse_phenopacket(broken, "case.json")


def test_reading_keeps_observed_terms_and_genes_and_labels_only_through_the_resolver(packets):
    read = read_real_patients(packets, _resolver())
    assert list(read.unreadable) == ["AAGAB/broken_excluded_is_text.json"]
    by_disease = {p.recorded[0]: p for p in read.patients}
    first = by_disease["OMIM:601718"]
    assert first.cohort == "ABCA4" and first.labels == ["DOID:10"] and first.genes == ["NCBIGene:24"]
    assert first.phenotypes == sorted(set(_terms(ABCA4)))
    assert not set(first.phenotypes) & set(_terms(ABCA4, excluded=True))
    assert by_disease["OMIM:248200"].labels == ["MONDO:0000011"]
    assert by_disease["OMIM:148600"].labels == []  # unmappable: counted, never guessed


def _world(packets: Path):
    """An export whose diseases are annotated with exactly their patient's terms, and a tiny untrained model."""
    patients = read_real_patients(packets, _resolver()).patients
    terms = sorted({t for p in patients for t in p.phenotypes})
    root = "HP:0000118"
    phenotypes = [root, *terms]
    diseases = ["DOID:4", "DOID:7", "DOID:30", "DOID:10", "DOID:20", "MONDO:0000011", "DOID:99"]
    by_label = {p.labels[0]: p for p in patients if p.labels}
    annotations = [
        (diseases.index(d), phenotypes.index(t)) for d in ("DOID:10", "DOID:20", "MONDO:0000011")
        for t in by_label[d].phenotypes
    ] + [(diseases.index("DOID:99"), 1)]  # fmt: skip
    export = GraphExport(
        node_ids={"Disease": diseases, "Phenotype": phenotypes, "Gene": ["NCBIGene:24", "NCBIGene:81794"],
                  "Drug": ["DRUGBANK:DB1"], "Variant": ["V1"]},
        node_names={"Disease": ["disease", "disease of anatomical entity", "eye disease", "d10", "d20", "m11", "d99"]},
        edges={
            ("Phenotype", "IS_A", "Phenotype"): np.array([[i for i in range(1, len(phenotypes))],
                                                          [0] * (len(phenotypes) - 1)]),
            ("Disease", "HAS_PHENOTYPE", "Phenotype"): np.array(annotations).T,
            ("Disease", "IS_A", "Disease"): np.array([[1, 2, 3, 4, 6], [0, 1, 2, 0, 0]]),
            ("Variant", "IN_GENE", "Gene"): np.array([[0], [0]]),
            ("Variant", "ASSOCIATED_WITH", "Disease"): np.array([[0], [3]]),
        },
    )  # fmt: skip
    torch.manual_seed(0)
    num_nodes = {k: len(v) for k, v in export.node_ids.items() if k != "Variant"}
    model = PatientDrugModel(num_nodes, {k: 1 for k in num_nodes}, [("Drug", "TREATS", "Disease")], 1,
                             candidates=[3, 4], hidden=8)  # fmt: skip
    model.eval()
    embeddings = {k: torch.randn(n, 8) for k, n in num_nodes.items()}
    loaded = LoadedPatientModel(model, "test", embeddings, export.node_ids, ["drug"], ["d10", "d20"],
                                TokenVocabulary(), PlattScaling(1.0, 0.0, 1, 1, 0.0), {})  # fmt: skip
    return export, loaded


def test_the_recorded_diagnosis_never_reaches_the_model(packets):
    export, loaded = _world(packets)
    patients = [p for p in read_real_patients(packets, _resolver()).patients if p.labels]
    logits, _ = model_disease_logits(loaded, patients, with_gene=False)
    relabelled = [dataclasses.replace(p, labels=["DOID:20"], recorded=["OMIM:277600"]) for p in patients]
    assert np.array_equal(logits, model_disease_logits(loaded, relabelled, with_gene=False)[0])
    with_gene, _ = model_disease_logits(loaded, patients, with_gene=True)
    has_gene = [i for i, p in enumerate(patients) if "NCBIGene:24" in p.genes]
    assert has_gene and not np.allclose(with_gene[has_gene], logits[has_gene])


def test_evaluation_ranks_each_patient_by_its_own_annotations_and_counts_what_it_cannot_rank(packets):
    export, loaded = _world(packets)
    read = read_real_patients(packets, _resolver())
    result = evaluate_real_patients(export, loaded, read, samples=200)
    assert result.counts["unreadable"] == 1 and result.counts["unmappable disease"] == 1
    assert result.counts["evaluable"] == 3 and result.counts["label among the model's candidates"] == 2
    rows = {row["ranker"]: row for row in result.overall}
    # Each disease is annotated with exactly its patient's terms: Resnik ranks it first every time.
    assert rows["Resnik BMA (phenotypes)"]["top1"][0] == pytest.approx(1.0)
    assert rows["Resnik BMA (phenotypes)"]["universe"] == 4
    # The MONDO patient's disease is no model candidate: a miss whatever the model says, and counted so.
    assert rows["model (phenotypes)"]["rankable"] == 2
    assert rows["model (phenotypes)"]["top10"][0] == pytest.approx(2 / 3)
    assert result.failures["model (phenotypes)"] == {"disease not a model candidate (no TREATS indication)": 1}
    assert rows["random"]["top1"][0] == pytest.approx(1 / 4)
    # The decoder applied to every annotated disease can rank all three (its ranking is the model's, untested here).
    assert rows["model decoder over all annotated diseases (zero-shot beyond C)"]["rankable"] == 3
    groups = {g["group"]: g["patients"] for g in result.groups}
    assert groups == {"eye disease": 1, NO_DO_GROUP: 1, "d20": 1}


def test_disease_groups_use_the_organ_system_under_anatomical_entity(packets):
    export, _ = _world(packets)
    groups = disease_groups(export)
    assert groups[3] == "eye disease"  # DOID:10 -> eye disease -> disease of anatomical entity
    assert groups[4] == "d20"  # DOID:20 hangs straight under disease: its own branch
    assert groups[5] == NO_DO_GROUP


def test_ties_count_as_the_random_expectation():
    scores = np.array([[1.0, 1.0, 1.0, 1.0], [3.0, 2.0, 2.0, 0.0], [0.0, 5.0, 1.0, 1.0]])
    ranks = label_ranks(scores, [[2], [1], []])
    assert ranks.top_k(1).tolist() == pytest.approx([0.25, 0.0, 0.0])
    assert ranks.top_k(2).tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert ranks.reciprocal_rank().tolist() == pytest.approx([(1 + 1 / 2 + 1 / 3 + 1 / 4) / 4, (1 / 2 + 1 / 3) / 2, 0])
    assert ranks.rank()[2] == np.inf


def test_restrict_first_moves_the_gene_diseases_ahead_and_keeps_their_order():
    scores = np.array([[0.9, 0.1, 0.5, 0.3]])
    moved = restrict_first(scores, [[1, 3]])
    assert np.argsort(-moved[0]).tolist() == [3, 1, 0, 2]


def test_bootstrap_intervals_hold_the_mean_and_pair_differences():
    values = np.r_[np.ones(30), np.zeros(70)]
    mean, low, high = bootstrap_mean(values, 500)
    assert mean == pytest.approx(0.3) and low < 0.3 < high and high - low < 0.25
    diff = paired_bootstrap(values, values, 200)
    assert diff == (0.0, 0.0, 0.0)


def test_synthetic_contrast_scores_the_held_out_patients_without_their_diagnosis(packets):
    from pmkg.kg.patients import CohortExport

    from pmkg.workflows.real_patients import synthetic_differential

    export, loaded = _world(packets)
    terms = export.node_ids["Phenotype"][1:]
    pids = [f"P{i}" for i in range(20)]
    edges = {"phenotype": ([], []), "symptom": ([], []), "diagnosis": ([], []), "variant_gene": ([], [])}
    for i, pid in enumerate(pids):
        edges["phenotype"][0].extend([pid, pid])
        edges["phenotype"][1].extend([terms[i % len(terms)], terms[(i + 1) % len(terms)]])
        edges["diagnosis"][0].append(pid)
        edges["diagnosis"][1].append("DOID:10" if i % 2 else "DOID:20")
    rows, n = synthetic_differential(CohortExport(True, pids, edges, [], []), loaded, export, seed=0, samples=100)
    assert n == 2  # 10% of 20, as training holds them out
    by_name = {row["ranker"]: row for row in rows}
    assert by_name["model (no diagnosis), over C"]["rankable"] == 2
    assert by_name["random, over C"]["top1"][0] == pytest.approx(1 / 2)
