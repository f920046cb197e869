"""CURIE checks against the schema's prefixes, with a message that says what would be accepted."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pmkg.kg.schema import LABELS
from pydantic import AfterValidator, Field, StringConstraints

EXAMPLES = {"Drug": "DRUGBANK:DB00945", "Disease": "DOID:1612"}
MAX_CURIE_LENGTH = 200
# No ASCII space or control character, and no "/", which could not travel in a URL path segment. (Spelled out
# rather than \s, which means different things in Python and in the spec's ECMA-262 regex dialect.)
LOCAL_ID = r"[^\x00-\x20\x7f/]+"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")  # as kg.schema's CURIE syntax


def check_curie(value: str, label: str) -> str:
    """Return ``value`` if its prefix is one the schema allows for ``label``, else raise ``ValueError``."""
    allowed = LABELS[label].prefixes
    example = EXAMPLES.get(label, f"{allowed[0]}:...")
    prefix, colon, local = value.partition(":")
    if not colon or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"not a CURIE; expected PREFIX:ID, e.g. {example}")
    if not local:
        raise ValueError(f"nothing after {prefix}:; expected PREFIX:ID, e.g. {example}")
    if not re.fullmatch(LOCAL_ID, local):
        raise ValueError(f"the id after {prefix}: must not contain spaces, control characters or '/', e.g. {example}")
    if prefix in allowed:
        return value
    hint = ""
    same_letters = {p.lower(): p for p in allowed}.get(prefix.lower())
    if same_letters:
        hint = f" (prefixes are case-sensitive: did you mean {same_letters}:{local}?)"
    raise ValueError(
        f"unknown {label} CURIE prefix {prefix!r}{hint}; use one of {', '.join(allowed)}, e.g. {example}"
    )


def _check_drug(value: str) -> str:
    return check_curie(value, "Drug")


def _check_disease(value: str) -> str:
    return check_curie(value, "Disease")


def _documented_pattern(label: str) -> Any:
    # The spec states the accepted prefixes; the validator above enforces them with a helpful message (a
    # pattern enforced by pydantic would only say "should match pattern").
    prefixes = "|".join(p.replace(".", r"\.") for p in LABELS[label].prefixes)
    return Field(json_schema_extra={"pattern": f"^({prefixes}):{LOCAL_ID}$"})


_LENGTH = StringConstraints(min_length=3, max_length=MAX_CURIE_LENGTH)
DrugCurie = Annotated[str, _LENGTH, AfterValidator(_check_drug), _documented_pattern("Drug")]
DiseaseCurie = Annotated[str, _LENGTH, AfterValidator(_check_disease), _documented_pattern("Disease")]
