"""BibTeX in with bibtexparser v2, out with `cite.cite` (the one BibTeX writer we have).

LaTeX is decoded with pylatexenc only in the fields people read (title,
authors, venue, publisher, notes): URLs, DOIs and ids are taken as written,
because a `%` or `_` in a URL is not LaTeX and decoding would mangle it.
`$...$` math in a title is kept, as the log stores it that way (`S$^2$-MLP`).

Entries bibtexparser cannot parse, and entries without a title, become
`problems`; they never stop the rest of the file from importing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import lru_cache

from ..cite import VENUES, cite
from ..model import (
    Paper,
    ValidationError,
    normalize_arxiv_id,
    normalize_doi,
    normalize_tags,
    validate_key,
)
from . import ParseResult

_TYPES = {
    "article": "article",
    "inproceedings": "inproceedings",
    "conference": "inproceedings",
    "incollection": "incollection",
    "inbook": "incollection",
}
_NOTE_FIELDS = ("note", "annote", "annotation", "comment", "comments")
_LATEX = re.compile(r"[\\{}$~]|--|``|''")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_URL_ESCAPES = re.compile(r"\\([_%&#$~])")
_URL_MACRO = re.compile(r"^\\(?:url|href)\{([^{}]*)\}")
_YEAR = re.compile(r"\b(\d{4})\b")
_ARXIV_JOURNAL = re.compile(r"^\s*(?:arxiv\b|corr\s*$|corr\b.*abs/)", re.IGNORECASE)
# cite.booktitle expands short venue names; reading them back gives `NeurIPS 2021` again.
_SHORT_VENUES = {long: short for short, long in reversed(list(VENUES.items()))}


@lru_cache(maxsize=1)
def _decoder() -> Callable[[str], str]:
    """pylatexenc set up as bibtexparser's LaTeX-decoding middleware sets it up, plus `^`."""
    from pylatexenc.latex2text import (
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )

    db = get_default_latex_context_db()
    db.add_context_category(
        "paper-tui",
        prepend=True,
        macros=[
            MacroTextSpec("url", simplify_repl="%s"),
            MacroTextSpec("textasciicircum", simplify_repl="^"),
            MacroTextSpec("textasciitilde", simplify_repl="~"),
        ],
    )
    converter = LatexNodes2Text(latex_context=db, math_mode="verbatim", keep_braced_groups=False)

    def decode(text: str) -> str:
        return str(converter.latex_to_text(text))

    return decode


def decode_latex(text: str, *, keep_lines: bool = False) -> str:
    """LaTeX as plain Unicode: `Sch{\\"o}n` -> `Schön`, `{BERT}` -> `BERT`, math kept.

    A bare `%` is meant literally in a .bib field (BibTeX does not treat it as a
    comment), so it is escaped first rather than let pylatexenc drop the rest.
    """
    if _LATEX.search(text):
        escaped = _UNESCAPED_PERCENT.sub(r"\\%", text)
        with contextlib.suppress(Exception):  # pylatexenc fails many ways; keep it as written
            text = _decoder()(escaped)
        text = text.replace("\xa0", " ")
    if keep_lines:
        paragraphs = re.split(r"\n\s*\n", text.strip())
        return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return " ".join(text.split())


def _raw_url(text: str) -> str:
    text = text.strip()
    found = _URL_MACRO.match(text)
    if found:
        text = found.group(1)
    return _URL_ESCAPES.sub(r"\1", text).strip()


def _person(name: str) -> str:
    """One BibTeX name (`von Last, Jr, First` or `First von Last`) as `First von Last Jr`."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    try:
        parts = parse_single_name_into_parts(name, strict=False)
        merged = str(parts.merge_first_name_first)
    except Exception:  # an odd name is imported as written rather than lost
        merged = name
    return decode_latex(merged)


def _authors(value: str) -> list[str]:
    from bibtexparser.middlewares.names import split_multiple_persons_names

    try:
        names = [str(n) for n in split_multiple_persons_names(value)]
    except Exception:
        names = re.split(r"\s+and\s+", value)
    out = []
    for name in names:
        if name.strip() in ("others", "et al.", "et al"):  # BibTeX's "and others"
            continue
        person = _person(name)
        if person:
            out.append(person)
    return out


def _venue(fields: dict[str, str], kind: str, year: int | None) -> tuple[str, bool]:
    """(venue, is_arxiv_preprint): a known proceedings title goes back to `NeurIPS 2021`."""
    raw = fields.get("booktitle") or fields.get("journal") or ""
    if not raw and kind == "misc":
        how = fields.get("howpublished", "")
        if how and not _URL_MACRO.match(how.strip()) and "://" not in how:
            raw = how
    if not raw:
        return "", False
    if _ARXIV_JOURNAL.match(raw):
        return "", True
    venue = decode_latex(raw)
    short = _SHORT_VENUES.get(venue)
    if short:
        return f"{short} {year}" if year else short, False
    return venue, False


def _arxiv(fields: dict[str, str]) -> str:
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    candidates = []
    if prefix == "arxiv":
        candidates.append(fields.get("eprint", ""))
    candidates += [
        fields.get("arxivid", ""),
        fields.get("arxiv", ""),
        fields.get("journal", ""),
        fields.get("volume", "") if fields.get("journal", "").strip().lower() == "corr" else "",
        _raw_url(fields.get("url", "")),
        fields.get("howpublished", ""),
        fields.get("note", ""),
    ]
    for text in candidates:
        if text:
            text = text.replace("abs/", "arxiv.org/abs/", 1) if text.startswith("abs/") else text
            found = normalize_arxiv_id(text)
            if found:
                return found
    return ""


def _year(value: str) -> int | None:
    found = _YEAR.search(value)
    return int(found.group(1)) if found else None


def _entry_paper(
    key: str, entry_type: str, raw_fields: dict[str, str], where: str, problems: list[str]
) -> Paper | None:
    fields = {k.lower(): v for k, v in raw_fields.items() if isinstance(v, str)}
    title = decode_latex(fields.get("title", ""))
    if not title:
        problems.append(f"{where}: no title, skipped")
        return None
    kind = _TYPES.get(entry_type.lower(), "misc")
    year = _year(fields.get("year", ""))
    if fields.get("year", "").strip() and year is None:
        problems.append(f"{where}: year {fields['year'].strip()!r} is not a number, left out")
    venue, preprint = _venue(fields, kind, year)
    if preprint and kind == "article":
        kind = "misc"
    raw_doi = _raw_url(fields.get("doi", ""))
    doi = normalize_doi(raw_doi.replace("http://dx.doi.org/", "https://doi.org/"))
    if raw_doi and not doi:
        problems.append(f"{where}: DOI {raw_doi!r} not understood, left out")
    try:
        paper_key = validate_key(key)
    except ValidationError:
        paper_key = ""
    notes = [decode_latex(fields[f], keep_lines=True) for f in _NOTE_FIELDS if fields.get(f)]
    volume = fields.get("volume", "")
    if fields.get("journal", "").strip().lower() == "corr" and volume.startswith("abs/"):
        volume = ""
    return Paper(
        key=paper_key,
        title=title,
        authors=_authors(fields.get("author", "")),
        year=year,
        arxiv_id=_arxiv(fields),
        primary_class=fields.get("primaryclass", "").strip(),
        entry_type=kind,
        venue=venue,
        volume=decode_latex(volume),
        pages=re.sub(r"\s*-+\s*", "-", fields.get("pages", "").strip()),
        doi=doi,
        publisher=decode_latex(
            fields.get("publisher") or fields.get("institution") or fields.get("school") or ""
        ),
        url=_raw_url(fields.get("url", "")),
        tags=normalize_tags(re.split(r"[,;]", decode_latex(fields.get("keywords", "")))),
        comment="\n\n".join(n for n in notes if n),
    )


def _first_line(error: Exception) -> str:
    reason = getattr(error, "abort_reason", None) or getattr(error, "message", None)
    text = str(reason or error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".:")


def parse(text: str) -> ParseResult:
    """Every entry of a .bib file as a paper; strings, preambles and comments are ignored."""
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    library = parse_string(text)
    result = ParseResult()
    number = 0
    for block in library.blocks:
        if not isinstance(block, Entry | ParsingFailedBlock):
            continue
        number += 1
        line = (block.start_line or 0) + 1
        where = f"entry {number} (line {line})"
        if isinstance(block, DuplicateBlockKeyBlock):
            duplicate = block.ignore_error_block
            if isinstance(duplicate, Entry):
                result.problems.append(
                    f"{where}: the key {block.key!r} is used twice; imported with a new key"
                )
                paper = _entry_paper(
                    "", duplicate.entry_type, _values(duplicate), where, result.problems
                )
                if paper is not None:
                    result.papers.append(paper)
                continue
        if isinstance(block, ParsingFailedBlock):
            reason = _first_line(block.error)
            result.problems.append(f"{where}: could not be parsed ({reason}), skipped")
            continue
        paper = _entry_paper(block.key, block.entry_type, _values(block), where, result.problems)
        if paper is not None:
            result.papers.append(paper)
    return result


def _values(entry: object) -> dict[str, str]:
    fields = getattr(entry, "fields", [])
    return {f.key: f.value for f in fields if isinstance(f.value, str)}


def export(papers: list[Paper]) -> str:
    """BibTeX entries written by `cite.bibtex`, with tags and comments kept."""
    return cite(papers, "bibtex", full=True)
