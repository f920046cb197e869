"""The README's two opening commands are the project's contract with a new user and with CI."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _opening_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(), flags=re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_opens_with_install_and_demo_then_install_and_tests():
    demo, tests = _opening_commands()
    assert "pip install" in demo and "torch==2.13.0" in demo and demo.endswith("pmkg demo")
    assert "pip install" in tests and "torch==2.13.0" in tests and tests.endswith("python -m pytest -q")


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = _opening_commands()
    ci_lines = [line.strip() for line in (REPO / ".ci/run").read_text().splitlines()]
    assert tests in ci_lines
