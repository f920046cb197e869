"""What every ingest job shares: locating its files, reading them safely, and reporting what it kept.

A job reads the upstream format and yields records; it knows nothing about the database. Bad rows are
warned about with ``file:line`` and skipped; a missing or unreadable file fails the job with a message
that names the file and where to get it.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pmkg.kg.records import EdgeRecord, NodeRecord, Provenance

from pmkg import __version__

log = logging.getLogger(__name__)

MAX_WARNINGS_KEPT = 200
MAX_UNRESOLVED_EXAMPLES = 10


class IngestError(RuntimeError):
    """A source cannot be ingested (missing, truncated or malformed file); other sources are unaffected."""


@dataclass(frozen=True)
class SourceInfo:
    name: str
    version: str
    license: str
    url: str

    @property
    def provenance(self) -> Provenance:
        return Provenance(self.name, self.version, self.license)


@dataclass
class IngestResult:
    """Records plus the accounting that makes silent loss impossible."""

    source: SourceInfo
    nodes: list[NodeRecord] = field(default_factory=list)
    edges: list[EdgeRecord] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256
    rows_read: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    unresolved: Counter = field(default_factory=Counter)  # id kind -> count
    unresolved_examples: dict[str, list[str]] = field(default_factory=dict)  # id kind -> a few ids
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0

    def warn(self, where: str, reason: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(f"{where}: {reason}")
        log.warning("%s: %s", where, reason)

    def note_unresolved(self, kind: str, value: str) -> None:
        """Count an id that no mapping resolves (``kind`` e.g. ``'disease OMIM'``); a few examples are kept."""
        self.unresolved[kind] += 1
        examples = self.unresolved_examples.setdefault(kind, [])
        if len(examples) < MAX_UNRESOLVED_EXAMPLES and value not in examples:
            examples.append(value)

    def source_node(self) -> NodeRecord:
        """The ``Source`` node: URL, version, licence, checksums, row counts and ingest time."""
        return NodeRecord(
            "Source",
            f"PMKG.SOURCE:{self.source.name}",
            {
                **self.source.provenance.as_props(),
                "name": self.source.name,
                "url": self.source.url,
                "files": sorted(self.files),
                "sha256": [self.files[path] for path in sorted(self.files)],
                "rows_read": sum(self.rows_read.values()),
                "nodes": len(self.nodes),
                "edges": len(self.edges),
                "skipped": sum(self.skipped.values()),
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "pmkg_version": __version__,
            },
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_file(data_dir: Path, source: SourceInfo, candidates: list[str]) -> Path:
    """The first of ``candidates`` (paths relative to ``data_dir``) that exists, or a clear error."""
    for candidate in candidates:
        path = data_dir / candidate
        if path.is_file():
            return path
    raise IngestError(
        f"{source.name}: none of {', '.join(str(data_dir / c) for c in candidates)} exists. "
        f"Download it from {source.url} into {data_dir / Path(candidates[0]).parent}, or point --data-dir at the "
        "folder that holds it."
    )


def open_text(path: Path) -> TextIO:
    """Open a text file for streaming, transparently gunzipping ``.gz``.

    A damaged gzip surfaces while it is read; :func:`read_tsv` turns that into an :class:`IngestError`
    naming the file and line. Jobs build all their records before anything is written, so a source
    that fails half-way leaves nothing of itself in the graph.
    """
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_tsv(path: Path, required: list[str], result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for a headed TSV, checking the header names the ``required`` columns."""
    try:
        yield from _tsv_rows(path, required, result)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{path}: not a readable file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc


def _tsv_rows(path: Path, required: list[str], result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    with open_text(path) as fh:
        header_line = fh.readline()
        header = header_line.rstrip("\r\n").split("\t")
        missing = [column for column in required if column not in header]
        if missing:
            raise IngestError(
                f"{path}:1: header lacks column(s) {', '.join(missing)}; found {header[:10]}. "
                "Is this the right file and version?"
            )
        for line_number, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            values = line.rstrip("\r\n").split("\t")
            result.rows_read[path.name] += 1
            if len(values) != len(header):
                result.skipped["wrong column count"] += 1
                result.warn(
                    f"{path}:{line_number}", f"expected {len(header)} columns, found {len(values)}; row skipped"
                )
                continue
            yield line_number, dict(zip(header, values, strict=True))
