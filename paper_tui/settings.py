"""Remembered preferences and per-log view state, in the user's config folder.

Never inside the log: the log is the user's data and may live in git.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson


def settings_path() -> Path:
    env = os.environ.get("PAPER_TUI_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("paper-tui", appauthor=False) / "settings.json"


@dataclass(slots=True)
class ViewState:
    """What the user was looking at in one log."""

    sort: str = "added"
    query: str = ""
    tags: list[str] = field(default_factory=list)
    tag_mode: str = "all"
    status: str = ""
    starred: bool = False
    selected: str = ""


@dataclass(slots=True)
class Settings:
    theme: str = "textual-dark"
    cite_format: str = "bibtex"
    clipboard: str = "auto"
    views: dict[str, ViewState] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        try:
            raw = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        out = cls()
        for name in ("theme", "cite_format", "clipboard"):
            if isinstance(raw.get(name), str):
                setattr(out, name, raw[name])
        views = raw.get("views")
        if isinstance(views, dict):
            for log, data in views.items():
                if isinstance(data, dict):
                    known = {k: v for k, v in data.items() if k in ViewState.__slots__}
                    with contextlib.suppress(TypeError):
                        out.views[log] = ViewState(**known)
        return out

    def view_for(self, log: Path) -> ViewState:
        return self.views.setdefault(str(log), ViewState())

    def save(self, path: Path | None = None) -> None:
        """Best effort: failing to remember a view must never disturb the user."""
        from .store import StoreError, write_atomic

        path = path or settings_path()
        data: dict[str, Any] = asdict(self)
        with contextlib.suppress(OSError, StoreError):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, orjson.dumps(data, option=orjson.OPT_INDENT_2))
