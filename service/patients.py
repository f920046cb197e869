"""The service's one adapter to the drug-patient model: score one patient, and store one when asked.

Scoring is :mod:`kg.patient_scoring` (the ingest path in memory, then the model's inductive scoring from its
saved graph embeddings). Storing writes the same records with :func:`kg.patients.write_patients`, the code
behind ``pmkg ingest patients``, pseudonymised with the same key (``PMKG_PATIENT_KEY_FILE``), so a patient
stored through the service and the same patient ingested from files get one id.

Privacy: nothing here logs more than the pseudonymous id of a stored patient and counts; error messages
name fields and lines, never values (a VCF message's quoted value or sample name is replaced).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmkg.service.model import ServingModel, UnknownNode
from pmkg.service.pools import RestartablePool

if TYPE_CHECKING:
    from pmkg.ingest.patients import PatientIngest, Pseudonymiser
    from pmkg.kg.patients import PatientWriteOutcome
    from pmkg.kg.store import GraphStore

    from pmkg.workflows.patient_scoring import PatientScore, PatientScorer

log = logging.getLogger("pmkg.service")


class PatientFieldError(ValueError):
    """A phenopacket or VCF the scorer refused; ``field`` locates it in the request body."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PatientKeyUnavailable(RuntimeError):
    """The pseudonymisation key cannot be read or created, so a patient cannot be stored (503)."""


@dataclass
class ScoredPatient:
    score: PatientScore
    ingest: PatientIngest  # the records; written as they are when the patient is stored


@dataclass
class PatientModel:
    """A loaded drug-patient model plus the pseudonymisation key used when a request asks to store."""

    scorer: PatientScorer
    key_file: Path
    model_dir: Path | None = None
    _pseudonymiser: Pseudonymiser | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def model_version(self) -> str:
        return self.scorer.model_version

    def pseudonymiser(self) -> Pseudonymiser:
        """The ingest key, read (or created, mode 0600, as ``pmkg ingest patients`` does) on the first store."""
        from pmkg.ingest.patients import Pseudonymiser

        with self._lock:
            if self._pseudonymiser is None:
                try:
                    self._pseudonymiser = Pseudonymiser.from_key_file(self.key_file)
                except (OSError, ValueError) as exc:
                    log.error("patient key file %s unusable: %s", self.key_file, type(exc).__name__)
                    raise PatientKeyUnavailable(
                        f"store=true needs the pseudonymisation key, and {self.key_file} cannot be read or created "
                        f"({type(exc).__name__}); set PMKG_PATIENT_KEY_FILE to the key `pmkg ingest patients` uses. "
                        "Scoring without store=true still works"
                    ) from None
            return self._pseudonymiser

    def score(
        self, phenopacket: dict[str, Any], vcf: str | None, k: int, use_diagnosis: bool, keep: bool,
        tumour_vcf: str | None = None, assembly: str | None = None, medications: list[str] | None = None,
        repurposing: ServingModel | None = None,
    ) -> ScoredPatient:
        """Score one patient; ``keep`` pseudonymises with the ingest key (for storing) instead of a throwaway one.

        Raises :class:`PatientFieldError` for input the ingest path refuses.
        """
        from pmkg.workflows.patient_scoring import PatientInputError, read_patient, resolve_medications, score_ingested

        if vcf and self.scorer.pgx is None:
            raise PatientFieldError(
                "body.vcf", "the service's patient model was loaded without cpic/ data, so it cannot read a VCF; "
                "start it with --patient-data-dir (PMKG_PATIENT_DATA_DIR), or send the phenopacket alone"
            )
        try:
            extra = resolve_medications(medications or [], self.scorer)
        except PatientInputError as exc:
            where = str(exc).split(":", 1)[0].replace("[", ".").rstrip("]")  # medications[2] -> medications.2
            raise PatientFieldError(f"body.{where}", str(exc)) from None
        try:
            ingest = read_patient(
                phenopacket, vcf, scorer=self.scorer, pseudonymiser=self.pseudonymiser() if keep else None,
                tumour_vcf=tumour_vcf, assembly=assembly,
            )
        except PatientInputError as exc:
            raise _located(str(exc)) from None
        score = score_ingested(
            ingest, scorer=self.scorer, top_k=k, use_diagnosis=use_diagnosis, medications=extra,
            disease_candidates=None if repurposing is None else _candidates_of(repurposing),
        )  # fmt: skip
        return ScoredPatient(score, ingest)


def _candidates_of(model: ServingModel):
    """The repurposing model's best drugs for a disease (none for a disease it does not know)."""

    def candidates(disease: str, k: int) -> list[str]:
        try:
            return [pair.drug for pair in model.candidates(disease, k)]
        except UnknownNode:
            return []

    return candidates


class PatientWorkers(RestartablePool):
    """The threads that score patients (CPU work: a VCF to parse, a forward pass), off the event loop, a few at once."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers, "pmkg-patient")


def store_patient(store: GraphStore, ingest: PatientIngest) -> PatientWriteOutcome:
    """Write one scored patient exactly as ``pmkg ingest patients`` writes its files' patients."""
    from pmkg.kg.patients import write_patients

    outcome = write_patients(store, ingest, progress=False)
    log.info("patient %s stored: %d rows", ingest.patients[0].id, outcome.rows_written)
    return outcome


def load_patient_model(model_dir: Path, data_dir: Path | None, key_file: Path) -> PatientModel:
    """Load once at start-up: ``model_dir`` is a model directory, or a models folder (its ``LATEST``).

    Raises ``FileNotFoundError``/``ValueError`` with a message when it cannot.
    """
    from pmkg.workflows.patient_model import latest_patient_model
    from pmkg.workflows.patient_scoring import PatientScorer

    if (Path(model_dir) / "LATEST").is_file():  # a models folder, as `pmkg patients train --models-dir` fills
        model_dir = latest_patient_model(Path(model_dir))
    if data_dir is not None and not data_dir.is_dir():
        raise FileNotFoundError(f"patient data dir {data_dir} is not a folder (it should hold cpic/)")
    scorer = PatientScorer.load(Path(model_dir), data_dir)
    if scorer.pgx is None:
        log.info("patient model %s: no cpic/ data, so requests with a VCF are refused", scorer.model_version)
    return PatientModel(scorer, key_file, Path(model_dir))


_VCF = re.compile(r"^(?P<name>tumour_vcf|vcf)(?::(\d+))?: ")
_PHENOPACKET_FIELD = re.compile(r"^phenopacket: field ([\w.\[\]]+)")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SAMPLE_NAMES = re.compile(r"sample name\(s\) .* appear twice")


def _located(message: str) -> PatientFieldError:
    """Where in the body a scorer message points, with any value from a VCF line taken out of it."""
    vcf = _VCF.match(message)
    if vcf:
        text = _SAMPLE_NAMES.sub("sample names appear twice", _QUOTED.sub("(value not shown)", message))
        return PatientFieldError(f"body.{vcf.group('name')}", text)
    if message.startswith("assembly: "):
        return PatientFieldError("body.assembly", message)
    located = _PHENOPACKET_FIELD.match(message)
    if located:
        path = re.sub(r"\[(\d+)\]", r".\1", located.group(1))
        return PatientFieldError(f"body.phenopacket.{path}", message)
    return PatientFieldError("body.phenopacket", message)
