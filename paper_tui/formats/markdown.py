"""Markdown reading logs and "awesome lists" in; a readable Markdown reading log out.

Reading walks markdown-it-py's token stream rather than matching the text, so
escapes, emphasis, nested lists and tables are understood the way a renderer
understands them. Three shapes hold papers:

* a list item or a table row with a link: the link is the paper, its text the
  title, and the text after it (past a separator such as " - " or ": ") the
  comment; the headings above it become tags;
* a heading with a link, as `export` writes it: everything under it up to the
  next heading of the same or a higher level is about that one paper;
* in that second shape, a first paragraph that is wholly emphasised is the
  metadata line, and a paragraph starting "Tags:" gives tags.

Writing escapes every character Markdown could read as markup, so that a title
or comment full of `*`, `_`, `[` or `#` comes back exactly as it was; the
metadata line is recognised by its emphasis, which an escaped comment never has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import Paper, normalize_arxiv_id, normalize_doi, normalize_tag, normalize_tags
from . import ParseResult

DOCUMENT_TITLE = "Reading log"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GENERIC_LINKS = _words(
    """paper pdf arxiv abs abstract link code github gitlab project page website web html doi
    openreview video slides blog demo poster supp supplementary bib bibtex official unofficial
    pytorch tensorflow jax huggingface hf model data dataset here 論文 コード 代码 论文"""
) | {"project page", "official code", "paper link"}
_SKIP_SECTIONS = _words(
    """contents table-of-contents toc license licence contributing contribute contributors
    acknowledgements acknowledgments citation citing star-history related-lists 目次"""
)
_COLUMNS: dict[str, frozenset[str]] = {
    "title": _words("title paper papers name 論文 タイトル 論文名 题目 论文"),
    "comment": _words(
        """comment comments note notes description summary remarks remark memo tldr tl;dr
        highlights コメント メモ 備考 感想 概要 要約 说明"""
    ),
    "year": _words("year 年 年度"),
    "venue": _words("venue conference conf journal published publication booktitle 会議 学会"),
    "authors": _words("authors author 著者"),
    "tags": _words("tags tag keywords topics topic タグ"),
}
_VENUE_NOTE = re.compile(r"^\s*[\[(]([^\[\]()\n]{0,60}?\b((?:19|20)\d{2})\b[^\[\]()\n]{0,20})[\])]")
_BARE_VENUE = re.compile(r"^[A-Za-z][\w '&.@-]{0,40}?\s*'?((?:19|20)\d{2})$")
_SEPARATORS = re.compile(r"^\s*(?:[-–—:|,~\])]+\s*)+")
_EMPTY_BRACKETS = re.compile(r"\[\s*[,|/]*\s*\]|\(\s*[,|/]*\s*\)")
_TAGS_LINE = re.compile(r"^tags\s*:", re.IGNORECASE)
_ENTITY = re.compile(r"&#?[A-Za-z0-9]+;")
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<>|~]|&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^(?:[#=+\-]|\d+(?=[.)]))")
_NEWLINES = re.compile(r"\r\n|\r|\n")


class _Reader(MarkdownIt):
    """CommonMark plus tables, keeping links exactly as written.

    markdown-it percent-encodes hrefs and drops "unsafe" ones for HTML output;
    an importer wants the URL the author typed. `text_join` is off so escaped
    characters stay separate tokens, which is how a comment line starting with
    an escaped "Tags:" is told from a real tags line.
    """

    def normalizeLink(self, url: str) -> str:  # markdown-it's method name
        return url

    def validateLink(self, url: str) -> bool:
        return True


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return _Reader("commonmark").enable("table").disable("text_join")


# ---------------------------------------------------------------- reading: inline helpers


def _link_end(tokens: Sequence[Token], start: int) -> int:
    """Index of the link_close that ends the link opened at `start`."""
    for j in range(start + 1, len(tokens)):
        if tokens[j].type == "link_close":
            return j
    return len(tokens) - 1


def _plain(tokens: Sequence[Token], *, images: bool = True, skip_generic: bool = False) -> str:
    """The text a reader sees, without markup; links become their text."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type in ("text", "text_special", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif tok.type == "image" and images:
            out.append(_plain(tok.children or []))
        elif tok.type == "link_open" and skip_generic:
            end = _link_end(tokens, i)
            if _is_generic(_plain(tokens[i + 1 : end])):
                i = end
        i += 1
    return "".join(out)


def _is_generic(text: str) -> bool:
    words = re.sub(r"[\W_]+", " ", text).strip().lower()
    return not words or words in _GENERIC_LINKS


def _qualifies(href: str, *, allow_empty: bool) -> bool:
    if not href:
        return allow_empty
    return href.lower().startswith(("http://", "https://"))


def _doi_of(href: str) -> str:
    from urllib.parse import unquote

    href = unquote(href.strip())
    href = re.sub(r"^https?://(?:dx\.)?doi\.org/", "https://doi.org/", href, flags=re.IGNORECASE)
    if not href.startswith("https://doi.org/") and not href.lower().startswith("doi:"):
        return ""
    return normalize_doi(href)


@dataclass(slots=True)
class _Found:
    """A paper link in one line of Markdown, and what surrounds it."""

    title: str
    href: str
    comment: str
    venue: str = ""
    year: int | None = None
    arxiv_id: str = ""
    doi: str = ""


def _clean_title(text: str) -> str:
    return " ".join(text.split()).strip(" [(-–—:|,")


def _clean_comment(text: str) -> str:
    for _ in range(3):
        text = _EMPTY_BRACKETS.sub("", text)
    text = _SEPARATORS.sub("", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _venue_note(text: str) -> tuple[str, int | None, str]:
    """`(CVPR 2022) rest` -> ("CVPR 2022", 2022, "rest"); an arXiv note gives only a year."""
    found = _VENUE_NOTE.match(text)
    if not found:
        return "", None, text
    inner = " ".join(found.group(1).split())
    year = int(found.group(2))
    venue = "" if inner.lower().startswith("arxiv") else inner
    return venue, year, text[found.end() :]


def _links(children: Sequence[Token]) -> list[tuple[int, int, str, str, bool]]:
    """(start, end, href, text, has_image) for every link in an inline run."""
    out = []
    for i, tok in enumerate(children):
        if tok.type == "link_open":
            end = _link_end(children, i)
            inner = children[i + 1 : end]
            image = any(t.type == "image" for t in inner)
            out.append((i, end, str(tok.attrs.get("href", "")), _plain(inner, images=False), image))
    return out


def _find_paper(children: Sequence[Token], *, heading: bool) -> _Found | None:
    """The paper in one inline run: its first real link, or None when there is none.

    Image-only links (badges) and, outside headings, links whose text is only
    "code" or "pdf" with nothing before them name no paper.
    """
    links = _links(children)
    usable = [ln for ln in links if _qualifies(ln[2], allow_empty=heading)]
    titled = [ln for ln in usable if ln[3].strip()]
    if not titled:
        if usable and not any(ln[4] for ln in usable):
            return _Found("", usable[0][2], "")  # `[](url)`: a paper without a title
        return None
    start, end, href, text, _ = titled[0]
    prefix = _plain(children[:start])
    if _is_generic(text) and _clean_title(prefix):
        title, prefix = _clean_title(prefix), ""
    elif _is_generic(text) and not heading:
        return None
    else:
        title = one_line(text)
    venue, year = "", None
    bare = _SEPARATORS.sub("", prefix).strip(" *")
    bare_venue = _BARE_VENUE.match(bare)
    if bare_venue:
        venue, year = bare, int(bare_venue.group(1))
    else:
        venue, year, _ = _venue_note(bare)
    comment = _plain(children[end + 1 :], skip_generic=True)
    venue_after, year_after, rest = _venue_note(comment)
    if year_after is not None:
        venue, year, comment = venue or venue_after, year or year_after, rest
    return _Found(
        title,
        href,
        _clean_comment(comment),
        venue,
        year,
        next((a for a in (normalize_arxiv_id(ln[2]) for ln in links) if a), ""),
        next((d for d in (_doi_of(ln[2]) for ln in links) if d), ""),
    )


# ---------------------------------------------------------------- reading: the walk


@dataclass(slots=True)
class _Draft:
    line: int
    title: str
    url: str = ""
    arxiv_id: str = ""
    doi: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str = ""
    tags: list[str] = field(default_factory=list)
    comment: list[str] = field(default_factory=list)
    stage: int = 0  # under a paper heading: 0 metadata may follow, 1 tags may, 2 comment only

    def paper(self, joiner: str) -> Paper:
        return Paper(
            key="",
            title=self.title,
            authors=self.authors,
            year=self.year,
            arxiv_id=self.arxiv_id,
            venue=self.venue,
            doi=self.doi,
            url=self.url,
            tags=normalize_tags(self.tags),
            comment=joiner.join(c for c in self.comment if c),
        )


@dataclass(slots=True)
class _Frame:
    """An open list item and the paper it holds, if it holds one."""

    draft: _Draft | None


def _heading_tag(text: str) -> str:
    text = re.sub(r"^\s*\d+(?:\.\d+)*\.?\s+", "", text)
    text = "".join(ch if ch.isalnum() or ch in "-_+." else " " for ch in text)
    return normalize_tag(text)


def _is_meta(children: Sequence[Token]) -> bool:
    """A paragraph that is emphasised as a whole: the exported metadata line."""
    if len(children) < 3 or children[0].type != "em_open" or children[-1].type != "em_close":
        return False
    depth = 0
    for tok in children[:-1]:
        depth += {"em_open": 1, "em_close": -1}.get(tok.type, 0)
        if depth == 0:
            return False
    return True


def _apply_meta(draft: _Draft, children: Sequence[Token]) -> None:
    parts: list[tuple[str, str]] = []
    buf: list[Token] = []
    inner = children[1:-1]
    i = 0
    while i < len(inner):
        tok = inner[i]
        if tok.type == "strong_open":
            parts.append(("plain", _plain(buf)))
            buf = []
            end = next(
                (j for j in range(i + 1, len(inner)) if inner[j].type == "strong_close"),
                len(inner),
            )
            parts.append(("venue", _plain(inner[i + 1 : end])))
            i = end + 1
            continue
        buf.append(tok)
        i += 1
    parts.append(("plain", _plain(buf)))
    for kind, text in parts:
        if kind == "venue":
            draft.venue = " ".join(text.split())
            continue
        for piece in (" ".join(p.split()) for p in text.split(" · ")):
            piece = piece.strip(" ·")
            if not piece:
                continue
            if re.fullmatch(r"\d{4}", piece) and draft.year is None:
                draft.year = int(piece)
            elif piece.lower().startswith("arxiv:"):
                draft.arxiv_id = normalize_arxiv_id(piece) or draft.arxiv_id
            elif piece.lower().startswith("doi:"):
                draft.doi = normalize_doi(piece[4:].strip()) or draft.doi
            elif not draft.authors:
                draft.authors = [a.strip() for a in piece.split(", ") if a.strip()]
            elif not draft.venue:
                draft.venue = piece


def _tags_of(children: Sequence[Token]) -> list[str] | None:
    """The tags of a "Tags: #a #b" paragraph, or None when it is not one."""
    if not children or children[0].type != "text" or not _TAGS_LINE.match(children[0].content):
        return None
    text = _TAGS_LINE.sub("", _plain(children), count=1)
    return [t.lstrip("#") for t in re.split(r"[\s,]+", text) if t.lstrip("#")]


class _Walk:
    """One pass over the token stream, keeping the headings above and the open list items."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.result = ParseResult()
        self.sections: list[tuple[int, str, bool]] = []  # (level, tag, skipped section)
        self.region: _Draft | None = None
        self.region_level = 0
        self.frames: list[_Frame] = []
        self.consumed = -1
        self.entry = 0
        self.items: list[tuple[_Draft, str]] = []
        self.title_heading = self._document_title()

    def _document_title(self) -> int:
        """Index of the single top heading that names the document, or -1."""
        heads = [i for i, t in enumerate(self.tokens) if t.type == "heading_open"]
        h1 = [i for i in heads if self.tokens[i].tag == "h1"]
        if len(h1) == 1 and heads[0] == h1[0]:
            return h1[0]
        return -1

    def _section_tags(self) -> list[str]:
        return [tag for _, tag, _ in self.sections if tag]

    def _skipping(self) -> bool:
        return any(skip for _, _, skip in self.sections)

    def _line(self, tok: Token) -> int:
        return tok.map[0] + 1 if tok.map else 0

    def _start(self, found: _Found, line: int, joiner: str) -> _Draft | None:
        self.entry += 1
        if not found.title:
            self.result.problems.append(
                f"entry {self.entry} (line {line}): a link without a title, skipped"
            )
            return None
        draft = _Draft(
            line=line,
            title=found.title,
            url=found.href,
            arxiv_id=found.arxiv_id,
            doi=found.doi,
            year=found.year,
            venue=found.venue,
            tags=self._section_tags(),
            comment=[found.comment] if found.comment else [],
        )
        self.items.append((draft, joiner))
        return draft

    def run(self) -> ParseResult:
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.type == "heading_open":
                i = self._heading(i)
                continue
            if tok.type == "list_item_open":
                self._list_item(i)
            elif tok.type == "list_item_close" and self.frames:
                self.frames.pop()
            elif tok.type == "table_open" and self.region is None:
                i = self._table(i)
                continue
            elif tok.type == "inline" and i != self.consumed:
                self._inline(tok)
            i += 1
        self.result.papers = [draft.paper(joiner) for draft, joiner in self.items]
        return self.result

    def _heading(self, i: int) -> int:
        tok = self.tokens[i]
        level = int(tok.tag[1:])
        inline = self.tokens[i + 1]
        children = inline.children or []
        after = i + 3
        if self.region is not None and level <= self.region_level:
            self.region = None
        if self.region is not None:
            text = _plain(children).strip()
            if text:
                self.region.comment.append(text)
            self.region.stage = 2
            return after
        while self.sections and self.sections[-1][0] >= level:
            self.sections.pop()
        is_title = i == self.title_heading  # a README's linked title names no paper
        found = None if is_title or self._skipping() else _find_paper(children, heading=True)
        if found is not None:
            draft = self._start(found, self._line(tok), "\n\n")
            if draft is not None:
                self.region, self.region_level = draft, level
            return after
        text = _plain(children)
        tag = "" if is_title else _heading_tag(text)
        self.sections.append((level, tag, _heading_tag(text) in _SKIP_SECTIONS))
        return after

    def _list_item(self, i: int) -> None:
        frame = _Frame(None)
        self.frames.append(frame)
        tokens = self.tokens
        if self.region is not None or self._skipping():
            return
        if i + 2 >= len(tokens) or tokens[i + 1].type != "paragraph_open":
            return
        inline = tokens[i + 2]
        found = _find_paper(inline.children or [], heading=False)
        if found is None:
            return
        self.consumed = i + 2
        frame.draft = self._start(found, self._line(tokens[i]), "\n")

    def _inline(self, tok: Token) -> None:
        children = tok.children or []
        if self.region is not None:
            draft = self.region
            if draft.stage == 0 and _is_meta(children):
                _apply_meta(draft, children)
                draft.stage = 1
                return
            tags = _tags_of(children) if draft.stage <= 1 else None
            if tags is not None:
                draft.tags.extend(tags)
                draft.stage = 2
                return
            draft.stage = 2
            text = "\n".join(line.strip() for line in _plain(children).strip().split("\n"))
            if text:
                draft.comment.append(text)
            return
        owner = next((f.draft for f in reversed(self.frames) if f.draft is not None), None)
        if owner is not None:
            text = _clean_comment(_plain(children, skip_generic=True))
            if text:
                owner.comment.append(text)

    # ------------------------------------------------------------ tables

    def _table(self, i: int) -> int:
        tokens = self.tokens
        header: list[str] = []
        rows: list[tuple[int, list[list[Token]]]] = []
        in_head = False
        j = i + 1
        while j < len(tokens) and tokens[j].type != "table_close":
            tok = tokens[j]
            if tok.type == "thead_open":
                in_head = True
            elif tok.type == "thead_close":
                in_head = False
            elif tok.type == "tr_open" and not in_head:
                rows.append((self._line(tok), []))
            elif tok.type in ("th_open", "td_open"):
                inline = tokens[j + 1] if tokens[j + 1].type == "inline" else None
                cell = (inline.children or []) if inline is not None else []
                if in_head:
                    header.append(re.sub(r"[\W_]+", " ", _plain(cell)).strip().lower())
                elif rows:
                    rows[-1][1].append(list(cell))
            j += 1
        if not self._skipping():
            roles = self._roles(header)
            for line, cells in rows:
                self._row(line, cells, roles)
        return j + 1

    @staticmethod
    def _roles(header: list[str]) -> dict[str, int]:
        roles: dict[str, int] = {}
        for col, name in enumerate(header):
            for role, names in _COLUMNS.items():
                if role not in roles and (name in names or name.replace(" ", "") in names):
                    roles[role] = col
        return roles

    def _row(self, line: int, cells: list[list[Token]], roles: dict[str, int]) -> None:
        def cell(role: str) -> list[Token]:
            col = roles.get(role, -1)
            return cells[col] if 0 <= col < len(cells) else []

        hrefs = [ln[2] for c in cells for ln in _links(c) if _qualifies(ln[2], allow_empty=False)]
        title_col = roles.get("title", -1)
        found = _find_paper(cell("title"), heading=False) if title_col >= 0 else None
        if found is None and title_col < 0:
            found = next(
                (f for f in (_find_paper(c, heading=False) for c in cells) if f is not None), None
            )
        if found is None or not found.title:
            if not hrefs and title_col < 0:
                return
            free = [
                _clean_title(_plain(c, skip_generic=True))
                for k, c in enumerate(cells)
                if k == title_col or k not in roles.values()
            ]
            title = next((t for t in free if t), "")
            if not title:
                return
            found = _Found(title, hrefs[0] if hrefs else "", found.comment if found else "")
        found.arxiv_id = found.arxiv_id or next(
            (a for a in map(normalize_arxiv_id, hrefs) if a), ""
        )
        found.doi = found.doi or next((d for d in map(_doi_of, hrefs) if d), "")
        draft = self._start(found, line, "\n")
        if draft is None:
            return
        comment = _clean_comment(_plain(cell("comment"), skip_generic=True))
        if comment:
            draft.comment.append(comment)
        year = re.search(r"\b(\d{4})\b", _plain(cell("year")))
        if year:
            draft.year = int(year.group(1))
        venue = one_line(_plain(cell("venue")))
        if venue:
            draft.venue = venue
            if draft.year is None:
                venue_year = re.search(r"\b((?:19|20)\d{2})\b", venue)
                draft.year = int(venue_year.group(1)) if venue_year else None
        authors = _plain(cell("authors"))
        if authors.strip():
            parts = re.split(r",|;|、|\band\b", authors)
            draft.authors = [one_line(a) for a in parts if a.strip()]
        draft.tags.extend(re.split(r"[\s,#]+", _plain(cell("tags"))))


def parse(text: str) -> ParseResult:
    """Papers from list items, table rows and linked headings; headings above give tags."""
    return _Walk(_parser().parse(text)).run()


# ---------------------------------------------------------------- writing


def _escape(text: str) -> str:
    """Backslash-escape what Markdown would read as markup inside a line."""
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _escape_line(line: str) -> str:
    """As `_escape`, plus what would start a heading, list, or setext underline."""
    line = _escape(line)
    found = _LINE_START.match(line)
    if found is None:
        return line
    if found.group(0).isdigit():
        end = found.end()
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def _destination(url: str) -> str:
    """A link destination that markdown-it reads back as exactly `url`."""
    url = one_line(url)
    pointy = any(ch in url for ch in " <>")
    special = "\\<>" if pointy else "\\<>()"
    out = []
    for i, ch in enumerate(url):
        if ch in special or (ch == "&" and _ENTITY.match(url, i)):
            out.append("\\")
        out.append(ch)
    return f"<{''.join(out)}>" if pointy else "".join(out)


def one_line(text: str) -> str:
    """How a title, name or venue is written: whitespace runs and line breaks become a space."""
    return " ".join(text.split())


def normalize_comment(text: str) -> str:
    """How a comment is written: lines trimmed, blank-line runs become one paragraph break.

    Markdown cannot keep a line's leading or trailing spaces or several blank
    lines in a row; what is left round-trips exactly.
    """
    paragraphs: list[list[str]] = [[]]
    for line in _NEWLINES.split(text):
        line = line.strip()
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p)


def _meta_line(paper: Paper) -> str:
    parts: list[str] = []
    authors = [one_line(a) for a in paper.authors if one_line(a)]
    if authors:
        parts.append(_escape(", ".join(authors)))
    if paper.year is not None:
        parts.append(str(paper.year))
    if one_line(paper.venue):
        parts.append(f"**{_escape(one_line(paper.venue))}**")
    if paper.arxiv_id:
        parts.append(f"arXiv:{_escape(paper.arxiv_id)}")
    if paper.doi:
        parts.append(f"doi:{_escape(paper.doi)}")
    return f"_{' · '.join(parts)}_" if parts else ""


def _comment_block(comment: str) -> str:
    """The comment's paragraphs, escaped; a leading "Tags:" gets its colon escaped.

    The escaped colon splits the first text token, which is how the reader
    tells a comment that happens to start with "Tags:" from the tags line.
    """
    paragraphs = []
    for n, para in enumerate(normalize_comment(comment).split("\n\n")):
        lines = [_escape_line(line) for line in para.split("\n") if line]
        head = _TAGS_LINE.match(lines[0]) if n == 0 and lines else None
        if head is not None:
            colon = head.end() - 1
            lines[0] = lines[0][:colon] + "\\" + lines[0][colon:]
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def export(papers: list[Paper]) -> str:
    """A reading log to read on GitHub or in an editor, and to import back losslessly.

    Each paper is a level-2 heading linking its title, an emphasised metadata
    line (authors · year · **venue** · arXiv id · DOI), a `Tags:` line and the
    comment. Status, stars and dates are not written; JSON keeps everything.
    """
    out = [f"# {DOCUMENT_TITLE}"]
    for paper in papers:
        title = _escape(one_line(paper.title)) or "untitled"
        out.append(f"## [{title}]({_destination(paper.link)})")
        meta = _meta_line(paper)
        if meta:
            out.append(meta)
        tags = normalize_tags(paper.tags)
        if tags:
            out.append("Tags: " + " ".join("#" + _escape(t) for t in tags))
        comment = _comment_block(paper.comment)
        if comment:
            out.append(comment)
    return "\n\n".join(out) + "\n"
