"""Cut the small demo sample shipped in ``ingest/sample`` from the real upstream files.

Run from the repository root:  python tools/cut_demo_sample.py --data-dir ../shared/data

Keeps every Compound and Disease node, every edge that touches a compound or disease (up to the
5k-per-metaedge sample upstream already made), a seeded sample of gene-side edges, and the nodes those
edges reference. Rows are copied byte for byte; only the selection is ours.
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
from collections import defaultdict
from pathlib import Path

GENE_SIDE_PER_METAEDGE = 1500
COMPOUND_OR_DISEASE = ("Compound::", "Disease::")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("ingest/sample"))
    ap.add_argument("--seed", type=int, default=20161)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    het = args.data_dir / "hetionet"
    with gzip.open(het / "edges-5k.sif.gz", "rt") as fh:
        header = fh.readline()
        by_metaedge: dict[str, list[str]] = defaultdict(list)
        for line in fh:
            by_metaedge[line.split("\t")[1]].append(line)

    kept: list[str] = []
    for metaedge in sorted(by_metaedge):
        lines = by_metaedge[metaedge]
        first = lines[0].split("\t")
        if first[0].startswith(COMPOUND_OR_DISEASE) or first[2].startswith(COMPOUND_OR_DISEASE):
            kept.extend(lines)
        else:
            kept.extend(rng.sample(lines, min(GENE_SIDE_PER_METAEDGE, len(lines))))

    referenced = set()
    for line in kept:
        src, _, dst = line.rstrip("\n").split("\t")
        referenced.update((src, dst))

    (args.out / "hetionet").mkdir(parents=True, exist_ok=True)
    (args.out / "pharmacotherapydb").mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(args.out / "hetionet" / "edges-sample.sif.gz", "wb", mtime=0) as out:
        out.write((header + "".join(kept)).encode())
    n_nodes = 0
    with open(het / "hetionet-v1.0-nodes.tsv") as fh, gzip.GzipFile(
        args.out / "hetionet" / "hetionet-v1.0-nodes-sample.tsv.gz", "wb", mtime=0
    ) as out:
        out.write(fh.readline().encode())
        for line in fh:
            node_id = line.split("\t", 1)[0]
            if node_id in referenced or node_id.startswith(COMPOUND_OR_DISEASE):
                out.write(line.encode())
                n_nodes += 1
    shutil.copyfile(
        args.data_dir / "pharmacotherapydb" / "indications.tsv", args.out / "pharmacotherapydb" / "indications.tsv"
    )
    print(f"kept {len(kept)} edges over {len(by_metaedge)} metaedges and {n_nodes} nodes -> {args.out}")


if __name__ == "__main__":
    main()
