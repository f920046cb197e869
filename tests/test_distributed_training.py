"""Two-process data-parallel training (torchrun, gloo on loopback) gives the single-process run's numbers.

The fixture graph is exported once, written with ``save_export`` and trained on twice by the same script
(:mod:`pmkg.workflows.distributed_train`): in this process, and as two ranks launched by ``torchrun``. Each
rank trains on half of every epoch's pairs (asserted from the history), so equal metrics mean the gradient
all-reduce and the gathered validation scoring reproduce the full-batch step, not that one rank did it all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pmkg.gnn.distributed import Ranks
from pmkg.kg.export import export_graph, load_export, save_export

from pmkg.workflows.distributed_train import parse_args, run

EPOCHS = ["--epochs", "5", "--patience", "50", "--seed", "0", "--spectral-dim", "32"]


@pytest.fixture(scope="module")
def export_file(store, ingest_outcomes, tmp_path_factory) -> Path:
    return save_export(export_graph(store, progress=False), tmp_path_factory.mktemp("ddp") / "graph.npz")


def test_saved_export_loads_back_unchanged(export_file: Path, store) -> None:
    again = export_graph(store, progress=False)
    loaded = load_export(export_file)
    assert loaded.node_ids == again.node_ids and loaded.node_names == again.node_names
    assert loaded.edges.keys() == again.edges.keys()
    for key, edges in again.edges.items():
        np.testing.assert_array_equal(loaded.edges[key], edges)
    assert len(loaded.node_ids["Drug"]) == 500


def test_rank_shares_are_disjoint_and_cover_everything() -> None:
    for world in (2, 3):
        taken = np.concatenate([Ranks(r, world).take(11) for r in range(world)])
        assert sorted(taken.tolist()) == list(range(11))
        cols = [Ranks(r, world).columns(10) for r in range(world)]
        assert cols[0].start == 0 and cols[-1].stop == 10
        assert all(a.stop == b.start for a, b in zip(cols, cols[1:], strict=False))


def test_two_ranks_match_one_process(export_file: Path, tmp_path: Path) -> None:
    single = run(parse_args(["--export", str(export_file), "--out", str(tmp_path / "single.json"), *EPOCHS]))
    assert single is not None and single["world"] == 1
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "pmkg.workflows.distributed_train", "--export", str(export_file), "--out", str(tmp_path / "two.json"),
         *EPOCHS],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    two = json.loads((tmp_path / "two.json").read_text())
    assert two["world"] == 2
    assert len(two["history"]) == len(single["history"]) == 5
    for one, pair in zip(single["history"], two["history"], strict=True):
        assert abs(pair["pairs"] - one["pairs"] / 2) <= 1  # rank 0 trained on its half of the epoch's pairs
        assert pair["loss"] == pytest.approx(one["loss"], rel=1e-4)
        assert pair["val_auroc"] == pytest.approx(one["val_auroc"], abs=1e-4)
        assert pair["val_mrr"] == pytest.approx(one["val_mrr"], abs=1e-4)
    assert two["best_epoch"] == single["best_epoch"]
    for metric in ("auroc", "auprc", "mrr", "hits@10"):
        assert two["test"]["gnn"][metric] == pytest.approx(single["test"]["gnn"][metric], abs=1e-3)
