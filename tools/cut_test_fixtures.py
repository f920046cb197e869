"""Cut the small test fixtures in ``tests/fixtures`` from the real upstream files, then add bad rows.

Run from the repository root:  python tools/cut_test_fixtures.py --data-dir ../shared/data

Real rows: the PharmacotherapyDB indications of a fixed set of diseases, and the Hetionet edges that touch
those drugs and diseases (at most ``PER_METAEDGE`` per metaedge), plus the nodes they reference. The rows
marked ``# malformed`` below are appended on purpose, one per kind of damage the jobs must survive.

The other sources' fixtures have their own cutters in ``tools/fixtures/`` (see the README there for the order).
"""

from __future__ import annotations

import argparse
import csv
import gzip
from collections import defaultdict
from pathlib import Path

DISEASES = [
    "DOID:1612",
    "DOID:10652",
    "DOID:9352",
    "DOID:10763",
    "DOID:2377",
    "DOID:7148",
    "DOID:1324",
    "DOID:3393",
    "DOID:9074",
    "DOID:14330",
    "DOID:1686",
    "DOID:8577",
    "DOID:11476",
    "DOID:12365",
    "DOID:2841",
]
PER_METAEDGE = 120

BAD_NODE_ROWS = [
    "Gene::999999999\tmissing kind column",  # wrong column count
    "Spaceship::X1\tEnterprise\tSpaceship",  # unknown kind
]
BAD_EDGE_ROWS = [
    "Compound::DB00945\tCbG",  # wrong column count
    "Compound::DB00945\tCxG\tGene::5742",  # unknown metaedge
    "Compound::DB99999\tCbG\tGene::5742",  # endpoint not in nodes file
]
BAD_INDICATION_ROWS = [
    "DOID:1612\tDB00945\tbreast cancer\tAcetylsalicylic acid\tMAYBE\t1\t1",  # unknown category
    "DOID:1612\tDBX\tbreast cancer\tnot a drug\tDM\t1\t1",  # malformed DrugBank id
    "DOID:1612\tDB00945\tbreast cancer",  # wrong column count
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures"))
    args = ap.parse_args()
    out_pdb, out_het = args.out / "pharmacotherapydb", args.out / "hetionet"
    out_pdb.mkdir(parents=True, exist_ok=True)
    out_het.mkdir(parents=True, exist_ok=True)

    with open(args.data_dir / "pharmacotherapydb" / "indications.tsv") as fh:
        header = fh.readline()
        rows = [line for line in fh if line.split("\t")[0] in DISEASES]
    (out_pdb / "indications.tsv").write_text(header + "".join(rows) + "\n".join(BAD_INDICATION_ROWS) + "\n")
    drugs = {f"Compound::{r.split(chr(9))[1]}" for r in rows}
    focus = drugs | {f"Disease::{d}" for d in DISEASES}

    per_metaedge: dict[str, list[str]] = defaultdict(list)
    with gzip.open(args.data_dir / "hetionet" / "edges-5k.sif.gz", "rt") as fh:
        edge_header = fh.readline()
        for line in fh:
            src, metaedge, dst = line.rstrip("\n").split("\t")
            if (src in focus or dst in focus) and len(per_metaedge[metaedge]) < PER_METAEDGE:
                per_metaedge[metaedge].append(line)
    edges = [line for lines in per_metaedge.values() for line in lines]
    referenced = {end for line in edges for end in (line.split("\t")[0], line.rstrip("\n").split("\t")[2])}
    (out_het / "hetionet-v1.0-edges.sif").write_text(edge_header + "".join(edges) + "\n".join(BAD_EDGE_ROWS) + "\n")

    with open(args.data_dir / "hetionet" / "hetionet-v1.0-nodes.tsv") as fh:
        reader = csv.reader(fh, delimiter="\t")
        node_header = "\t".join(next(reader)) + "\n"
        nodes = ["\t".join(r) + "\n" for r in reader if r[0] in referenced or r[0] in focus]
    (out_het / "hetionet-v1.0-nodes.tsv").write_text(node_header + "".join(nodes) + "\n".join(BAD_NODE_ROWS) + "\n")
    print(f"{len(rows)} indications, {len(edges)} edges, {len(nodes)} nodes (+ malformed rows) -> {args.out}")
    print("the Disease Ontology fixture (these diseases and the wanted ones): tools/fixtures/cut_disease_ontology.py")


if __name__ == "__main__":
    main()
