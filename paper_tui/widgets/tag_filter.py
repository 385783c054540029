"""The tag filter: every tag with its count in the current view; toggling narrows the list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class TagFilter(OptionList):
    """Tags as options; `space`/`enter` or a click toggles one."""

    BINDINGS = [
        Binding("space", "select", "Toggle tag", show=True),
        Binding("a", "toggle_mode", "All/any", show=True),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
    ]

    class ModeToggled(Message):
        """The user wants papers with any of the tags instead of all (or back)."""

    def action_toggle_mode(self) -> None:
        self.post_message(self.ModeToggled())

    class Toggled(Message):
        def __init__(self, tag: str) -> None:
            super().__init__()
            self.tag = tag

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[tuple[str, int, bool], ...] = ()
        self.follow: Callable[[str], None] | None = None
        """Called synchronously with a toggled tag (else a `Toggled` message is
        sent): the list narrows in the same frame as the toggle, no message hops."""

    def show_tags(
        self, counts: Counter[str], selected: frozenset[str], totals: Counter[str]
    ) -> None:
        """Selected tags first, then by count in the view, then by name."""
        names = set(totals) | set(selected)
        order = sorted(names, key=lambda t: (t not in selected, -counts.get(t, 0), t))
        shown = tuple((t, counts.get(t, 0), t in selected) for t in order)
        if shown == self._shown:
            return
        self._shown = shown
        # Follow the highlighted tag only while the user is in the list; otherwise
        # start at the top again (after a search is cleared, `f` lands on the first tag).
        in_use = self.screen.focused is self
        highlighted = self.highlighted_option.id if self.highlighted_option and in_use else None
        options = []
        for tag, count, on in shown:
            prompt = Content.assemble(
                ("☑ " if on else "☐ ", "$text-success" if on else "$text-muted"),
                (tag, "bold" if on else ""),
                (f" {count}", "$text-muted"),
            )
            options.append(Option(prompt, id=tag, disabled=False))
        self.set_options(options)
        if options:
            index = 0
            if highlighted is not None:
                try:
                    index = self.get_option_index(highlighted)
                except Exception:  # the tag left the view
                    index = 0
                if not any(t == highlighted and (n or on) for t, n, on in shown):
                    index = 0  # don't follow a tag that dropped to 0 down the list
            self.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            if self.follow is not None:
                self.follow(event.option.id)
            else:
                self.post_message(self.Toggled(event.option.id))
