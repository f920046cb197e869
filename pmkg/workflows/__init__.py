"""The jobs a user runs: ingest, train and predict, evaluate, patients and cohorts.

Workflows orchestrate the layers below (:mod:`pmkg.ingest`, :mod:`pmkg.kg`, :mod:`pmkg.gnn`); the CLI and the
HTTP service call them and nothing here imports either of those.
"""
