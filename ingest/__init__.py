"""Ingest jobs: upstream files in, typed ``NodeRecord``/``EdgeRecord`` out. No database code here."""

if __name__ == "ingest":  # a checkout's root is on sys.path, but the folder is only installed as pmkg.ingest
    raise ImportError("'ingest' is pmkg's folder for pmkg.ingest: import pmkg.ingest instead")

