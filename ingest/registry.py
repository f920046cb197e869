"""The ingest jobs pmkg knows, in the order they run (a later job may reference earlier jobs' nodes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest import hetionet, pharmacotherapydb
from ingest.base import IngestResult, SourceInfo

Job = Callable[[Path], IngestResult]

JOBS: dict[str, tuple[SourceInfo, Job]] = {
    "hetionet": (hetionet.SOURCE, hetionet.run),
    "pharmacotherapydb": (pharmacotherapydb.SOURCE, pharmacotherapydb.run),
}

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample"
