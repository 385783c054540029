"""Helpers for driving the app in tests: a fake clipboard and screen readers."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from paper_tui.app import PaperApp
from paper_tui.clipboard import Clipboard
from paper_tui.screens.main import MainScreen
from paper_tui.store import LoadError, Store
from paper_tui.widgets.paper_list import PaperList


class FakeClipboard(Clipboard):
    """Records copies instead of touching the real clipboard or the terminal."""

    def __init__(self, fail: bool = False) -> None:
        self.copies: list[str] = []

        def system(text: str) -> None:
            if fail:
                raise RuntimeError("no clipboard mechanism")
            self.copies.append(text)

        def osc52(text: str) -> None:
            self.copies.append(text)

        super().__init__(osc52=osc52 if not fail else None, system=system, env={})


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, stdout, stderr)."""
    from paper_tui.__main__ import main

    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def make_app(
    path: Path, clipboard: FakeClipboard | None = None, readonly: bool = False
) -> PaperApp:
    try:
        store: Store | None = Store.open(path, readonly=readonly)
        error = None
    except LoadError as exc:
        store, error = None, str(exc)
    return PaperApp(
        store=store, path=path, load_error=error, clipboard=clipboard or FakeClipboard()
    )


def main_screen(app: PaperApp) -> MainScreen:
    return app.main


def plist(app: PaperApp) -> PaperList:
    return app.main.query_one(PaperList)


def text_of(app: PaperApp, selector: str) -> str:
    widget = app.main.query_one(selector, Static)
    content = widget.content
    return getattr(content, "plain", str(content))


async def settle(pilot: Pilot[None]) -> None:
    """Let queued saves reach the disk and their callbacks run."""
    await pilot.pause()
    pilot.app.main.wait_for_saves()  # type: ignore[attr-defined]
    await pilot.pause()


def disk_papers(path: Path) -> dict[str, dict[str, object]]:
    data = orjson.loads(path.read_bytes())
    return {doc["key"]: doc for doc in data["papers"].values()}


def disk_keys(path: Path) -> list[str]:
    data = orjson.loads(path.read_bytes())
    return [doc["key"] for _, doc in sorted(data["papers"].items(), key=lambda kv: int(kv[0]))]
