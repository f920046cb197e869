"""The few places where ArcadeDB and Neo4j 5 differ. Everything else is plain Cypher on one code path.

Both servers accept Neo4j 5's constraint and index DDL over Bolt (measured: DESIGN.md §8), so the DDL
below is shared; what differs is where the database lives, which database name Bolt opens, and the
offline bulk path (``neo4j-admin database import`` exists for Neo4j only).
"""

from __future__ import annotations

from dataclasses import dataclass

from pmkg.kg.schema import LABELS

# Properties that researchers filter on besides id; one range index each.
INDEXED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "Drug": ("name",),
    "Disease": ("name",),
    "Gene": ("symbol",),
}


@dataclass(frozen=True)
class Dialect:
    name: str
    default_database: str

    def unique_constraint(self, label: str) -> str:
        return f"CREATE CONSTRAINT {label.lower()}_id_unique IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"

    def property_index(self, label: str, prop: str) -> str:
        return f"CREATE INDEX {label.lower()}_{prop}_index IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"

    def schema_statements(self) -> list[str]:
        statements = [self.unique_constraint(label) for label in LABELS]
        for label, props in INDEXED_PROPERTIES.items():
            statements.extend(self.property_index(label, prop) for prop in props)
        return statements


ARCADEDB = Dialect(name="arcadedb", default_database="pmkg")
NEO4J = Dialect(name="neo4j", default_database="neo4j")
