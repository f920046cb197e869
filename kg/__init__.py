"""pmkg's graph layer: the schema, the store, the writers, the exporter, write-back and named queries.

``pmkg.kg`` knows the schema and the database and nothing about upstream file formats, models or HTTP:
it imports neither :mod:`pmkg.ingest`, :mod:`pmkg.gnn`, :mod:`pmkg.workflows` nor :mod:`pmkg.service`
(``tests/test_architecture.py`` checks this).
"""

if __name__ == "kg":  # a checkout's root is on sys.path, but the folder is only installed as pmkg.kg
    raise ImportError("'kg' is pmkg's folder for pmkg.kg: import pmkg.kg instead")

