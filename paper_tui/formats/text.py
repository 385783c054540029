"""The plain-text log the user kept before paper-tui: a header line, then title/comment pairs.

The layout has no markers, so pairing is by position among the non-empty
lines; an odd count means the first line is a header (the seed's Japanese
introduction). Blank lines are ignored, which lets people space pairs out.

Limits of the format, by design of the original file rather than by choice:

* one line per comment: `export` joins a multi-line comment's lines with a
  space, so a comment with line breaks comes back as one line;
* an empty comment would be an empty line, which pairing cannot see, so it is
  written as "-" and a comment line of just "-" reads back as empty;
* only title and comment survive: authors, tags, links and the rest are not
  written (use Markdown, BibTeX or JSON to keep them).
"""

from __future__ import annotations

import re

from ..model import Paper, normalize_arxiv_id
from . import ParseResult

EMPTY_COMMENT = "-"
"""What an empty comment is written as, so that the title/comment pairing survives."""

_LONG_TITLE = 300
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _arxiv_in(text: str) -> str:
    """An arXiv id quoted in a line (`arxiv.org/abs/...`, `arXiv:...`), if any."""
    if "arxiv" not in text.lower():
        return ""
    return normalize_arxiv_id(text)


def parse(text: str) -> ParseResult:
    """Title/comment pairs, with the header line kept apart for a faithful export."""
    text = text.removeprefix("\ufeff")
    result = ParseResult(final_newline=text.endswith(("\n", "\r")))
    numbered = [
        (n, line.strip()) for n, line in enumerate(_NEWLINE.split(text), start=1) if line.strip()
    ]
    if len(numbered) % 2 == 1:
        result.header = numbered.pop(0)[1]
    for i in range(0, len(numbered), 2):
        line_no, title = numbered[i]
        comment = numbered[i + 1][1]
        entry = i // 2 + 1
        if comment == EMPTY_COMMENT:
            comment = ""
        if len(title) > _LONG_TITLE:
            result.problems.append(
                f"entry {entry} (line {line_no}): the title is {len(title)} characters long; "
                "check that every title has exactly one comment line after it"
            )
        result.papers.append(
            Paper(
                key="",
                title=" ".join(title.split()),
                comment=comment,
                arxiv_id=_arxiv_in(comment) or _arxiv_in(title),
            )
        )
    return result


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in _NEWLINE.split(text) if line.strip())


def export(papers: list[Paper], *, header: str = "", final_newline: bool = True) -> str:
    """The header (if any), then each paper's title line and comment line.

    A multi-line comment is joined into one line with spaces: the format pairs
    lines by position and cannot hold a line break inside a comment.
    """
    lines: list[str] = []
    if _one_line(header):
        lines.append(_one_line(header))
    for paper in papers:
        lines.append(_one_line(paper.title) or "untitled")
        lines.append(_one_line(paper.comment) or EMPTY_COMMENT)
    if not lines:
        return ""
    return "\n".join(lines) + ("\n" if final_newline else "")
