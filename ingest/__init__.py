"""Ingest jobs: upstream files in, typed ``NodeRecord``/``EdgeRecord`` out. No database code here."""
