"""pmkg's graph layer: schema, store, writer, exporter and entry points.

``kg`` knows the schema and the database and nothing about upstream file formats.
"""

__version__ = "0.1.0"
