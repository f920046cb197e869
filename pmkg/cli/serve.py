"""``pmkg serve``: load the model once, then serve it over HTTP with uvicorn.

Imports nothing heavy until the command runs, so ``pmkg --help`` stays fast.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pmkg.cli.common import GraphOpt, QuietOpt, fail, quiet_driver_logs

__all__ = ["quiet_driver_logs", "register", "serve"]

if TYPE_CHECKING:  # FastAPI, torch and the driver load only when the command runs
    from fastapi import FastAPI

    from pmkg.service.settings import ServiceSettings

log = logging.getLogger("pmkg.service")


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    host: Annotated[str, typer.Option(envvar="PMKG_API_HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PMKG_API_PORT", min=1, max=65535)] = 8000,
    model: Annotated[
        Path | None,
        typer.Option(envvar="PMKG_MODEL_DIR", help="Model directory (default: the latest under --models-dir)."),
    ] = None,
    models_dir: Annotated[Path, typer.Option("--models-dir", envvar="PMKG_MODELS_DIR")] = Path("pmkg-data/models"),
    graph: GraphOpt = None,
    patient_model: Annotated[
        Path | None,
        typer.Option(
            envvar="PMKG_PATIENT_MODEL_DIR",
            help="Drug-patient model directory (`pmkg patients train`) for POST /v1/patients/recommendations; "
            "without it that endpoint answers 503.",
        ),
    ] = None,
    patient_data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="PMKG_PATIENT_DATA_DIR",
            help="Folder with cpic/ and the id-mapping sources, as for `pmkg ingest patients --data-dir` (for VCFs; "
            "TRAPI also resolves query CURIEs through its mappings).",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
    quiet: QuietOpt = False,
) -> None:
    """Serve link predictions and the named queries over HTTP (FastAPI; the OpenAPI spec at /openapi.json).

    Needs API keys in PMKG_API_KEYS (comma-separated) or PMKG_API_KEYS_FILE; clients send one in X-API-Key.
    --quiet is --log-level warning.
    """
    if quiet and log_level.lower() == "info":
        log_level = "warning"
    settings, model_dir = _configuration(model, models_dir)  # a configuration error exits here, before any side effect
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    quiet_driver_logs()
    app = _build_app(host, settings, model_dir, graph, (patient_model, patient_data_dir))

    from pmkg.service.server import build_server

    # Uvicorn shuts down gracefully on SIGTERM, then re-raises it. With the default handler that would kill the
    # process before atexit stops an embedded graph server this process owns; exiting normally runs it.
    signal.signal(signal.SIGTERM, _exit_normally)
    _freeze_startup_objects()
    log.info("serving on http://%s:%d (X-API-Key required except /healthz, /readyz)", host, port)
    # h11 with deadlines for slow clients and limits on heads and connections (PMKG_API_* settings: service.server)
    build_server(app, host, port, settings, log_level=log_level.lower()).run()


def _configuration(model_dir: Path | None, models_dir: Path) -> tuple[ServiceSettings, Path]:
    from pmkg.service.settings import ConfigError, ServiceSettings
    from pmkg.workflows.repurposing import latest_model

    try:
        return ServiceSettings.from_env(), model_dir or latest_model(models_dir)
    except (ConfigError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None


def _build_app(
    host: str,
    settings: ServiceSettings,
    model_dir: Path,
    graph: str | None,
    patient: tuple[Path | None, Path | None] = (None, None),
) -> FastAPI:
    import torch

    from pmkg.kg.store import GraphStore, GraphUnavailable
    from pmkg.service.app import create_app
    from pmkg.service.graph import GraphGateway, fail_fast_driver_options
    from pmkg.service.model import load_serving_model

    torch.set_num_threads(1)  # one-off scoring; the graph server may share these cores

    def connect() -> GraphStore:
        return GraphStore.connect(graph, driver_options=fail_fast_driver_options(settings.graph_timeout_s))

    try:
        store = connect()
    except GraphUnavailable as exc:
        raise fail(str(exc)) from None
    try:
        serving = load_serving_model(model_dir, store)
    except (ValueError, FileNotFoundError) as exc:
        store.close()
        raise fail(str(exc)) from None
    patients = None
    patient_model, patient_data_dir = patient
    if patient_model is not None:
        from pmkg.service.patients import load_patient_model

        try:
            patients = load_patient_model(patient_model, patient_data_dir, settings.patient_key_file)
        except (ValueError, FileNotFoundError) as exc:
            store.close()
            raise fail(f"--patient-model {patient_model}: {exc}") from None
        log.info("patient model %s loaded", patients.model_version)
    else:
        log.info("no patient model (--patient-model): /v1/patients/recommendations answers 503")
    gateway = GraphGateway(connect, settings.graph_timeout_s, settings.graph_concurrency, store=store)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.info("listening beyond loopback on %s: put TLS in front of this service", host)
    app = create_app(settings, serving, gateway, patients)
    if patient_data_dir is not None:
        from pmkg.ingest.xrefs import Resolver

        # TRAPI reads query CURIEs in any vocabulary these mapping sources know (MONDO, OMIM, ChEMBL, HGNC, ...).
        app.state.id_resolver = Resolver.from_data_dir(patient_data_dir)
    return app


def _freeze_startup_objects() -> None:
    """Exempt everything built at start-up (torch, the model, the app) from the cyclic garbage collector.

    Those ~350k objects live as long as the process; without this, every full collection walks them all,
    a pause of hundreds of milliseconds under load that showed up as the p99 of even /healthz.
    Set PMKG_API_GC_FREEZE=0 to measure without it.
    """
    if os.environ.get("PMKG_API_GC_FREEZE", "1") == "0":
        return
    gc.collect()
    gc.freeze()


def _exit_normally(signum: int, frame: object) -> None:
    raise SystemExit(0)
