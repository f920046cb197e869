"""pmkg's learning layer: a heterogeneous GNN that ranks Drug–TREATS–Disease links.

``gnn`` knows tensors and models and nothing about the database: it takes a
:class:`kg.export.GraphExport` and returns arrays and objects. The modules, one idea each:

- :mod:`gnn.data`: ``GraphExport`` → message-passing ``HeteroData`` (reverse edges, held-out edges removed,
  structural features computed on what remains).
- :mod:`gnn.split`: leakage-safe splits of the target edges (random, disease-holdout).
- :mod:`gnn.conv`: relational mean-aggregation layer that only transforms rows with messages.
- :mod:`gnn.model`: heterogeneous encoder (that layer, or PyG ``HeteroConv`` of SAGE/GraphConv) and DistMult.
- :mod:`gnn.baselines`: the degree-product prior.
- :mod:`gnn.metrics`: AUROC/AUPRC and filtered ranking metrics over all drugs.
- :mod:`gnn.train`: ``train(export, TrainConfig) -> TrainResult``, the one entry point.
- :mod:`gnn.predict`: score every pair, rank them, take the top k per disease.
- :mod:`gnn.artifacts`: a versioned model directory (weights, config, id maps, metrics, model card).
"""

TARGET: tuple[str, str, str] = ("Drug", "TREATS", "Disease")
