"""The App: theme, clipboard, command palette and the first screen. Kept small:
the main screen is the controller."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from .clipboard import Clipboard
from .commands import PaperCommands
from .model import Paper
from .screens.main import MainScreen
from .settings import Settings
from .store import Store


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
        self.push_screen(
            MainScreen(
                self.store, self.path, self.load_error, loader=self.loader, preview=self.preview
            )
        )

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
