"""pmkg: a precision-medicine knowledge graph with a GNN recommender.

The layers, lowest first: :mod:`pmkg.kg` (schema, store, writers, export), :mod:`pmkg.ingest` (upstream
formats to records), :mod:`pmkg.gnn` (tensors and models), then :mod:`pmkg.workflows` (the jobs a user runs)
and, on top, :mod:`pmkg.cli` and :mod:`pmkg.service`. Imports only ever point down this list, except that
``ingest`` and ``gnn`` both sit on ``kg``.
"""

__version__ = "0.2.0"
