"""Keys typed ahead of a focus change go where the focus went.

Textual hands each key to the widget focused when the key arrives, and that
widget handles it later from its own queue. When a burst of keys leaves a text
box (`escape j j` typed fast, pasted, or sent by tmux), the keys after the
escape are queued in the text box while the focus moves on: the search would
get `jj` typed into it. A text box that no longer has the focus passes such
keys back to the app, which hands them to the widget that has it now.

Dialogs have the opposite case: keys typed right after the key that opened
one reach the dialog before its field has the focus; `TypeAheadScreen` types
them into the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.screen import ModalScreen, ScreenResultType
from textual.widget import Widget
from textual.widgets import Input, TextArea


def pass_on_if_unfocused(widget: Widget, event: events.Key) -> bool:
    """Hand `event` on to the focused widget if `widget` lost the focus; True if so.

    The event's default is prevented, so the text box's own key handler (the
    next `_on_key` down the class hierarchy) does not run.
    """
    focused = widget.app.focused  # (`has_focus` follows later, by an event)
    if focused is None or focused is widget:
        return False
    event.stop()
    event.prevent_default()
    # Through the app, as a key from the terminal: its priority bindings see it first.
    widget.app.post_message(events.Key(event.key, event.character))
    return True


def after_typing(focused: Widget | None, work: Callable[[], None]) -> None:
    """Run `work` once the keys already on their way to `focused` (a text box) are in.

    Escape, enter and ctrl+s are taken by the app as they arrive (priority
    bindings), while the characters typed just before them wait in the text
    box's queue: `abc` then escape in one burst would leave the editor before
    `abc` is in it. A callback queued behind them runs after them.
    """
    if isinstance(focused, Input | TextArea):
        focused.call_later(work)
    else:
        work()


class TypeAheadScreen(ModalScreen[ScreenResultType]):
    """A dialog that takes keys typed before its field had the focus.

    Subclasses name the field to focus in `first_field` (a CSS selector); it is
    focused at mount, synchronously. A printable key that reaches the screen
    itself (text boxes consume their own, so it was sent to the screen while no
    field had the focus) is typed into the focused field; a submit goes through
    `after_typing`.
    """

    first_field: ClassVar[str] = "Input"

    def on_mount(self) -> None:
        self.set_focus(self.query(self.first_field).first())

    def on_key(self, event: events.Key) -> None:
        focused = self.focused
        if not event.is_printable or event.character is None:
            return
        if isinstance(focused, Input):
            focused.insert_text_at_cursor(event.character)
        elif isinstance(focused, TextArea):
            focused.insert(event.character)
        else:
            return
        event.stop()
        event.prevent_default()
