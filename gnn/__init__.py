"""pmkg's learning layer: a heterogeneous GNN that ranks Drug–TREATS–Disease links.

``gnn`` knows tensors and models and nothing about the database: it takes a
:class:`pmkg.kg.export.GraphExport` and returns arrays and objects. The modules, one idea each:

- :mod:`pmkg.gnn.data`: ``GraphExport`` → message-passing ``HeteroData`` (reverse edges, held-out edges removed,
  structural features computed on what remains).
- :mod:`pmkg.gnn.split`: leakage-safe splits of the target edges (random, disease-holdout).
- :mod:`pmkg.gnn.conv`: relational mean-aggregation layer that only transforms rows with messages.
- :mod:`pmkg.gnn.model`: heterogeneous encoder (that layer, or PyG ``HeteroConv`` of SAGE/GraphConv) and DistMult.
- :mod:`pmkg.gnn.baselines`: the degree-product prior.
- :mod:`pmkg.gnn.metrics`: AUROC/AUPRC and filtered ranking metrics over all drugs.
- :mod:`pmkg.gnn.train`: ``train(export, TrainConfig) -> TrainResult``, the one entry point.
- :mod:`pmkg.gnn.predict`: score every pair, rank them, take the top k per disease.
- :mod:`pmkg.gnn.artifacts`: a versioned model directory (weights, config, id maps, metrics, model card).
"""

if __name__ == "gnn":  # a checkout's root is on sys.path, but the folder is only installed as pmkg.gnn
    raise ImportError("'gnn' is pmkg's folder for pmkg.gnn: import pmkg.gnn instead")


TARGET: tuple[str, str, str] = ("Drug", "TREATS", "Disease")
