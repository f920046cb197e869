"""``pmkg ingest patients``, ``pmkg patients ...`` and ``pmkg cohort synth``: the patient pipeline's commands.

Output names patients by pseudonymous id only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pmkg.cli.common import GraphOpt, QuietOpt, console, fail, format_option, open_store, setup_logging
from pmkg.cli.output import render

DEFAULT_KEY_FILE = Path("pmkg-data/patient-key")
DEFAULT_MODELS_DIR = Path("pmkg-data/patient-models")

patients_app = typer.Typer(no_args_is_help=True, help="Patients: delete, train, predict, score one.")
cohort_app = typer.Typer(no_args_is_help=True, help="Synthetic patient cohorts.")

DataDirOpt = Annotated[
    Path | None,
    typer.Option(help="Folder with cpic/ (allele definitions, CPIC tables) and the id-mapping sources (mondo/, ...)."),
]
KeyFileOpt = Annotated[
    Path,
    typer.Option(
        "--key-file",
        envvar="PMKG_PATIENT_KEY_FILE",
        help="Secret key for pseudonymous patient ids (created, mode 0600, on first use). Keep it: the same key "
        "gives a re-ingested patient the same id.",
    ),
]


def register(app: typer.Typer, ingest_group: typer.Typer) -> None:
    """Add ``patients`` to ``ingest_group`` (``pmkg ingest patients``) and the ``patients`` and ``cohort`` groups."""
    ingest_group.command("patients")(ingest_patients)
    app.add_typer(patients_app, name="patients")
    app.add_typer(cohort_app, name="cohort")


def ingest_patients(
    paths: Annotated[list[Path], typer.Argument(help="Phenopacket JSON and VCF (.vcf, .vcf.gz) files or folders.")],
    data_dir: DataDirOpt = None,
    key_file: KeyFileOpt = DEFAULT_KEY_FILE,
    absent_as_reference: Annotated[
        bool,
        typer.Option(help="VCF: a pharmacogene position with no record is homozygous reference (else: missing)."),
    ] = False,
    all_variants: Annotated[
        bool, typer.Option(help="VCF: CARRIES edges for every non-reference call, not only pharmacogene positions.")
    ] = False,
    license_: Annotated[
        str | None, typer.Option("--license", help="Licence/consent statement stored as provenance.")
    ] = None,
    report: Annotated[Path, typer.Option(help="JSON report (pseudonymous ids, counts, file errors).")] = Path(
        "pmkg-data/patient-ingest-report.json"
    ),
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Read Phenopacket v2 JSON and VCF files into Patient nodes (pseudonymous ids) and their edges.

    A file that fails validation is reported with its name and field and left out; the others still load
    (exit code 1 when any file failed).
    """
    from pmkg.ingest.patients import (
        DEFAULT_LICENSE,
        PatientIngestError,
        PatientIngestOptions,
        Pseudonymiser,
        build_patients,
    )
    from pmkg.ingest.xrefs import Resolver
    from pmkg.kg.patients import write_patients

    setup_logging(quiet)
    if data_dir is not None and not data_dir.is_dir():
        raise fail(f"--data-dir {data_dir} is not a folder")
    options = PatientIngestOptions(absent_as_reference, all_variants, license_ or DEFAULT_LICENSE)
    resolver = Resolver.from_data_dir(data_dir) if data_dir else Resolver(None)
    try:
        ingest = build_patients(
            paths, resolver, Pseudonymiser.from_key_file(key_file), data_dir, options, progress=not quiet
        )
    except PatientIngestError as exc:
        raise fail(str(exc)) from exc
    with open_store(graph) as store:
        outcome = write_patients(store, ingest, progress=not quiet)
    summary = {
        "files": ingest.files_read,
        "files with errors": len(ingest.file_errors),
        "patients": len(ingest.patients),
        "synthetic": bool(ingest.synthetic),
        "phenotype edges": sum(p.phenotypes + p.excluded_phenotypes for p in ingest.patients),
        "diagnosis edges": sum(p.diagnoses for p in ingest.patients),
        "variant edges": sum(p.variants for p in ingest.patients),
        "diplotype edges": sum(p.diplotypes for p in ingest.patients),
        "PGx recommendation edges": sum(p.recommendations for p in ingest.patients),
        "rows written": outcome.rows_written,
    }
    typer.echo(render([{"what": k, "count": v} for k, v in summary.items()], "table", title="patient ingest"))
    for message in ingest.file_errors:
        console.print(f"[red]skipped:[/red] {message}", soft_wrap=True, highlight=False)
    unresolved = dict(ingest.result.unresolved)
    for kind, count in unresolved.items():
        console.print(f"[yellow]unresolved {kind}:[/yellow] {count}", highlight=False)
    for label, count in outcome.not_in_graph.items():
        examples = ", ".join(outcome.not_in_graph_examples[label])
        console.print(f"[yellow]{count} {label} id(s) not in the graph (edges not written), e.g. {examples}[/yellow]")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(
            {
                **summary,
                "patient_ids": [p.id for p in ingest.patients],
                "file_errors": ingest.file_errors,
                "unresolved": unresolved,
                "unresolved_examples": ingest.result.unresolved_examples,
                "skipped": dict(ingest.result.skipped),
                "not_in_graph": outcome.not_in_graph,
                "write_problems": outcome.problems,
            },
            indent=2,
        )
    )
    typer.echo(f"report: {report}")
    if ingest.file_errors:
        raise typer.Exit(1)


@patients_app.command("delete")
def delete(
    patient: Annotated[
        str, typer.Argument(help="Pseudonymous id (PMKG.PATIENT:...), or the original id with --original.")
    ],
    original: Annotated[
        bool, typer.Option(help="PATIENT is the original id; it is pseudonymised with the key.")
    ] = False,
    key_file: KeyFileOpt = DEFAULT_KEY_FILE,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Remove a patient and every edge of theirs (and variant nodes only they had) from the graph."""
    from pmkg.ingest.patients import PATIENT_PREFIX, Pseudonymiser
    from pmkg.kg.patients import delete_patient

    setup_logging(True)
    if original:
        if not key_file.is_file():
            raise fail(f"--original needs the key the patient was ingested with; {key_file} does not exist")
        patient = Pseudonymiser.from_key_file(key_file).pseudonym(patient)
    elif not patient.startswith(f"{PATIENT_PREFIX}:"):
        raise fail(f"{patient!r} is not a pseudonymous id ({PATIENT_PREFIX}:...); pass --original for an original id")
    with open_store(graph) as store:
        counts = delete_patient(store, patient)
    if not counts["patients"]:
        raise fail(f"no patient {patient} in the graph", code=1)
    typer.echo(f"deleted {patient}: {counts['edges']} edges, {counts['variants']} variant node(s) only they carried")


@cohort_app.command("synth")
def synth(
    n: Annotated[int, typer.Option("--n", min=1, max=1_000_000, help="Number of patients.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed; patient i is the same for every --n.")] = 0,
    out: Annotated[
        Path, typer.Option(help="Output folder (phenopackets/, cohort.vcf.gz, truth.tsv, cohort.json).")
    ] = Path("pmkg-data/cohort"),
    data_dir: Annotated[Path, typer.Option(help="Folder with cpic/pharmcat_allele_definitions.")] = Path(
        "../shared/data"
    ),
    gene: Annotated[
        list[str] | None, typer.Option("--gene", help="Pharmacogenes to genotype (repeatable; default: all tabled).")
    ] = None,
    tumour_fraction: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of tumour patients: disease and somatic profile from CIViC."),
    ] = 0.0,
    allele_frequencies: Annotated[
        Path | None,
        typer.Option(
            "--allele-frequencies",
            help="A star-allele frequency table (gene, allele, frequency, population; TSV) for one biogeographic "
            "group. Default: the bundled European-ancestry approximations.",
        ),
    ] = None,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Sample a synthetic cohort from the graph (diseases, HPO/Hetionet phenotypes, CPIC alleles; with
    --tumour-fraction, tumour patients with CIViC's diseases and somatic variants); see the patients page."""
    from pmkg.ingest.base import IngestError
    from pmkg.ingest.pgx_frequencies import EUROPEAN, load_frequency_table
    from pmkg.ingest.star_alleles import load_definitions
    from pmkg.ingest.synthetic import CohortGenerator, SynthConfig, write_cohort
    from pmkg.workflows.cohort import read_cohort_source

    setup_logging(quiet)
    try:
        table = load_frequency_table(allele_frequencies) if allele_frequencies else EUROPEAN
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from exc
    tabled = sorted(table.frequencies)
    genes = tuple(gene or tabled)
    unknown = sorted(set(genes) - set(tabled))
    if unknown:
        raise fail(f"no allele frequencies for {', '.join(unknown)}; known: {', '.join(tabled)}")
    try:
        definitions = {name: load_definitions(data_dir, name) for name in genes}
    except IngestError as exc:
        raise fail(str(exc)) from exc
    with open_store(graph) as store:
        source = read_cohort_source(store)
    try:
        config = SynthConfig(
            n=n, seed=seed, genes=genes, tumour_fraction=tumour_fraction,
            allele_frequencies=str(allele_frequencies) if allele_frequencies else None,
        )  # fmt: skip
        if tumour_fraction > 0 and not source.tumour_pairs:
            raise ValueError("--tumour-fraction needs CIViC in the graph: run pmkg ingest --source civic first")
        generator = CohortGenerator(source, definitions, config)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    files = write_cohort(generator, out, progress=not quiet)
    typer.echo(
        f"{files.patients:,} synthetic patients over {len(generator.diseases)} diseases -> {files.out_dir}\n"
        f"note: {table.note}\n"
        f"next: pmkg ingest patients {files.phenopackets} {files.vcf} --data-dir {data_dir}"
    )


CohortOpt = Annotated[
    bool, typer.Option("--synthetic/--real", help="Which cohort: synthetic (default) or real patients, never both.")
]
ModelsOpt = Annotated[Path, typer.Option("--models-dir", help="Where drug-patient model directories live.")]


@patients_app.command("train")
def train(
    epochs: Annotated[int, typer.Option(min=1, help="Maximum epochs (early stopping on validation Recall@10).")] = 300,
    seed: int = 0,
    hidden: Annotated[int, typer.Option(min=4)] = 64,
    synthetic: CohortOpt = True,
    threads: Annotated[int, typer.Option(min=1, help="torch threads")] = 1,
    models_dir: ModelsOpt = DEFAULT_MODELS_DIR,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Train the drug-patient model on one cohort (patient-holdout split) and print test metrics vs baselines."""
    from pmkg.gnn.patient_train import PatientTrainConfig
    from pmkg.workflows.patient_model import train_patients_from_graph

    setup_logging(quiet)
    config = PatientTrainConfig(epochs=epochs, seed=seed, hidden=hidden, threads=threads)
    with open_store(graph) as store:
        try:
            outcome = train_patients_from_graph(store, config, models_dir, synthetic, progress=not quiet)
        except ValueError as exc:
            raise fail(str(exc)) from exc
    keys = ("recall@10", "mrr", "cpic_agreement@10", "cpic_agreement_indicated@10", "cpic_pairs_indicated")
    rows = [{"model": name, **{k: round(m[k], 4) for k in keys if k in m}} for name, m in outcome.metrics.items()]
    typer.echo(render(rows, "table", title=f"held-out patients (seed {seed}), all drugs ranked"))
    if synthetic:
        typer.echo(
            "note: CPIC agreement is measured on synthetic genotypes drawn from the cohort's allele-frequency table "
            "(cohort.json; default: European-ancestry approximations), not on any other population; test patients "
            "share diseases with training patients and their label is an input edge (see bench/"
            "bench_patients_noncircular.py for the zero-shot figures)"
        )
    typer.echo(
        f"model {outcome.model_version} -> {outcome.model_dir}\n{outcome.patients:,} patients; {outcome.epochs_run} "
        f"epochs (best {outcome.best_epoch}) at {outcome.seconds_per_epoch:.2f} s/epoch"
    )


@patients_app.command("predict")
def predict(
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the latest trained).")] = None,
    top_k: Annotated[int, typer.Option(min=1, max=500, help="Drugs per patient written to the graph.")] = 10,
    synthetic: CohortOpt = True,
    models_dir: ModelsOpt = DEFAULT_MODELS_DIR,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score every patient of a cohort; write PREDICTED_BENEFIT {score, probability, rank, model_version, pgx_flags}."""
    from pmkg.workflows.patient_model import latest_patient_model, predict_patients

    setup_logging(True)
    try:
        model_dir = model or latest_patient_model(models_dir)
        with open_store(graph) as store:
            patients, written, version = predict_patients(store, model_dir, top_k, synthetic)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"model {version}: {patients:,} patients scored, {written:,} PREDICTED_BENEFIT edges written")


@patients_app.command("score")
def score(
    phenopacket: Annotated[Path, typer.Argument(help="One Phenopacket v2 JSON file.")],
    vcf: Annotated[
        Path | None, typer.Option(help="The patient's VCF (single sample, or named by the phenopacket).")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the latest trained).")] = None,
    data_dir: DataDirOpt = None,
    tumour_vcf: Annotated[
        Path | None,
        typer.Option(help="The tumour's somatic VCF, matched to CIViC (needs civic/ in --data-dir)."),
    ] = None,
    assembly: Annotated[
        str | None,
        typer.Option(help="Genome build of --tumour-vcf (GRCh37 or GRCh38) when its header does not state it."),
    ] = None,
    top_k: Annotated[int, typer.Option(min=1, max=500)] = 10,
    no_diagnosis: Annotated[bool, typer.Option("--no-diagnosis", help="Ignore the phenopacket's diseases.")] = False,
    medication: Annotated[
        list[str] | None,
        typer.Option(
            "--medication",
            help="A current medication (drug id or name), beside the phenopacket's medicalActions; repeatable. "
            "Every ranked drug is checked against them (DrugCentral interactions, needs drugcentral-ddi/ in "
            "--data-dir).",
        ),
    ] = None,
    fmt: Annotated[str, format_option("table", "json")] = "table",
    models_dir: ModelsOpt = DEFAULT_MODELS_DIR,
    quiet: QuietOpt = False,
) -> None:
    """Rank drugs for one patient without storing anything (the function the HTTP service calls).

    With civic/ in --data-dir, the tumour's variants (phenopacket variant interpretations, --tumour-vcf) are matched
    to CIViC and its biomarker-matched therapies merged into the list; each drug says why it is there. Research
    software, not clinical decision support.
    """

    from pmkg.workflows.patient_model import latest_patient_model
    from pmkg.workflows.patient_scoring import PatientInputError, PatientScorer, score_patient

    setup_logging(True)
    try:
        scorer = PatientScorer.load(model or latest_patient_model(models_dir), data_dir)
        document = json.loads(phenopacket.read_text(encoding="utf-8"))
        vcf_text, tumour_text = (_read_text(path) if path is not None else None for path in (vcf, tumour_vcf))
        result = score_patient(
            document, vcf_text, scorer=scorer, top_k=top_k, use_diagnosis=not no_diagnosis, tumour_vcf=tumour_text,
            assembly=assembly, medications=medication or [],
        )  # fmt: skip
    except (FileNotFoundError, PatientInputError, ValueError) as exc:
        raise fail(f"{phenopacket}: {exc}") from None
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    rows = [
        {"rank": d.rank, "drug": d.drug_id, "name": d.drug_name,
         "probability": None if d.probability is None else round(d.probability, 4),
         "civic": _civic_cell(d.biomarker), "pgx": "; ".join(d.pgx_flags),
         "interactions": "; ".join(w["text"] for w in d.interactions), "warning": d.warning or ""}
        for d in result.drugs
    ]  # fmt: skip
    for column in ("civic", "interactions", "warning"):
        if not any(row[column] for row in rows):
            for row in rows:
                del row[column]
    typer.echo(render(rows, "table", title=f"{result.model_version} ({result.milliseconds:.0f} ms)"))
    typer.echo(_differential_line(result.differential))
    typer.echo(f"note: {result.differential_scope}")
    for note in result.notes:
        typer.echo(f"note: {note}")
    if result.medications:
        checked = (
            "checked against" if result.interactions_checked else "NOT checked (no drugcentral-ddi/ in --data-dir)"
        )
        typer.echo(f"interactions {checked}: {', '.join(m['name'] for m in result.medications)}")
    if result.tumour is not None:
        matched = ", ".join(sorted({v["name"] for v in result.tumour["variants"]})) or "none"
        unmatched = sum(result.tumour["unmatched_variants"].values())
        typer.echo(
            f"tumour (CIViC {result.tumour['civic_release']}): matched {matched}; {unmatched} variant(s) unmatched"
        )
    typer.echo(result.notice)


def _differential_line(differential: list[dict]) -> str:
    """``recorded: colon cancer; the model would add: pancreatic cancer (0.88), ...``."""
    recorded = [d["name"] for d in differential if d["status"] == "recorded"]
    added = [f"{d['name']} ({d['probability']:.2f})" for d in differential if d["status"] != "recorded"]
    parts = [f"recorded: {', '.join(recorded)}"] if recorded else []
    parts.append(f"the model would add: {', '.join(added)}" if recorded else f"model differential: {', '.join(added)}")
    return "; ".join(parts)


def _read_text(path: Path) -> str:
    import gzip

    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return fh.read()


def _civic_cell(biomarker: dict | None) -> str:
    """``A CIVIC.EID:1409`` (best level, best item) or ``resistance A`` for a drug with resistance evidence only."""
    if not biomarker:
        return ""
    if biomarker["best_level"]:
        return f"{biomarker['best_level']} {biomarker['evidence_ids'][0]}"
    return f"resistance {biomarker['resistance_level']}" if biomarker["resistance_level"] else ""
