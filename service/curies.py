"""CURIE path parameters: the check is :func:`pmkg.kg.limits.check_curie`, the same one the named queries use."""

from __future__ import annotations

from typing import Annotated, Any

from pmkg.kg.limits import LOCAL_ID, check_curie
from pmkg.kg.schema import LABELS
from pydantic import AfterValidator, Field, StringConstraints

MAX_CURIE_LENGTH = 200
__all__ = ["LOCAL_ID", "MAX_CURIE_LENGTH", "DiseaseCurie", "DrugCurie", "check_curie"]


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
