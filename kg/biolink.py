"""pmkg's schema in Biolink Model terms, read from one data file (``kg/biolink.yaml``).

The KGX export (:mod:`pmkg.kg.kgx`) and the TRAPI endpoint (``pmkg.service.trapi``) both read
:func:`biolink_mapping`, so a label's category, a relationship's predicate and qualifiers, a source's infores id
and the knowledge level of its edges are stated once. ``tests/test_biolink_mapping.py`` checks the table against
the Biolink Model with ``bmt``.

CURIEs: pmkg keeps Bioregistry-style prefixes (``dbSNP:rs334``); Biolink spells a few differently
(``DBSNP:rs334``). :meth:`BiolinkMapping.curie_out` writes Biolink's spelling and :meth:`BiolinkMapping.curie_in`
reads either back.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAPPING_FILE = Path(__file__).resolve().parent / "biolink.yaml"
# The Biolink ancestors of the mapped terms (tools/biolink_closure.py writes it from bmt).
CLOSURE_FILE = Path(__file__).resolve().parent / "biolink_closure.json"

KNOWLEDGE_LEVELS = frozenset(
    {
        "knowledge_assertion",
        "logical_entailment",
        "prediction",
        "statistical_association",
        "observation",
        "not_provided",
    }
)
AGENT_TYPES = frozenset(
    {
        "manual_agent", "automated_agent", "data_analysis_pipeline", "computational_model", "text_mining_agent",
        "image_processing_agent", "manual_validation_of_automated_agent", "not_provided",
    }
)  # fmt: skip


class MappingError(ValueError):
    """The mapping file is malformed; the message names the entry."""


@dataclass(frozen=True)
class SourceMap:
    """An ingest source as an information resource, with the default knowledge level of its edges."""

    name: str
    infores: str
    knowledge_level: str
    agent_type: str
    registered: bool = True


@dataclass(frozen=True)
class CategoryMap:
    """A node label as a Biolink category; ``by_property`` picks a more specific one from a node property."""

    label: str
    category: str | None
    exported: bool = True
    by_property: tuple[str, dict[str, str]] | None = None
    id_prefixes: dict[str, str] = field(default_factory=dict)  # pmkg prefix -> Biolink prefix

    def category_of(self, props: Mapping[str, Any] | None = None) -> str:
        if self.category is None:
            raise MappingError(f"label {self.label} is never exported, so it has no category")
        if self.by_property and props:
            key, values = self.by_property
            return values.get(str(props.get(key)), self.category)
        return self.category

    def categories(self) -> list[str]:
        """Every category a node of this label can have (the default and each ``by_property`` value)."""
        found = [self.category] if self.category else []
        if self.by_property:
            found += [c for c in self.by_property[1].values() if c not in found]
        return found


@dataclass(frozen=True)
class PredicateMap:
    """One ``(type, subject label, object label)`` as a Biolink predicate with qualifiers."""

    type: str
    subject: str
    object: str
    predicate: str
    qualifiers: tuple[tuple[str, str], ...] = ()
    knowledge_level: str | None = None  # None: the source's
    agent_type: str | None = None
    infores: dict[str, str] = field(default_factory=dict)  # source name -> infores, overriding the source's
    trapi: str | None = None  # "lookup" | "inferred" | None
    by_object_property: tuple[str, dict[str, str]] | None = None
    reverse: bool = False  # the Biolink edge runs from the pmkg object to the pmkg subject

    def predicate_for(self, object_props: Mapping[str, Any] | None = None) -> str:
        if self.by_object_property and object_props:
            key, values = self.by_object_property
            return values.get(str(object_props.get(key)), self.predicate)
        return self.predicate

    def predicates(self) -> list[str]:
        found = [self.predicate]
        if self.by_object_property:
            found += [p for p in self.by_object_property[1].values() if p not in found]
        return found


@dataclass(frozen=True)
class EdgeProvenance:
    """What an exported edge says about where it came from."""

    primary_knowledge_source: str
    knowledge_level: str
    agent_type: str


class BiolinkMapping:
    """The parsed mapping table; build it with :func:`biolink_mapping`."""

    def __init__(self, data: dict[str, Any], path: Path = MAPPING_FILE, closure: dict[str, Any] | None = None) -> None:
        self.path = path
        closure = closure or {}
        self.category_ancestors: dict[str, frozenset[str]] = {
            c: frozenset(a) for c, a in (closure.get("categories") or {}).items()
        }
        self.predicate_ancestors: dict[str, frozenset[str]] = {
            p: frozenset(spec["ancestors"]) for p, spec in (closure.get("predicates") or {}).items()
        }
        try:
            self.biolink_version = str(data["biolink_version"])
            pmkg = data["pmkg"]
            self.infores = str(pmkg["infores"])
            self.infores_registered = bool(pmkg.get("registered", True))
            self.sources = {name: _source(name, spec) for name, spec in (data.get("sources") or {}).items()}
            self.categories = {label: _category(label, spec) for label, spec in (data.get("categories") or {}).items()}
            self.query_aliases = dict(data.get("query_aliases") or {})
            self.non_biolink_prefixes = {str(k): str(v) for k, v in (data.get("non_biolink_prefixes") or {}).items()}
            rows = [_predicate(i, spec) for i, spec in enumerate(data.get("predicates") or [])]
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"{path}: malformed mapping ({type(exc).__name__}: {exc})") from None
        self.predicates: dict[tuple[str, str, str], PredicateMap] = {}
        for row in rows:
            key = (row.type, row.subject, row.object)
            if key in self.predicates:
                raise MappingError(f"{path}: {row.type} {row.subject}->{row.object} is mapped twice")
            self.predicates[key] = row
        self._prefix_in: dict[str, tuple[str, str]] = {}  # Biolink prefix -> (label, pmkg prefix)
        for label, spec in self.categories.items():
            for pmkg_prefix, biolink_prefix in spec.id_prefixes.items():
                self._prefix_in[biolink_prefix] = (label, pmkg_prefix)
        self.infores_to_source = {s.infores: s.name for s in self.sources.values()}

    # --- nodes ----------------------------------------------------------------------------------------------------

    def exported(self, label: str) -> bool:
        spec = self.categories.get(label)
        return spec is None or spec.exported  # an unmapped label still goes out, as biolink:NamedThing

    def category(self, label: str, props: Mapping[str, Any] | None = None) -> str:
        spec = self.categories.get(label)
        return spec.category_of(props) if spec else "biolink:NamedThing"

    def curie_out(self, label: str, curie: str) -> str:
        """pmkg's CURIE as Biolink spells it (``dbSNP:rs334`` -> ``DBSNP:rs334`` for a Variant)."""
        spec = self.categories.get(label)
        prefix, colon, local = curie.partition(":")
        if spec and colon and prefix in spec.id_prefixes:
            return f"{spec.id_prefixes[prefix]}:{local}"
        return curie

    def curie_in(self, curie: str, label: str | None = None) -> str:
        """A Biolink-spelt CURIE back in pmkg's spelling (unchanged when the prefixes agree)."""
        prefix, colon, local = curie.partition(":")
        found = self._prefix_in.get(prefix) if colon else None
        if found and (label is None or found[0] == label):
            return f"{found[1]}:{local}"
        return curie

    # --- edges ----------------------------------------------------------------------------------------------------

    def edge(self, rel_type: str, subject_label: str, object_label: str) -> PredicateMap | None:
        return self.predicates.get((rel_type, subject_label, object_label))

    def provenance(self, row: PredicateMap | None, source: str | None) -> EdgeProvenance:
        """Primary source, knowledge level and agent type of an edge of ``row`` asserted by ``source``."""
        spec = self.sources.get(source or "")
        infores = (row.infores.get(source or "") if row else None) or (spec.infores if spec else None)
        if row is not None and row.knowledge_level == "prediction":
            infores = self.infores  # the model's own predictions
        return EdgeProvenance(
            primary_knowledge_source=infores or self.infores,
            knowledge_level=(row.knowledge_level if row else None)
            or (spec.knowledge_level if spec else "not_provided"),
            agent_type=(row.agent_type if row else None) or (spec.agent_type if spec else "not_provided"),
        )

    def source_infores(self, source: str | None) -> str | None:
        spec = self.sources.get(source or "")
        return spec.infores if spec else None

    def trapi_rows(self) -> list[PredicateMap]:
        return [row for row in self.predicates.values() if row.trapi]

    # --- the Biolink hierarchy, for query matching -----------------------------------------------------------

    def category_matches(self, asked: list[str] | None, category: str) -> bool:
        """Whether a query for any of ``asked`` (None: anything) takes nodes of ``category`` (or a subclass)."""
        if not asked:
            return True
        ancestors = self.category_ancestors.get(category, frozenset({category}))
        return any(self.query_aliases.get(a, a) in ancestors for a in asked)

    def predicate_matches(self, asked: list[str] | None, predicate: str) -> bool:
        """Whether a query for any of ``asked`` (None: any) takes edges with ``predicate`` (or a descendant)."""
        if not asked:
            return True
        ancestors = self.predicate_ancestors.get(predicate, frozenset({predicate}))
        return any(a in ancestors for a in asked)


def _source(name: str, spec: dict[str, Any]) -> SourceMap:
    source = SourceMap(
        name=name,
        infores=str(spec["infores"]),
        knowledge_level=str(spec.get("knowledge_level", "not_provided")),
        agent_type=str(spec.get("agent_type", "not_provided")),
        registered=bool(spec.get("registered", True)),
    )
    _check_enums(f"source {name}", source.knowledge_level, source.agent_type)
    if not source.infores.startswith("infores:"):
        raise MappingError(f"source {name}: {source.infores!r} is not an infores CURIE")
    return source


def _category(label: str, spec: dict[str, Any]) -> CategoryMap:
    by_property = _by_property(spec.get("by_property"), f"label {label}")
    return CategoryMap(
        label=label,
        category=spec.get("category"),
        exported=bool(spec.get("exported", True)),
        by_property=by_property,
        id_prefixes={str(k): str(v) for k, v in (spec.get("id_prefixes") or {}).items()},
    )


def _predicate(index: int, spec: dict[str, Any]) -> PredicateMap:
    where = f"predicates[{index}] ({spec.get('type')} {spec.get('subject')}->{spec.get('object')})"
    row = PredicateMap(
        type=str(spec["type"]),
        subject=str(spec["subject"]),
        object=str(spec["object"]),
        predicate=str(spec["predicate"]),
        qualifiers=tuple((str(k), str(v)) for k, v in (spec.get("qualifiers") or {}).items()),
        knowledge_level=spec.get("knowledge_level"),
        agent_type=spec.get("agent_type"),
        infores={str(k): str(v) for k, v in (spec.get("infores") or {}).items()},
        trapi=spec.get("trapi"),
        by_object_property=_by_property(spec.get("by_object_property"), where),
        reverse=bool(spec.get("reverse", False)),
    )
    _check_enums(where, row.knowledge_level, row.agent_type)
    if row.trapi not in (None, "lookup", "inferred"):
        raise MappingError(f"{where}: trapi must be lookup or inferred, not {row.trapi!r}")
    if row.trapi and row.reverse:
        raise MappingError(f"{where}: a TRAPI row cannot be reversed (the query's subject is the pmkg subject)")
    return row


def _by_property(spec: Any, where: str) -> tuple[str, dict[str, str]] | None:
    if not spec:
        return None
    if not isinstance(spec, dict) or len(spec) != 1:
        raise MappingError(f"{where}: by_property takes one property name with its value -> term table")
    ((key, values),) = spec.items()
    return str(key), {str(k): str(v) for k, v in values.items()}


def _check_enums(where: str, level: str | None, agent: str | None) -> None:
    if level is not None and level not in KNOWLEDGE_LEVELS:
        raise MappingError(f"{where}: knowledge_level {level!r} is not one of {', '.join(sorted(KNOWLEDGE_LEVELS))}")
    if agent is not None and agent not in AGENT_TYPES:
        raise MappingError(f"{where}: agent_type {agent!r} is not one of {', '.join(sorted(AGENT_TYPES))}")


@functools.cache
def biolink_mapping(path: Path = MAPPING_FILE, closure_path: Path = CLOSURE_FILE) -> BiolinkMapping:
    """The mapping table in ``path`` (default: the one shipped with pmkg), parsed once per process."""
    import json

    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    closure = json.loads(closure_path.read_text(encoding="utf-8")) if closure_path.is_file() else None
    return BiolinkMapping(data, path, closure)
