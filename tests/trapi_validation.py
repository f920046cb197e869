"""NCATS's ``reasoner-validator`` (4.2.x, the TRAPI 1.5 line) run offline on pinned local copies.

At run time the validator downloads the TRAPI schema and the Biolink Model from GitHub, and its node-normaliser
and ontology look-ups post to Translator services; none of that is reachable from CI or a laptop on a train.
Only those downloads are replaced here, and every check of the validator still runs:

* the TRAPI schema is the committed ``tests/fixtures/trapi/TranslatorReasonerAPI_1.5.0.yaml`` (the validator reads a
  local schema when the version names a ``TranslatorReasonerAPI_<version>.yaml`` file);
* the Biolink Model is the ``biolink-model`` wheel's own ``biolink_model.yaml``, with the committed
  ``predicate_mapping.yaml`` beside it (``bmt.Toolkit`` reads both locally);
* any other request the validator would send raises :class:`OfflineRequest`, so a network call cannot pass quietly.

:func:`validate_response` returns the validator's messages grouped by level; a test asserts that ``errors`` and
``critical`` are empty and prints the warnings (the docs list them).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

PINNED = Path(__file__).resolve().parent / "fixtures" / "trapi"
TRAPI_SCHEMA = PINNED / "TranslatorReasonerAPI_1.5.0.yaml"
PREDICATE_MAPPING = PINNED / "predicate_mapping.yaml"


class OfflineRequest(RuntimeError):
    """The validator tried to reach the network; everything it needs is pinned locally."""


@functools.cache
def biolink_toolkit():
    from bmt import Toolkit

    schema = files("biolink_model") / "schema" / "biolink_model.yaml"
    return Toolkit(str(schema), predicate_map=str(PREDICATE_MAPPING))


def _offline(*args: Any, **kwargs: Any) -> Any:
    raise OfflineRequest(f"reasoner-validator tried to reach the network: {args[:1]}")


@functools.cache
def _patch_downloads() -> None:
    import reasoner_validator
    import reasoner_validator.biolink as biolink
    import reasoner_validator.biolink.ontology as ontology
    import reasoner_validator.trapi as trapi
    import reasoner_validator.validator as validator

    def local_toolkit(biolink_version: str | None = None):
        return biolink_toolkit()

    biolink.get_biolink_model_toolkit = local_toolkit
    validator.get_biolink_model_toolkit = local_toolkit
    for module in (reasoner_validator, ontology, validator):
        module.post_query = _offline
    trapi.requests = _NoRequests()


class _NoRequests:
    def __getattr__(self, name: str) -> Any:
        if name in ("Timeout", "RequestException", "Response"):
            import requests

            return getattr(requests, name)
        return _offline


@dataclass
class ValidationResult:
    biolink_version: str
    critical: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)
    warnings: dict[str, Any] = field(default_factory=dict)
    information: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.critical and not self.errors


def validate_response(response: dict[str, Any]) -> ValidationResult:
    """Run ``TRAPIResponseValidator.check_compliance_of_trapi_response`` on a copy of ``response``."""
    _patch_downloads()
    from reasoner_validator.validator import TRAPIResponseValidator

    version = biolink_toolkit().get_model_version()
    validator = TRAPIResponseValidator(trapi_version=str(TRAPI_SCHEMA), biolink_version=version)
    validator.check_compliance_of_trapi_response(copy.deepcopy(response))
    messages = validator.get_all_messages()
    result = ValidationResult(validator.get_biolink_version())
    for _target, by_test in messages.items():
        for _test, by_level in by_test.items():
            for level, found in by_level.items():
                bucket = {
                    "critical": result.critical,
                    "error": result.errors,
                    "warning": result.warnings,
                    "info": result.information,
                }.get(level)
                if bucket is not None and found:
                    bucket.update(found)
    return result


def validate_component(instance: dict[str, Any], component: str) -> dict[str, Any]:
    """The validator's schema check of one TRAPI component (e.g. ``MetaKnowledgeGraph``): its critical messages."""
    _patch_downloads()
    from reasoner_validator.trapi import TRAPISchemaValidator

    validator = TRAPISchemaValidator(trapi_version=str(TRAPI_SCHEMA))
    validator.is_valid_trapi_query(copy.deepcopy(instance), component=component)
    found: dict[str, Any] = {}
    for by_test in validator.get_all_messages().values():
        for by_level in by_test.values():
            found.update(by_level.get("critical") or {})
            found.update(by_level.get("error") or {})
    return found
