"""``pmkg train --estimate``: counts the graph the model would read and prints the run's needs, training nothing."""

from __future__ import annotations

import pytest
from pmkg.kg.export import export_graph
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.workflows.estimate import GraphSize, estimate_rows, graph_size, predict

runner = CliRunner()


def test_graph_size_counts_what_the_export_reads(store, ingest_outcomes) -> None:
    # A variant only a patient's ingest created is not exported, so it is not counted (failed once other tests had
    # ingested patients before this one).
    store.run(
        "CREATE (:Variant {id: 'PMKG.VARIANT:GRCh38-chr1-1-A-T', source: 'pmkg-patients'})"
        "-[:IN_GENE {source: 'pmkg-patients'}]->(:Gene {id: 'NCBIGene:999999999', source: 'pmkg-patients'})",
        write=True,
    )
    try:
        size = graph_size(store)
        export = export_graph(store, progress=False)
    finally:
        store.run("MATCH (n) WHERE n.id IN ['PMKG.VARIANT:GRCh38-chr1-1-A-T', 'NCBIGene:999999999'] DETACH DELETE n",
                  write=True)  # fmt: skip
    assert size.nodes == sum(len(ids) for ids in export.node_ids.values())
    exported = sum(edges.shape[1] for edges in export.edges.values())
    # The export merges a pair asserted by several sources into one edge; the count is of relationships.
    assert exported <= size.edges <= 1.2 * exported


def test_estimate_grows_with_the_graph_and_the_processes() -> None:
    small = {r["quantity"]: r["value"] for r in estimate_rows(GraphSize(10_000, 100_000), 100, 6)}
    big = estimate_rows(GraphSize(2_000_000, 40_000_000), 100, 6, processes=2)
    assert predict("train_peak_rss_gib", 40_000_000) > predict("train_peak_rss_gib", 100_000)
    assert predict("epoch_seconds", 40_000_000) > predict("epoch_seconds", 100_000)
    per_process = float(next(r for r in big if r["quantity"] == "peak memory per process")["value"].split()[0])
    both = float(next(r for r in big if r["quantity"] == "peak memory, all processes")["value"].split()[0])
    assert both == pytest.approx(2 * per_process, abs=0.15)  # each rounded to 0.1 GiB
    assert small["graph"] == "10,000 nodes, 100,000 edges"


def test_train_estimate_prints_and_trains_nothing(graph_uri, ingest_outcomes, tmp_path) -> None:
    models = tmp_path / "models"
    result = runner.invoke(app, ["train", "--estimate", "-g", graph_uri, "--models-dir", str(models), "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert "peak memory per process" in result.output and "4 model(s) x (150 epochs + setup)" in result.output
    assert not models.exists()
