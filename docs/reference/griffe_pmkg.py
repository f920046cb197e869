"""Griffe extension for the API reference: the folders that setuptools maps into ``pmkg``, and Sphinx roles.

``pyproject.toml`` maps ``kg/`` to ``pmkg.kg``, ``gnn/`` to ``pmkg.gnn`` and so on (``[tool.setuptools.package-dir]``).
Griffe reads the source without importing it and finds only what sits under ``pmkg/``, so ``::: pmkg.kg.store``
would not be found. This extension loads each mapped folder and attaches it to ``pmkg`` under its package name.

The docstrings are prose with the odd Sphinx role (``:func:`export_rdf```); Markdown has no roles, so they are
rendered as plain code.

Used by ``mkdocs.yml`` (mkdocstrings' ``extensions`` option); not part of the installed package.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import griffe

ROOT = Path(__file__).resolve().parents[2]
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`~?([^`]+)`")


class PmkgPackageDirs(griffe.Extension):
    """Attach ``kg/``, ``ingest/``, ``gnn/``, ``queries/`` and ``service/`` to ``pmkg`` as setuptools does."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "pmkg":
            return
        mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
        for dotted, folder in mapping.items():
            parent, _, name = dotted.rpartition(".")
            if parent != "pmkg" or name in pkg.members:
                continue
            sub = loader.load(ROOT / folder)
            loader.modules_collection.del_member(sub.name)
            sub.name = name
            sub.parent = pkg
            pkg.set_member(name, sub)

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(r"`\1`", obj.docstring.value)
