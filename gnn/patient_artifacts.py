"""A versioned drug-patient model directory that scores new patients without the graph.

Layout of ``<root>/<model_version>/`` (``model_version`` = ``patient-gnn-<UTC stamp>-<8 hex>``):

- ``model.pt``: the :class:`gnn.patient_model.PatientDrugModel` ``state_dict``;
- ``embeddings.pt``: the trained encoder's graph embeddings for the labels a patient touches (Phenotype,
  Symptom, Disease, Gene) and Drug, so scoring a patient is an aggregation and two small matrix products;
- ``config.json``: training configuration, hyper-parameters, export checksum, token vocabulary;
- ``id_maps.json``: CURIE per row of each saved embedding matrix, and drug / candidate-disease names;
- ``calibration.json``: Platt scaling fitted on the validation patients;
- ``metrics.json``, ``history.csv``, ``MODEL_CARD.md``.

Nothing in the directory identifies a patient: no ids, no cohort rows. The split is stored as counts only.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from pmkg.gnn.calibration import PlattScaling
from pmkg.gnn.patient_data import RELATIONS, TokenVocabulary
from pmkg.gnn.patient_model import PatientDrugModel
from pmkg.gnn.patient_train import PatientTrainResult

SAVED_LABELS = tuple(sorted(set(RELATIONS.values()) | {"Drug"}))


def patient_model_version(result: PatientTrainResult, now: datetime | None = None) -> str:
    payload = json.dumps(
        {"config": result.config.to_dict(), "tokens": result.vocabulary.tokens, "checksum": result.data_checksum},
        sort_keys=True,
    )
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"patient-gnn-{stamp}-{hashlib.sha256(payload.encode()).hexdigest()[:8]}"


def save_patient_model(
    result: PatientTrainResult, root: Path, node_names: dict[str, list[str]], now: datetime | None = None
) -> Path:
    version = patient_model_version(result, now)
    out = Path(root) / version
    out.mkdir(parents=True, exist_ok=False)
    torch.save(result.model.state_dict(), out / "model.pt")
    saved = {label: result.embeddings[label] for label in SAVED_LABELS if label in result.embeddings}
    torch.save(saved, out / "embeddings.pt")
    candidates = result.model.hparams["candidates"]
    diseases = result.node_ids["Disease"]
    disease_names = node_names.get("Disease", diseases)
    id_maps = {
        "nodes": {label: result.node_ids[label] for label in SAVED_LABELS if label in result.node_ids},
        "drug_names": node_names.get("Drug", result.node_ids["Drug"]),
        "candidate_names": [disease_names[i] for i in candidates],
        "indications": _indications(result),
    }
    (out / "id_maps.json").write_text(json.dumps(id_maps))
    (out / "config.json").write_text(
        json.dumps(
            {
                "model_version": version,
                "kind": "drug-patient",
                "train_config": result.config.to_dict(),
                "hparams": result.model.hparams,
                "tokens": result.vocabulary.tokens,
                "data_checksum": result.data_checksum,
                "split_sizes": {name: int(len(rows)) for name, rows in result.split.items()},
                "best_epoch": result.best_epoch,
                "seconds_per_epoch": result.seconds_per_epoch,
                "torch": torch.__version__,
            },
            indent=2,
        )
    )
    (out / "calibration.json").write_text(json.dumps(result.calibration.to_dict(), indent=2))
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2))
    with open(out / "history.csv", "w", newline="") as fh:
        keys = sorted({k for row in result.history for k in row})
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(result.history)
    (out / "MODEL_CARD.md").write_text(model_card(result, version))
    return out


def _indications(result: PatientTrainResult) -> dict[str, list[str]]:
    """Disease CURIE -> the drugs its TREATS edges name, as the model saw them (a recorded diagnosis's drugs lead)."""
    if result.indications is None:
        return {}
    drugs, diseases = result.node_ids["Drug"], result.node_ids["Disease"]
    out: dict[str, list[str]] = {}
    for drug, disease in zip(result.indications[0].tolist(), result.indications[1].tolist(), strict=True):
        out.setdefault(diseases[disease], []).append(drugs[drug])
    return {disease: sorted(set(found)) for disease, found in sorted(out.items())}


def model_card(result: PatientTrainResult, version: str) -> str:
    lines = [
        f"# {version}",
        "",
        "Predicts Patient-BENEFITS_FROM-Drug: a patient benefits from a drug that is indicated (PharmacotherapyDB "
        "TREATS) for one of their diagnoses and that no CPIC recommendation for their genotype says to avoid or "
        "replace. Trained on synthetic patients only (`pmkg cohort synth`), whose genotypes follow the cohort's "
        "allele-frequency table (default: European-ancestry approximations; see the cohort's cohort.json); "
        "the figures below use a patient-holdout split where the diagnosis and its TREATS edges are model inputs, "
        "so the 'with diagnosis' row is a look-up (zero-shot figures: bench/bench_patients_noncircular.py); "
        "not for clinical use.",
        "",
        f"Patient-holdout split (sizes {', '.join(f'{k} {len(v)}' for k, v in result.split.items())}); test "
        "patients scored inductively, without and with their diagnosis edge.",
        "",
        "| model | recall@10 | MRR | CPIC agreement@10 | CPIC agreement@10 (indicated pairs) |",
        "|---|---|---|---|---|",
    ]
    keys = ("recall@10", "mrr", "cpic_agreement@10", "cpic_agreement_indicated@10")
    for name, m in result.metrics.items():
        lines.append(f"| {name} | " + " | ".join(f"{m.get(key, float('nan')):.3f}" for key in keys) + " |")
    return "\n".join(lines) + "\n"


@dataclass
class LoadedPatientModel:
    model: PatientDrugModel
    model_version: str
    embeddings: dict[str, torch.Tensor]
    node_ids: dict[str, list[str]]
    drug_names: list[str]
    candidate_names: list[str]
    vocabulary: TokenVocabulary
    calibration: PlattScaling
    config: dict
    indications: dict[str, list[str]] = field(default_factory=dict)  # disease CURIE -> indicated drug CURIEs

    def index(self, label: str) -> dict[str, int]:
        return {curie: i for i, curie in enumerate(self.node_ids.get(label, []))}


def load_patient_model(model_dir: Path) -> LoadedPatientModel:
    """Rebuild the model and its saved graph embeddings; raises ``FileNotFoundError`` naming what is missing."""
    model_dir = Path(model_dir)
    for name in ("model.pt", "embeddings.pt", "config.json", "id_maps.json", "calibration.json"):
        if not (model_dir / name).is_file():
            raise FileNotFoundError(
                f"{model_dir / name} is missing: is {model_dir} a drug-patient model directory (pmkg patients train)?"
            )
    config = json.loads((model_dir / "config.json").read_text())
    model = PatientDrugModel.from_hparams(config["hparams"])
    model.load_state_dict(torch.load(model_dir / "model.pt", weights_only=True))
    model.eval()
    embeddings = torch.load(model_dir / "embeddings.pt", weights_only=True)
    id_maps = json.loads((model_dir / "id_maps.json").read_text())
    return LoadedPatientModel(
        model=model,
        model_version=config["model_version"],
        embeddings=embeddings,
        node_ids=id_maps["nodes"],
        drug_names=id_maps["drug_names"],
        candidate_names=id_maps["candidate_names"],
        vocabulary=TokenVocabulary(list(config["tokens"])),
        calibration=PlattScaling(**json.loads((model_dir / "calibration.json").read_text())),
        config=config,
        indications=id_maps.get("indications", {}),  # absent from models saved before recorded diagnoses led
    )


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Best ``k`` columns per row, best first, ties to the lower index."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]
