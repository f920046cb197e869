"""The python of a side environment with KGX's own tool (PyPI ``kgx``), made on first use.

kgx 2.6.0 pins pyarrow < 16 and with it numpy < 2, which pmkg's torch stack cannot share, so it lives in its own
virtual environment: ``$PMKG_KGX_PYTHON`` when set, else ``.venv-kgx/`` at the repository root (git-ignored),
created here with ``python3 -m venv`` and ``pip install kgx==2.6.0`` the first time a test needs it (about three
minutes; ``.ci/run`` makes it before the test command). A failure is a test failure that says what to do, never a
skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KGX_REQUIREMENT = "kgx==2.6.0"
SIDE_ENV = Path(__file__).resolve().parent.parent / ".venv-kgx"


def _has_kgx(python: Path) -> bool:
    return python.is_file() and subprocess.run([str(python), "-c", "import kgx"], capture_output=True).returncode == 0


def kgx_python() -> str:
    """The side environment's python, creating the environment when it is missing."""
    named = os.environ.get("PMKG_KGX_PYTHON")
    if named:
        if not _has_kgx(Path(named)):
            pytest.fail(f"PMKG_KGX_PYTHON={named} cannot import kgx: install it with pip install {KGX_REQUIREMENT}")
        return named
    python = SIDE_ENV / "bin" / "python"
    if _has_kgx(python):
        return str(python)
    steps = [
        [str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", str(SIDE_ENV)],
        [str(python), "-m", "pip", "install", "-q", KGX_REQUIREMENT],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            pytest.fail(
                f"could not make KGX's side environment ({' '.join(step)} exited {done.returncode}): "
                f"{done.stderr[-1500:]}\nMake it by hand: python3 -m venv {SIDE_ENV} && "
                f"{python} -m pip install {KGX_REQUIREMENT}, or set PMKG_KGX_PYTHON to a python that has kgx"
            )
    return str(python)
