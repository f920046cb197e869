"""Typed records that ingest jobs emit and the writer stores.

Records are the only contract between ``ingest/`` (upstream formats) and ``kg/`` (the database).
Every record carries its provenance, so nothing reaches the graph without ``source``,
``source_version`` and ``license``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from: written onto every node and edge."""

    source: str
    source_version: str
    license: str

    def as_props(self) -> dict[str, str]:
        return {"source": self.source, "source_version": self.source_version, "license": self.license}


@dataclass(slots=True)
class NodeRecord:
    """One node: a schema label, a canonical CURIE id and properties (provenance included)."""

    label: str
    id: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EdgeRecord:
    """One directed edge between two CURIE ids, with the labels of both ends."""

    type: str
    src_label: str
    src: str
    dst_label: str
    dst: str
    props: dict[str, Any] = field(default_factory=dict)
