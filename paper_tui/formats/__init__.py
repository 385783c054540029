"""Reading logs in and out of other files: the seed's plain text, Markdown, BibTeX, JSON.

Pure and UI-free: the screens call `read_file` and `export` and show `problems`
to the user. Bad input never raises anything but `FormatError`, whose message
names the file and says what to do, so a caller needs one `except`.

The format modules are imported on first use: bibtexparser and markdown-it cost
start-up time that most sessions of the app never need.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Paper

FORMATS = ("text", "markdown", "bibtex", "json")
"""The formats `parse` and `export` accept, in the order a menu shows them."""

MAX_BYTES = 200 * 1024 * 1024
"""Larger files are refused: a reading log that big is a mistake, not a log."""

_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".json": "json",
}
_SNIFF_BYTES = 64 * 1024
_BIB_ENTRY = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
_MD_HINT = re.compile(
    r"^\s{0,3}(?:#{1,6}\s|[-*+]\s+\[|\d+[.)]\s+\[|\|)|\]\([^)\s]+\)", re.MULTILINE
)


class FormatError(ValueError):
    """A file that cannot be imported at all; the message is for the user."""


@dataclass(slots=True)
class ParseResult:
    """What a file held: the papers, what was wrong with single entries, and a header.

    `final_newline` records whether the text ended with a newline so that the
    plain-text format can write the file back byte for byte.
    """

    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    header: str = ""
    final_newline: bool = True


def _check_format(fmt: str, *, allow_auto: bool) -> None:
    if fmt in FORMATS or (allow_auto and fmt == "auto"):
        return
    choices = ", ".join(FORMATS)
    raise FormatError(f"unknown format {fmt!r}: use one of {choices}.")


def detect_format(path: Path, head: bytes) -> str:
    """The format of a file: by its extension, else by a look at its first bytes.

    Sniffing only guesses between the formats that look different in their
    first lines; anything without JSON, BibTeX or Markdown marks is plain text.
    """
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext:
        return by_ext
    text = head[:_SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{") or re.match(r"\[\s*(?:\{|\]|$)", text):
        return "json"
    if _BIB_ENTRY.search(text):
        return "bibtex"
    if _MD_HINT.search(text):
        return "markdown"
    return "text"


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM) or a FormatError that says where it went wrong."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FormatError(f"{name} is UTF-16 text; save it as UTF-8 and import it again.")
    if b"\x00" in raw:
        raise FormatError(
            f"{name} is a binary file, not text; choose a text, Markdown, BibTeX or JSON file."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise FormatError(
            f"{name} is not UTF-8 text (byte 0x{byte} on line {line}); it may be Latin-1 "
            "or Shift_JIS. Save it as UTF-8 and import it again."
        ) from None


def read_file(path: Path, fmt: str = "auto") -> ParseResult:
    """Read, decode and parse one file; every failure is a FormatError naming it."""
    _check_format(fmt, allow_auto=True)
    name = str(path)
    try:
        if path.is_dir():
            raise FormatError(f"{name} is a folder, not a file.")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FormatError(
                f"{name} is {size / 1024 / 1024:.0f} MB; files over "
                f"{MAX_BYTES // 1024 // 1024} MB are not imported."
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{name} does not exist.") from None
    except PermissionError:
        raise FormatError(f"{name} cannot be read: permission denied.") from None
    except OSError as exc:
        raise FormatError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if len(raw) > MAX_BYTES:  # the file grew between stat and read
        raise FormatError(f"{name} is over {MAX_BYTES // 1024 // 1024} MB; not imported.")
    text = _decode(raw, name)
    if fmt == "auto":
        fmt = detect_format(path, raw[:_SNIFF_BYTES])
    try:
        return parse(text, fmt)
    except FormatError as exc:
        raise FormatError(f"{name}: {exc}") from None


def _parser(fmt: str) -> Callable[[str], ParseResult]:
    if fmt == "text":
        from . import text

        return text.parse
    if fmt == "markdown":
        from . import markdown

        return markdown.parse
    if fmt == "bibtex":
        from . import bibtex

        return bibtex.parse
    from . import jsonfmt

    return jsonfmt.parse


def parse(text: str, fmt: str) -> ParseResult:
    """Papers from text already decoded; `fmt` is one of FORMATS (not "auto")."""
    _check_format(fmt, allow_auto=False)
    text = text.removeprefix("\ufeff")
    parser = _parser(fmt)
    try:
        return parser(text)
    except FormatError:
        raise
    except RecursionError:
        raise FormatError(f"the {fmt} is nested too deeply to read.") from None
    except Exception as exc:  # a library's internal failure on odd input is still bad input
        raise FormatError(f"could not be read as {fmt}: {exc}") from None


def export(papers: list[Paper], fmt: str, *, header: str = "", final_newline: bool = True) -> str:
    """The papers as a file's text. `header` and `final_newline` apply to "text" only."""
    _check_format(fmt, allow_auto=False)
    if fmt == "text":
        from . import text

        return text.export(papers, header=header, final_newline=final_newline)
    if fmt == "markdown":
        from . import markdown

        return markdown.export(papers)
    if fmt == "bibtex":
        from . import bibtex

        return bibtex.export(papers)
    from . import jsonfmt

    return jsonfmt.export(papers)


__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "FormatError",
    "ParseResult",
    "detect_format",
    "export",
    "parse",
    "read_file",
]
