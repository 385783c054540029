"""Copying text for the user: the only module that touches pyperclip or OSC 52.

`auto` tries the system clipboard through pyperclip (xclip, xsel, wl-copy,
pbcopy...) and falls back to the terminal's OSC 52 escape when pyperclip has
no mechanism, which is the usual case over SSH. Over SSH, a system clipboard on
the remote machine is not the user's, so OSC 52 is sent as well. Whether a
terminal accepted an OSC 52 write cannot be detected; the message says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

METHODS = ("auto", "system", "osc52")
OSC52_SOFT_LIMIT = 100_000
"""Bytes of text above which some terminals (xterm, older tmux) drop OSC 52."""


@dataclass(frozen=True, slots=True)
class CopyResult:
    ok: bool
    method: str
    message: str


def _pyperclip_copy(text: str) -> None:
    import pyperclip  # imported on first copy: it probes for clipboard programs

    pyperclip.copy(text)


class Clipboard:
    """Copies text by the configured method and says how it went."""

    def __init__(
        self,
        osc52: Callable[[str], None] | None = None,
        method: str = "auto",
        system: Callable[[str], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.osc52 = osc52
        self.method = method if method in METHODS else "auto"
        self.system = system or _pyperclip_copy
        self.env = dict(os.environ) if env is None else env
        self.last_text: str | None = None

    @property
    def over_ssh(self) -> bool:
        return bool(self.env.get("SSH_CONNECTION") or self.env.get("SSH_TTY"))

    def _system(self, text: str) -> str | None:
        """Copy with pyperclip; the error text when it cannot."""
        try:
            self.system(text)
        except Exception as exc:  # pyperclip raises its own and OS errors alike
            return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None

    def _osc52(self, text: str) -> CopyResult:
        if self.osc52 is None:
            return CopyResult(False, "osc52", "no terminal to send the OSC 52 copy to")
        try:
            self.osc52(text)
        except Exception as exc:
            return CopyResult(False, "osc52", f"the terminal write failed: {exc}")
        note = ""
        if len(text.encode()) > OSC52_SOFT_LIMIT:
            note = " (large: some terminals refuse OSC 52 copies this big)"
        return CopyResult(True, "osc52", f"sent to the terminal clipboard (OSC 52){note}")

    def copy(self, text: str) -> CopyResult:
        self.last_text = text
        if self.method == "osc52":
            return self._osc52(text)
        error = self._system(text)
        if self.method == "system":
            if error:
                return CopyResult(False, "system", f"the system clipboard failed: {error}")
            return CopyResult(True, "system", "copied to the system clipboard")
        if error is None and not self.over_ssh:
            return CopyResult(True, "system", "copied to the system clipboard")
        result = self._osc52(text)
        if error is None:
            return CopyResult(True, "system+osc52", "copied (system clipboard and OSC 52)")
        return result
