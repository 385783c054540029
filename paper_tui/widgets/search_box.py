"""The search field: its text reaches the screen in the same frame as the keystroke."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.widgets import Input

from .typeahead import pass_on_if_unfocused


class SearchBox(Input):
    """An Input that calls `follow` synchronously whenever its text changes.

    `Input.Changed` travels as a message: the field repaints with the new
    character first, and Textual's frame timer then holds the next frame (the
    one with the narrowed list) for one to two frame periods, about 35 ms even
    for an instant search. Calling the screen from the value's watcher puts the
    character and the list it selects in one frame. `Input.Changed` is still
    sent, for anyone else listening.
    """

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.follow: Callable[[str], None] | None = None

    def watch_value(self, value: str) -> None:
        if self.follow is not None:
            self.follow(value)

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls each class's `_on_key` down the MRO (the parent's runs next),
        # unless this one prevents the default.
        pass_on_if_unfocused(self, event)
