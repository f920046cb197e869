"""pmkg's named Cypher queries: one ``.cypher`` file each, with a header that documents it.

The CLI, the HTTP service and the tests all run these same files (see ``kg.queries``).
"""

from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent
