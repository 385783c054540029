"""The App: theme, clipboard, command palette and the first screen. Kept small:
the main screen is the controller."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType

from .clipboard import Clipboard
from .commands import PaperCommands
from .model import Paper
from .screens.main import MainScreen
from .settings import Settings
from .store import Store

IDLE_COLLECT_EVERY = 2.0
"""Seconds between checks for a full garbage collection while the user is idle."""
IDLE_AFTER = 1.0
"""Seconds without a key or mouse event after which the user counts as idle."""
_NO_AUTOMATIC_FULL = 1 << 30
"""A full-collection threshold never reached: full collections run when idle."""

_INPUT_EVENTS = (
    events.Key,
    events.MouseDown,
    events.MouseScrollDown,
    events.MouseScrollUp,
    events.Paste,
)


class PaperApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "paper-tui"
    COMMANDS = App.COMMANDS | {PaperCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        store: Store | None,
        path: Path,
        load_error: str | None = None,
        clipboard: Clipboard | None = None,
        *,
        loader: Callable[[], Store] | None = None,
        preview: list[Paper] | None = None,
    ) -> None:
        super().__init__()
        self.loader = loader
        self.preview = preview
        self.store = store
        self.path = path
        self.load_error = load_error
        settings = Settings.load()
        self.clipboard_tool = clipboard or Clipboard(
            osc52=self.copy_to_clipboard, method=settings.clipboard
        )
        if settings.theme in self.available_themes:
            self.theme = settings.theme

    def on_mount(self) -> None:
        # Python's own full collections walk every object not frozen, and in a
        # running Textual app that took 6 to 30 ms, at whatever moment the count
        # ran out: in the middle of a keystroke. Young collections stay
        # automatic (under a millisecond); full ones run between the user's
        # actions instead. The process-wide setting is put back on unmount.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(self._gc_threshold[0], self._gc_threshold[1], _NO_AUTOMATIC_FULL)
        self._last_input = time.monotonic()
        self.set_interval(IDLE_COLLECT_EVERY, self._collect_when_idle)
        self.push_screen(
            MainScreen(
                self.store, self.path, self.load_error, loader=self.loader, preview=self.preview
            )
        )

    def on_unmount(self) -> None:
        gc.set_threshold(*self._gc_threshold)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _INPUT_EVENTS):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _collect_when_idle(self) -> None:
        """A full collection, once something has reached the oldest generation."""
        if time.monotonic() - self._last_input >= IDLE_AFTER and gc.get_count()[2] > 0:
            gc.collect()

    @property
    def main(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("no main screen")

    async def action_quit(self) -> None:
        """ctrl+q goes through the same checks as q: unsaved text is never dropped."""
        try:
            main = self.main
        except LookupError:
            self.exit()
            return
        if self.screen is not main:
            self.pop_screen()
        main.action_quit_app()
