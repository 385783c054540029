"""Keep every benchmark process away from the user's real data and settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

VARS = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "PAPER_TUI_CONFIG")


def isolate(base: Path | None = None) -> Path:
    """Point the data and config folders (and the settings file) into `base`.

    Changes `os.environ`, so child processes inherit it; drops PAPER_TUI_DB.
    Without `base`, a fresh temporary folder is used. Returns the folder.
    """
    if base is None:
        base = Path(tempfile.mkdtemp(prefix="paper-tui-bench-home-"))
    base = base.absolute()
    (base / "data").mkdir(parents=True, exist_ok=True)
    (base / "config" / "paper-tui").mkdir(parents=True, exist_ok=True)
    os.environ["XDG_DATA_HOME"] = str(base / "data")
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")
    os.environ["PAPER_TUI_CONFIG"] = str(base / "config" / "paper-tui" / "settings.json")
    os.environ.pop("PAPER_TUI_DB", None)
    return base


def is_isolated() -> bool:
    return all(os.environ.get(v) for v in VARS)
