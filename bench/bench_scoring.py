"""Time all-pairs scoring of the hybrid model, the former implementation against the current one, in one run.

    python bench/bench_scoring.py [--export /work/full/export.pkl] [--repeats 5] [--write-diseases 1000]

What it does, on the pickled ``(GraphExport, ...)`` of a graph (``--export``) or a live graph (``--graph``):

1. fits the hybrid model for a few epochs (``TrainConfig(epochs=3, split="none")``: the timings do not
   depend on the weights);
2. scores candidate drugs × every disease (``pmkg predict --diseases all``'s block) with
   ``score_candidates(..., reference=True)`` (the former chunked path term) and ``score_candidates(...)``,
   interleaved, ``--repeats`` times each, and the path-term part alone (``score_graph_block`` on cached
   embeddings); checks the two score matrices agree (``assert_allclose`` rtol = atol = 1e-5, every pair);
3. times ``rank_all`` on the scores, and writing ``--write-diseases`` diseases' rows with the former per-row
   TSV writer against ``pair_output.write_pairs`` (.tsv, .tsv.gz, .parquet when pyarrow is installed).

Prints medians (and min..max) and the ratio former / current. The machine is shared: the runs are interleaved
and the medians quoted; set ``OMP_WAIT_POLICY=PASSIVE`` (done here by default).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def summary(times: list[float]) -> str:
    return f"{statistics.median(times):8.2f} s  ({min(times):.2f}..{max(times):.2f}, n={len(times)})"


def table(rows: list[tuple[str, str, str, str]]) -> str:
    head = ("stage", "former", "current", "former/current")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*head), line, *(fmt.format(*r) for r in rows)])


def main() -> None:
    import numpy as np
    import torch
    from pmkg.gnn import TARGET
    from pmkg.gnn.candidates import prediction_candidates
    from pmkg.gnn.predict import rank_all, score_candidates
    from pmkg.gnn.train import TrainConfig, train

    from pmkg.workflows.pair_output import write_pairs
    from pmkg.workflows.repurposing import write_pair_tsv

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--export", type=Path, default=Path("/work/full/export.pkl"),
                    help="pickled (GraphExport, ...) of the graph (default: %(default)s)")
    ap.add_argument("-g", "--graph", help="export this graph URI instead (read only)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-diseases", type=int, default=1000,
                    help="diseases whose rows the writers are timed on (0: skip the writers)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.graph:
        from pmkg.kg.export import export_graph
        from pmkg.kg.store import GraphStore

        with GraphStore.connect(args.graph) as store:
            export = export_graph(store, progress=False)
        source = args.graph
    else:
        with open(args.export, "rb") as fh:
            loaded = pickle.load(fh)
        export = loaded[0] if isinstance(loaded, tuple) else loaded
        source = str(args.export)
    seconds, result = timed(lambda: train(export, TrainConfig(epochs=args.epochs, split="none",
                                                              threads=args.threads), progress=False))
    model, data = result.model, result.data
    cands = prediction_candidates(export, TARGET, "all")
    print(f"{source}: {cands.src.size:,} drugs x {cands.dst.size:,} diseases = {cands.num_pairs:,} pairs; "
          f"hybrid on {len(model.paths)} metapaths, fitted in {seconds:.0f} s ({args.epochs} epochs)")

    model.eval()
    with torch.no_grad():
        h = model.embed(data)
    src, dst = torch.from_numpy(cands.src), torch.from_numpy(cands.dst)
    whole = {"former": [], "current": []}
    path_term = {"former": [], "current": []}
    scores = {}
    for _ in range(args.repeats):
        for name, reference in (("former", True), ("current", False)):
            seconds, scores[name] = timed(lambda r=reference: score_candidates(model, data, cands, reference=r))
            whole[name].append(seconds)
            score = model._score_graph_block_reference if reference else model.score_graph_block
            with torch.no_grad():
                seconds, _ = timed(lambda s=score: s(data, h, src, dst))
            path_term[name].append(seconds)
        print(f"  repeat: score_candidates former {whole['former'][-1]:.1f} s, current {whole['current'][-1]:.1f} s",
              flush=True)
    np.testing.assert_allclose(scores["current"], scores["former"], rtol=1e-5, atol=1e-5)
    diff = np.abs(scores["current"] - scores["former"])
    rows = [
        ("score_candidates (embed + all pairs)", summary(whole["former"]), summary(whole["current"]),
         f"{statistics.median(whole['former']) / statistics.median(whole['current']):.1f}x"),
        ("score_graph_block (cached embeddings)", summary(path_term["former"]), summary(path_term["current"]),
         f"{statistics.median(path_term['former']) / statistics.median(path_term['current']):.1f}x"),
    ]
    s = scores["current"]
    ranks = [timed(lambda: rank_all(s))[0] for _ in range(max(1, args.repeats // 2))]
    rows.append(("rank_all (unchanged)", "-", summary(ranks), "-"))

    if args.write_diseases:
        n = min(args.write_diseases, s.shape[1])
        sub = np.ascontiguousarray(s[:, :n])
        prob = 1.0 / (1.0 + np.exp(-sub.astype(np.float64)))
        known, _ = cands.restrict(export.edges[TARGET])
        known = known[:, known[1] < n]
        sub_ranks = rank_all(sub)
        drugs = [export.node_ids[TARGET[0]][i] for i in cands.src]
        diseases = [export.node_ids[TARGET[2]][j] for j in cands.dst[:n]]
        write_args = (drugs, diseases, sub, prob, sub_ranks, known, "bench")
        writers = {"former .tsv": lambda p: write_pair_tsv(p / "old.tsv", *write_args)}
        for suffix in (".tsv", ".tsv.gz", ".parquet"):
            writers[suffix] = lambda p, x=suffix: write_pairs(p / f"new{x}", *write_args)
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            del writers[".parquet"]
        times: dict[str, list[float]] = {k: [] for k in writers}
        sizes = {}
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for _ in range(max(1, args.repeats // 2)):
                for name, write in writers.items():
                    times[name].append(timed(lambda w=write: w(folder))[0])
            for name in writers:
                path = folder / ("old.tsv" if name == "former .tsv" else f"new{name}")
                sizes[name] = path.stat().st_size
            same = (folder / "old.tsv").read_bytes() == (folder / "new.tsv").read_bytes()
        base = statistics.median(times["former .tsv"])
        for name in (".tsv", ".tsv.gz", ".parquet"):
            if name in times:
                rows.append((f"write {sub.size:,} rows {name} ({sizes[name] / 1e6:,.0f} MB)",
                             summary(times["former .tsv"]) if name == ".tsv" else "-", summary(times[name]),
                             f"{base / statistics.median(times[name]):.1f}x"))
        print(f"  .tsv identical to the former writer's bytes: {same}; former .tsv "
              f"{sizes['former .tsv'] / 1e6:,.0f} MB")
    print()
    print(table(rows))
    print(f"\nscores agree: max |current - former| = {diff.max():.2e} over {diff.size:,} pairs "
          f"({(diff > 0).mean():.2e} of them differ at all)")


if __name__ == "__main__":
    main()
