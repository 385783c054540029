"""House rules checked on every run: lint, format, strict types, a core without Textual."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

CORE = [
    "paper_tui.model",
    "paper_tui.store",
    "paper_tui.search",
    "paper_tui.cite",
    "paper_tui.clipboard",
    "paper_tui.settings",
    "paper_tui.formats",
    "paper_tui.importer",
    "paper_tui.fetch",
    "paper_tui.__main__",
]


def test_core_never_imports_textual() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE!r}:\n"
        "    __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'pyperclip'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_only_store_imports_tinydb_and_only_clipboard_imports_pyperclip() -> None:
    for path in (ROOT / "paper_tui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "store.py":
            assert "import tinydb" not in text and "from tinydb" not in text, path
        if path.name != "clipboard.py":
            assert "import pyperclip" not in text, path


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name)
    if found is None:
        candidate = ROOT / ".venv" / "bin" / name
        if not candidate.exists():
            pytest.skip(f"{name} is not installed")
        found = str(candidate)
    return found


def test_ruff_lint_and_format() -> None:
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "paper_tui", "tests", "benchmarks"], cwd=ROOT, check=True)
    subprocess.run(
        [*ruff, "format", "--check", "paper_tui", "tests", "benchmarks"], cwd=ROOT, check=True
    )


def test_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "paper_tui"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
