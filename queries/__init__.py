"""pmkg's named Cypher queries: one ``.cypher`` file each, with a header that documents it.

The CLI, the HTTP service and the tests all run these same files (see :mod:`pmkg.kg.queries`).
"""

if __name__ == "queries":  # a checkout's root is on sys.path, but the folder is only installed as pmkg.queries
    raise ImportError("'queries' is pmkg's folder for pmkg.queries: import pmkg.queries instead")


from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent
