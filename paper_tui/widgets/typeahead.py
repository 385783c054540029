"""Keys typed ahead of a focus change go where the focus went.

Textual hands each key to the widget focused when the key arrives, and that
widget handles it later from its own queue. When a burst of keys leaves a text
box (`escape j j` typed fast, pasted, or sent by tmux), the keys after the
escape are queued in the text box while the focus moves on: the search would
get `jj` typed into it. A text box that no longer has the focus passes such
keys to the widget that has it.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


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
    focused.post_message(events.Key(event.key, event.character))
    return True
