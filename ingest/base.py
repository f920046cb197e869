"""What every ingest job shares: locating its files, reading them safely, and reporting what it kept.

A job reads the upstream format and yields records; it knows nothing about the database. Bad rows are
warned about with ``file:line`` and skipped; a missing or unreadable file fails the job with a message
that names the file and where to get it.

Every line-oriented file is read through :class:`ScreenedText`, which checks each line before a job sees it:
a line that is not UTF-8, holds a NUL or another control character (binary data, a damaged id), or is longer than
``MAX_LINE_BYTES`` is skipped with its ``file:line`` and byte offset, and the rest of the file is kept. A gzip
stream that ends early or fails its check fails the source with the line and the offset where it broke.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmkg.kg.limits import MAX_TEXT_CHARS
from pmkg.kg.records import EdgeRecord, NodeRecord, Provenance

from pmkg import __version__

log = logging.getLogger(__name__)

MAX_WARNINGS_KEPT = 200
MAX_UNRESOLVED_EXAMPLES = 10
# The longest line a reader accepts. The full bundle's longest line has under 100,000 characters; a longer one
# is skipped (read in pieces, never held whole), as is a field over kg.limits.MAX_TEXT_CHARS in a TSV row.
MAX_LINE_BYTES = 1 << 20
# C0 control characters except tab, line feed and carriage return; DEL; C1 controls as UTF-8 (U+0080-U+009F).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")


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

    def skip(self, where: str, reason: str, kind: str) -> None:
        """Warn about a skipped row or record at ``where`` (``file:line``) and count it under ``kind``."""
        self.skipped[kind] += 1
        self.warn(where, reason)

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


READ_BUFFER_BYTES = 1 << 20


class ScreenedText:
    """A text file (``.gz`` transparently) read line by line, each line checked before the caller sees it.

    Iterate it, or call :meth:`readline`, as a text file opened for reading. A line that is not UTF-8, holds a
    control character (NUL included: binary data) or is longer than ``MAX_LINE_BYTES`` comes back as a bare
    ``"\\n"``, which every reader skips as blank, so line numbers stay true; it is reported with ``file:line`` and
    its byte offset to ``result`` (counted under the reason) or, without a result, raises :class:`IngestError`.
    A gzip stream that ends early or is corrupt raises :class:`IngestError` naming the line and the offset.
    """

    def __init__(self, path: Path, result: IngestResult | None = None) -> None:
        self.path = path
        self.result = result
        self.line_number = 0  # of the line returned last
        self.offset = 0  # byte offset (in the uncompressed data) where the next line starts
        self.ends_with_newline = True  # whether the last line read had its line ending
        self._gzip = path.suffix == ".gz"
        # A BufferedReader over the gzip stream: GzipFile.readline re-enters Python checks per call (a third of
        # the line reading on gene2go); the buffered reader splits lines in C. Closing it closes the stream.
        self._fh = (
            io.BufferedReader(gzip.GzipFile(path, "rb"), READ_BUFFER_BYTES) if self._gzip else open(path, "rb")  # noqa: SIM115
        )

    def __enter__(self) -> ScreenedText:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def readline(self) -> str:
        raw = self._read(MAX_LINE_BYTES + 1)
        if not raw:
            return ""
        self.line_number += 1
        start = self.offset
        self.offset += len(raw)
        self.ends_with_newline = raw.endswith(b"\n")
        if len(raw) > MAX_LINE_BYTES and not self.ends_with_newline:
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a piece at a time
                raw = self._read(MAX_LINE_BYTES)
                self.offset += len(raw)
            self.ends_with_newline = True
            return self._reject("over-long line", f"line over the limit of {MAX_LINE_BYTES:,} bytes", start)
        control = _CONTROL_BYTES.search(raw)
        if control:
            code = ord(raw[control.end() - 1 : control.end()].decode("latin-1"))
            return self._reject("control character", f"control character U+{code:04X}", start + control.start())
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self._reject("not UTF-8", f"not UTF-8 (byte 0x{raw[exc.start]:02x})", start + exc.start)
        return text[:-2] + "\n" if text.endswith("\r\n") else text

    def _read(self, size: int) -> bytes:
        try:
            return self._fh.readline(size)
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            what = "the gzip data ends early or is corrupt" if self._gzip else "reading failed"
            data = "uncompressed data" if self._gzip else "file"
            raise IngestError(
                f"{self.path}:{self.line_number + 1}: not a readable file: {what} ({exc}) at byte {self.offset:,} "
                f"of the {data}, after line {self.line_number}; it is truncated or corrupt: re-download it"
            ) from exc

    def _reject(self, kind: str, reason: str, offset: int) -> str:
        where = f"{self.path}:{self.line_number}"
        message = f"{reason} at byte {offset:,}; line skipped"
        if self.result is None:
            raise IngestError(f"{where}: {message}. The file is damaged: re-download it")
        self.result.skip(where, message, kind)
        return "\n"


def open_text(path: Path, result: IngestResult | None = None) -> ScreenedText:
    """Open a text file for streaming through :class:`ScreenedText`, transparently gunzipping ``.gz``.

    With ``result``, a damaged line is skipped and reported there; without one it fails the source. A damaged
    gzip stream fails the source either way, naming the line and the byte offset. Jobs build all their records
    before anything is written, so a source that fails half-way leaves nothing of itself in the graph.
    """
    return ScreenedText(path, result)


def read_tsv(path: Path, required: list[str], result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for a headed TSV, checking the header names the ``required`` columns.

    Damaged lines are skipped as :class:`ScreenedText` says; a field over ``MAX_TEXT_CHARS`` skips its row.
    """
    try:
        yield from _tsv_rows(path, required, result)
    except OSError as exc:
        raise IngestError(
            f"{path}: not a readable file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc


def _tsv_rows(path: Path, required: list[str], result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    with open_text(path, result) as fh:
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
            long = next((i for i, value in enumerate(values) if len(value) > MAX_TEXT_CHARS), None)
            if long is not None:
                result.skip(
                    f"{path}:{line_number}",
                    f"column {header[long]!r} has {len(values[long]):,} characters, over the limit of "
                    f"{MAX_TEXT_CHARS:,}; row skipped",
                    "field over the size limit",
                )
                continue
            yield line_number, dict(zip(header, values, strict=True))


def locate(paths: Iterable[str | Path], wanted: dict[Any, tuple[str, ...]]) -> dict[Any, str]:
    """``path:line`` of the first line holding every string of each ``wanted[key]`` (each as a whole token).

    For records a check refuses after a job built them: the job knows no line by then, the file does. One pass
    over the files for all keys; call it for a handful of records, not for every record.
    """
    patterns = {
        key: [re.compile(re.escape(needle) + r"(?![A-Za-z0-9_])") for needle in needles if needle]
        for key, needles in wanted.items()
    }
    found: dict[Any, str] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file() or len(found) == len(patterns):
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
                for number, line in enumerate(fh, start=1):
                    for key, compiled in patterns.items():
                        if key not in found and compiled and all(p.search(line) for p in compiled):
                            found[key] = f"{path}:{number}"
                    if len(found) == len(patterns):
                        break
        except (OSError, EOFError, zlib.error):
            continue
    return found
