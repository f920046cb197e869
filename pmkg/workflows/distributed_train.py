"""One held-out-split training run across processes: the script ``torchrun`` launches.

    python -c "from pmkg.kg.export import export_graph, save_export; ..."   # docs/scale.md has the lines
    torchrun --standalone --nproc_per_node=2 -m pmkg.workflows.distributed_train --export graph.npz \\
        --epochs 50 --out metrics.json

Every rank loads the same export (``--export``, written by :func:`pmkg.kg.export.save_export`), joins the
process group torchrun set up (gloo; NCCL is for models on GPUs, which this trainer does not place) and runs
:func:`pmkg.gnn.train.train`, which shards each epoch's pairs and the validation scoring across the ranks
(:mod:`pmkg.gnn.distributed`). Rank 0 evaluates the test split and writes ``--out``. Without torchrun (no
``RANK`` in the environment) it is a plain single-process run of the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pmkg.workflows.distributed_train", description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, required=True, help=".npz written by pmkg.kg.export.save_export")
    parser.add_argument("--out", type=Path, required=True, help="JSON with the test metrics and the history")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="random", help="random | disease_holdout")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    parser.add_argument("--spectral-dim", type=int, default=128)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict | None:
    """Train on this rank; return (and on rank 0 write) the metrics. ``None`` on the other ranks."""
    import torch.distributed as dist

    from pmkg.gnn.evaluate import evaluate_fit
    from pmkg.gnn.train import TrainConfig, train
    from pmkg.kg.export import load_export

    launched = "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1
    if launched and not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    try:
        rank = dist.get_rank() if launched else 0
        world = dist.get_world_size() if launched else 1
        config = TrainConfig(
            epochs=args.epochs, patience=args.patience, seed=args.seed, split=args.split, threads=args.threads,
            spectral_dim=args.spectral_dim,
        )
        export = load_export(args.export)
        t0 = time.perf_counter()
        result = train(export, config, progress=False)
        if rank != 0:
            return None
        evaluation = evaluate_fit(result)
        outcome = {
            "world": world, "best_epoch": result.best_epoch, "history": result.history,
            "test": evaluation.test, "val": evaluation.val, "seconds": time.perf_counter() - t0,
            "seconds_per_epoch": result.seconds_per_epoch,
        }
        args.out.write_text(json.dumps(outcome, indent=2, default=float))
        return outcome
    finally:
        if launched and dist.is_initialized():
            dist.destroy_process_group()


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
