"""TxGNN's disease-area holdout lists, mapped to the CURIEs pmkg uses (MONDO and DOID).

Reads two upstream formats and nothing else (the graph side, which diseases of the graph fall in an area,
is :mod:`gnn.areas`):

- ``txgnn-splits/disease_files/<area>.csv`` (TxGNN, MIT): column ``node_id`` holds the MONDO number without
  prefix or padding, written as an int (``5148``) or, in five files, as a float (``15999.0``);
- ``mondo/mappings-*/mondo_exactmatch_doid.sssom.tsv.gz`` (MONDO SSSOM, CC0): ``subject_id`` (MONDO)
  ``skos:exactMatch`` ``object_id`` (DOID), after a block of ``#`` metadata lines.

An area's CURIEs are its MONDO ids plus every DOID they map to exactly.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

TXGNN_DIR = "txgnn-splits"
MONDO_DOID_GLOB = "mondo/mappings-*/mondo_exactmatch_doid.sssom.tsv.gz"


def read_txgnn_area(path: Path) -> list[str]:
    """MONDO CURIEs of one TxGNN ``disease_files/<area>.csv``; a bad ``node_id`` names the file and line."""
    out = []
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or "node_id" not in header:
            raise ValueError(f"{path}: expected a header with a node_id column, got {header!r}")
        col = header.index("node_id")
        for line, row in enumerate(reader, start=2):
            try:
                out.append(f"MONDO:{int(float(row[col])):07d}")
            except (ValueError, IndexError):
                raise ValueError(f"{path}:{line}: node_id {row[col:col + 1]!r} is not a MONDO number") from None
    return out


def read_mondo_doid(path: Path) -> dict[str, set[str]]:
    """MONDO CURIE → DOID CURIEs from MONDO's exact-match SSSOM table."""
    mapping: dict[str, set[str]] = {}
    with gzip.open(path, "rt") as fh:
        rows = (line for line in fh if not line.startswith("#"))
        reader = csv.DictReader(rows, delimiter="\t")
        for row in reader:
            if row.get("predicate_id") == "skos:exactMatch" and row.get("object_id", "").startswith("DOID:"):
                mapping.setdefault(row["subject_id"], set()).add(row["object_id"])
    return mapping


def disease_areas(data_dir: Path) -> dict[str, set[str]]:
    """``{area: MONDO and DOID CURIEs}`` for every TxGNN area file under ``data_dir``."""
    area_dir = Path(data_dir) / TXGNN_DIR / "disease_files"
    files = sorted(area_dir.glob("*.csv"))
    if not files:
        raise FileNotFoundError(
            f"{area_dir}: no TxGNN disease-area files; get data/disease_files/*.csv from "
            "https://github.com/mims-harvard/TxGNN or pass a data dir that has txgnn-splits/"
        )
    mappings = sorted(Path(data_dir).glob(MONDO_DOID_GLOB))
    if not mappings:
        raise FileNotFoundError(
            f"{data_dir}/{MONDO_DOID_GLOB}: MONDO's DOID exact-match table is missing; get "
            "src/ontology/mappings/mondo_exactmatch_doid.sssom.tsv from https://github.com/monarch-initiative/mondo"
        )
    mondo_doid = read_mondo_doid(mappings[-1])
    areas = {}
    for path in files:
        mondo = read_txgnn_area(path)
        areas[path.stem] = set(mondo) | {d for m in mondo for d in mondo_doid.get(m, ())}
    return areas
