"""What a value stored in the graph may be: size limits and the characters allowed, checked before any write.

The graph store refuses some values on its own terms (ArcadeDB: an indexed key over a few hundred kilobytes,
"Key size ... is too big"), and a control character in an id silently breaks every edge that names the id.
These rules are pmkg's, stated once and checked before a write, so a bad value is a per-record error with a
reason instead of a refused transaction:

==========================  ==================  ====================================================================
what                        limit               a value over it, or with a control character
==========================  ==================  ====================================================================
id (a CURIE)                ``MAX_ID_CHARS``    the record is rejected
``name``, ``symbol``        ``MAX_NAME_CHARS``  the record is rejected
any other text property     ``MAX_TEXT_CHARS``  the record is rejected
a list property             ``MAX_LIST_ITEMS``  the record is rejected (each item is checked as text)
a field of an upstream row  ``MAX_TEXT_CHARS``  the row is skipped with ``file:line`` (:mod:`pmkg.ingest.base`)
==========================  ==================  ====================================================================

Control characters are U+0000-U+001F and U+007F-U+009F. Tab, line feed and carriage return are allowed in text
properties, names included (a definition has paragraphs; a name exported to RDF keeps its line break escaped),
never in ids. The rule is rejection, never a silent clean-up: an id that differs from the upstream's by a stripped
character would merge two nodes or break edges. (Upstream lines never reach a record with a control character
other than tab: :mod:`pmkg.ingest.base` skips such a line.)
Measured on the full bundle (2026-12): the longest id has 29 characters, the longest name 215, the longest
text 7,416 (a ClinVar reference allele), the longest list 284 items; no value holds a control character.
"""

from __future__ import annotations

import re
from typing import Any

from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import LABELS, SchemaError

MAX_ID_CHARS = 512
MAX_NAME_CHARS = 2_000
MAX_TEXT_CHARS = 100_000
MAX_LIST_ITEMS = 10_000
# Properties that are names (shown as labels, indexed for look-up): short, one line.
NAME_PROPERTIES = frozenset({"name", "symbol"})

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, LF, CR allowed
_ID_BAD = re.compile(r"[\x00-\x20\x7f-\x9f]")  # control characters and the space
# No ASCII space or control character, and no "/", which could not travel in a URL path segment. (Spelled out
# rather than \s, which means different things in Python and in the spec's ECMA-262 regex dialect.)
LOCAL_ID = r"[^\x00-\x20\x7f-\x9f/]+"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
CURIE_EXAMPLES = {"Drug": "DRUGBANK:DB00945", "Disease": "DOID:1612", "Gene": "NCBIGene:1557"}


def control_character(text: str, allow_layout: bool = False) -> str | None:
    """A description of the first control character in ``text`` (``'U+0000 at character 7'``), or None."""
    match = (_CONTROL_IN_TEXT if allow_layout else _CONTROL).search(text)
    return None if match is None else f"U+{ord(match.group()):04X} at character {match.start() + 1}"


def check_curie(value: str, label: str) -> str:
    """Return ``value`` if it is a CURIE whose prefix the schema allows for ``label``, else raise ``ValueError``.

    The message says what would be accepted; the service and the named-query parameters both use it.
    """
    allowed = LABELS[label].prefixes
    example = CURIE_EXAMPLES.get(label, f"{allowed[0]}:...")
    if len(value) > MAX_ID_CHARS:
        raise ValueError(f"a {label} CURIE has at most {MAX_ID_CHARS} characters, got {len(value):,}")
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
    raise ValueError(f"unknown {label} CURIE prefix {prefix!r}{hint}; use one of {', '.join(allowed)}, e.g. {example}")


def check_id(value: str, what: str = "id") -> None:
    """Raise :class:`SchemaError` for an id that is too long or holds a control character or a space."""
    if len(value) > MAX_ID_CHARS:
        raise SchemaError(f"{what} has {len(value):,} characters, over the limit of {MAX_ID_CHARS}")
    bad = control_character(value)
    if bad:
        raise SchemaError(f"{what} {_shown(value)} holds a control character ({bad})")
    if " " in value:
        raise SchemaError(f"{what} {_shown(value)} holds a space")


def check_value(key: str, value: Any) -> None:
    """Raise :class:`SchemaError` when property ``key``'s ``value`` breaks a limit above."""
    if isinstance(value, str):
        _check_text(key, value)
    elif isinstance(value, list | tuple):
        if len(value) > MAX_LIST_ITEMS:
            raise SchemaError(f"property {key!r} lists {len(value):,} items, over the limit of {MAX_LIST_ITEMS:,}")
        for item in value:
            if isinstance(item, str):
                _check_text(key, item)


def check_record(record: NodeRecord | EdgeRecord) -> None:
    """Every limit for one record: its id(s) and every property value. Raises :class:`SchemaError`.

    Runs for every record of an ingest (about 1.5M on the full bundle), so the common case, a value within its
    limits, costs one length test and one regex search; the detailed checks run only to explain a failure.
    """
    if type(record) is NodeRecord:
        if len(record.id) > MAX_ID_CHARS or _ID_BAD.search(record.id):
            check_id(record.id, f"{record.label} id")
    else:
        if len(record.src) > MAX_ID_CHARS or _ID_BAD.search(record.src):
            check_id(record.src, f"{record.type} source id")
        if len(record.dst) > MAX_ID_CHARS or _ID_BAD.search(record.dst):
            check_id(record.dst, f"{record.type} target id")
    for key, value in record.props.items():
        kind = type(value)
        if kind is str:
            if not _text_ok(value, MAX_NAME_CHARS if key in NAME_PROPERTIES else MAX_TEXT_CHARS):
                _check_text(key, value)
        elif kind is list or kind is tuple:
            limit = MAX_NAME_CHARS if key in NAME_PROPERTIES else MAX_TEXT_CHARS
            if len(value) > MAX_LIST_ITEMS or not all(type(item) is not str or _text_ok(item, limit) for item in value):
                check_value(key, value)


# Short texts found within the limits. Most values repeat from record to record (provenance, evidence codes,
# qualifiers), and a set look-up costs a fraction of the regular expression; on the full bundle the checks ran
# 4M searches. Bounded: cleared when full.
_TEXT_OK: set[str] = set()
_TEXT_OK_MAX = 100_000
_TEXT_OK_LONGEST = 256


def _text_ok(value: str, limit: int) -> bool:
    """Whether ``value`` is within ``limit`` and free of control characters other than tab, LF and CR."""
    if len(value) > limit:
        return False
    if value in _TEXT_OK:
        return True
    if _CONTROL_IN_TEXT.search(value):
        return False
    if len(value) <= _TEXT_OK_LONGEST:
        if len(_TEXT_OK) >= _TEXT_OK_MAX:
            _TEXT_OK.clear()
        _TEXT_OK.add(value)
    return True


def _check_text(key: str, value: str) -> None:
    limit = MAX_NAME_CHARS if key in NAME_PROPERTIES else MAX_TEXT_CHARS
    if len(value) > limit:
        raise SchemaError(f"property {key!r} has {len(value):,} characters, over the limit of {limit:,}")
    bad = control_character(value, allow_layout=True)
    if bad:
        raise SchemaError(f"property {key!r} ({_shown(value)}) holds a control character ({bad})")


def _shown(value: str) -> str:
    """``value`` for a message: escaped, and cut to 80 characters."""
    text = repr(value[:80])
    return text + ("..." if len(value) > 80 else "")
