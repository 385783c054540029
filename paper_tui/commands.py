"""Command palette: every action of the main screen ("Category: action") and a
jump to any paper by title."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from .keys import COMMANDS
from .model import plain_text
from .search import Filter

if TYPE_CHECKING:
    from .screens.main import MainScreen

JUMP_LIMIT = 30


class PaperCommands(Provider):
    def _main(self) -> MainScreen | None:
        from .screens.main import MainScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _run(self, action: str) -> None:
        main = self._main()
        if main is not None:
            getattr(main, f"action_{action}")()

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(
                Content(_name(command.category, command.label)),
                partial(self._run, command.action),
                text=_name(command.category, command.label),
                help=escape(f"{command.key_text or 'palette'} · {command.help}"),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            # The short name is shown; the description below it is searched too.
            name = _name(command.category, command.label)
            score = matcher.match(name)
            shown = matcher.highlight(name)
            if score <= 0:
                score = matcher.match(command.help) / 2
                shown = Content(name)
            if score > 0:
                yield Hit(
                    score,
                    shown,
                    partial(self._run, command.action),
                    text=name,
                    help=escape(f"{command.key_text or 'palette'} · {command.help}"),
                )
        main = self._main()
        if main is None or len(query.strip()) < 2:
            return
        # Substring search through the prepared index first, fuzzy scoring only on
        # those: fuzzy-matching 100,000 titles per keystroke would stall the palette.
        found = main.library.view(Filter(query=query))[:JUMP_LIMIT]
        for paper in found:
            title = plain_text(paper.title)
            score = matcher.match(title) or 0.1
            yield Hit(
                score * 0.9,
                Content(f"Go to: {title}"),
                partial(main.jump_to, paper.key),
                text=f"Go to: {title}",
                help=escape(f"{paper.key} · {paper.year or ''}"),
            )


def _name(category: str, help_text: str) -> str:
    """`Paper: Edit the comment in place` from a command's help line."""
    return f"{category}: {help_text.split(';')[0].split(':')[0].strip()}"
