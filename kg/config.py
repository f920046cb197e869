"""Where the graph lives: flags win over ``PMKG_GRAPH_*`` environment variables, which win over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_URI = "embedded://pmkg-data/graph"


@dataclass(frozen=True)
class GraphSettings:
    uri: str
    user: str | None
    password: str | None
    database: str | None

    @classmethod
    def resolve(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> GraphSettings:
        return cls(
            uri=uri or os.environ.get("PMKG_GRAPH_URI") or DEFAULT_URI,
            user=user or os.environ.get("PMKG_GRAPH_USER"),
            password=password or os.environ.get("PMKG_GRAPH_PASSWORD"),
            database=database or os.environ.get("PMKG_GRAPH_DATABASE"),
        )

    def describe(self) -> str:
        """A printable form with no password in it."""
        return self.uri if self.uri.startswith("embedded://") else f"{self.uri} as {self.user or 'neo4j'}"
