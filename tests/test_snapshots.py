"""Screens at fixed sizes, compared with SVG snapshots (pytest-textual-snapshot).

The log is opened by a relative path from the test's folder so the banner, which
shows the file's path, is the same on every machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .app_helpers import make_app
from .conftest import SHIPPED_LOG


@pytest.fixture
def relative_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copyfile(SHIPPED_LOG, tmp_path / "entries.json")
    monkeypatch.chdir(tmp_path)
    return Path("entries.json")


def test_main_screen_80x24(snap_compare: Any, relative_log: Path) -> None:
    assert snap_compare(make_app(relative_log), terminal_size=(80, 24))


def test_main_screen_160x45(snap_compare: Any, relative_log: Path) -> None:
    assert snap_compare(make_app(relative_log), terminal_size=(160, 45), press=["j", "j", "j", "j"])


def test_tag_filter_and_search_160x45(snap_compare: Any, relative_log: Path) -> None:
    assert snap_compare(
        make_app(relative_log),
        terminal_size=(160, 45),
        press=["f", "space", "escape", "slash", *"google", "enter"],
    )


def test_editor_open_120x32(snap_compare: Any, relative_log: Path) -> None:
    assert snap_compare(make_app(relative_log), terminal_size=(120, 32), press=["e", *"  note"])
