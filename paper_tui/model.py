"""The paper record and its rules: keys, tags, identifiers, validation.

Pure Python: no Textual, no TinyDB, no file system. Everything else (the store,
the screens, the command line, the importers) speaks in `Paper` objects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

FILLABLE_FIELDS = (
    "arxiv_id",
    "primary_class",
    "entry_type",
    "venue",
    "volume",
    "pages",
    "doi",
    "publisher",
    "url",
)
"""Bibliographic fields that an import or a fetch may fill in when they are empty."""

SCHEMA_VERSION = 1
"""Version of the on-disk record layout; bumped when a migration is needed."""

STATUSES = ("unread", "skimmed", "read")
ENTRY_TYPES = ("misc", "article", "inproceedings", "incollection")

_NEW_ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_ARXIV = re.compile(r"^[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}$")
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:\s*)"
    r"(\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_TAG_BAD = re.compile(r"[\s,#]+")
_KEY_OK = re.compile(r"^[A-Za-z0-9_:\-.+/]+$")
_STOPWORDS = frozenset("a an the on of in for to and with from by at as via".split())
_NAME_PARTICLES = frozenset("van von de der den da di du del della le la dos das ter ten".split())
_LATEX_BITS = re.compile(r"[\\{}$^_]")


class ValidationError(ValueError):
    """A record or a field that cannot be accepted; the message is for the user."""


@dataclass(slots=True)
class Paper:
    """One entry of the reading log.

    `key` is the identity: it is stable across saves, reloads and undo, and it
    only changes when the user renames it. Fields this version does not know
    (written by a newer paper-tui or by hand) ride along in `extra` and are
    written back untouched.

    A paper's `authors` and `tags` lists may be the very lists of the stored
    document it was read from (see `from_dict`): give a paper new lists
    (`paper.tags = [...]`, or `copy()`, which copies them), never change them in
    place (`paper.tags.append(...)`), or the store's copy changes with them.
    """

    key: str
    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    arxiv_id: str = ""
    primary_class: str = ""
    entry_type: str = ""
    venue: str = ""
    volume: str = ""
    pages: str = ""
    doi: str = ""
    publisher: str = ""
    url: str = ""
    tags: list[str] = field(default_factory=list)
    comment: str = ""
    status: str = "skimmed"
    starred: bool = False
    added: str = ""
    edited: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def link(self) -> str:
        """The best address for the paper: its URL, else arXiv, else the DOI."""
        if self.url:
            return self.url
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""

    @property
    def kind(self) -> str:
        """The BibTeX entry type, derived when the record does not say."""
        if self.entry_type:
            return self.entry_type
        return "inproceedings" if self.venue else "misc"

    def to_dict(self) -> dict[str, Any]:
        """The on-disk form: a fixed key order so the file diffs well in git."""
        out: dict[str, Any] = {}
        for name in _FIELD_NAMES:
            value = getattr(self, name)
            if isinstance(value, list):
                value = list(value)
            out[name] = value
        for k, v in self.extra.items():
            if k not in out:
                out[k] = v
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Paper:
        """Build a paper from its stored form; raise ValidationError on bad shapes.

        Loading a large log calls this once per paper, so a document as the
        store writes it (a dict of exactly the known fields, each of the right
        type: what `to_dict` makes) is checked with a few C-level operations and
        built directly, keeping its `authors` and `tags` lists rather than
        copying them (see the class docstring). Anything else takes the careful
        path below, which coerces what it can and words the errors, so a
        document gives the same paper (or the same error) either way.
        """
        if type(data) is dict and len(data) == _FIELD_COUNT:
            try:
                values = _ALL_FIELDS(data)  # KeyError unless the keys are exactly the fields
                authors, year, tags = values[2], values[3], values[13]
                if (
                    type(authors) is list
                    and type(tags) is list
                    and (year is None or type(year) is int)
                    and type(values[16]) is bool
                ):
                    # str.join raises TypeError on anything that is not text.
                    "".join(_TEXT_FIELDS(values))
                    "".join(authors)
                    "".join(tags)
                    if values[0] and values[1].strip():
                        return cls(*values)
            except (KeyError, TypeError):
                pass
        if not isinstance(data, Mapping):
            raise ValidationError(f"a paper must be a JSON object, not {type(data).__name__}")
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("a paper has no title")
        key = data.get("key")
        if not isinstance(key, str) or not key:
            raise ValidationError(f"paper {title[:60]!r} has no citation key")
        kwargs: dict[str, Any] = {"key": key, "title": title}
        for name in _FIELD_NAMES[2:]:
            if name not in data or data[name] is None:
                continue
            kwargs[name] = _coerce(name, data[name], key)
        extra = {k: v for k, v in data.items() if k not in _FIELD_SET}
        return cls(**kwargs, extra=extra)

    def copy(self, **changes: Any) -> Paper:
        """A copy with its own lists, so undo snapshots never share state."""
        dup = replace(self, **changes)
        if "authors" not in changes:
            dup.authors = list(self.authors)
        if "tags" not in changes:
            dup.tags = list(self.tags)
        if "extra" not in changes:
            dup.extra = dict(self.extra)
        return dup


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Paper) if f.name != "extra")
_FIELD_SET = frozenset(_FIELD_NAMES)
_FIELD_COUNT = len(_FIELD_NAMES)
_ALL_FIELDS = itemgetter(*_FIELD_NAMES)
"""A stored document's field values in the order of `Paper`'s positional arguments."""
_NOT_TEXT = ("authors", "year", "tags", "starred")
_TEXT_FIELDS = itemgetter(*(i for i, n in enumerate(_FIELD_NAMES) if n not in _NOT_TEXT))
assert tuple(_FIELD_NAMES.index(n) for n in _NOT_TEXT) == (2, 3, 13, 16), "see from_dict"


def _coerce(name: str, value: Any, key: str) -> Any:
    """Check one stored field's type; the error names the paper and the field."""
    if name in ("authors", "tags"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(f"paper {key!r}: {name!r} must be a list of strings")
        return list(value)
    if name == "year":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(f"paper {key!r}: 'year' must be a number")
        try:
            return int(value)
        except ValueError:
            raise ValidationError(f"paper {key!r}: 'year' must be a number") from None
    if name == "starred":
        return bool(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValidationError(f"paper {key!r}: {name!r} must be text")
    return value


def now_iso() -> str:
    """The current time, to the second, in UTC: for `edited` stamps."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def today_iso() -> str:
    """Today's date: for `added` stamps."""
    return date.today().isoformat()


# ---------------------------------------------------------------- tags


def normalize_tag(tag: str) -> str:
    """Tags are lower-case words without spaces: `Self Supervised` -> `self-supervised`."""
    return _TAG_BAD.sub("-", tag.strip().lower()).strip("-")


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Normalise, drop empties and duplicates, keep the user's order."""
    seen: dict[str, None] = {}
    for tag in tags:
        norm = normalize_tag(tag)
        if norm:
            seen.setdefault(norm, None)
    return list(seen)


def parse_tags(text: str) -> list[str]:
    """Tags typed by a user: separated by commas or spaces."""
    return normalize_tags(re.split(r"[,\s]+", text))


# ---------------------------------------------------------------- identifiers


def normalize_arxiv_id(text: str) -> str:
    """`arXiv:2106.08254v2`, an abs/pdf URL or a bare id -> `2106.08254`; '' if none."""
    text = text.strip()
    if not text:
        return ""
    found = _ARXIV_IN_TEXT.search(text)
    if found:
        return found.group(1)
    bare = re.sub(r"v\d+$", "", text.removeprefix("arXiv:").removeprefix("arxiv:"))
    if _NEW_ARXIV.match(bare) or _OLD_ARXIV.match(bare):
        return bare
    return ""


def is_arxiv_id(text: str) -> bool:
    return bool(_NEW_ARXIV.match(text) or _OLD_ARXIV.match(text))


def normalize_doi(text: str) -> str:
    """A DOI from `doi:...`, `https://doi.org/...` or bare; '' if none."""
    text = text.strip()
    lowered = text.lower()
    for prefix in (
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ):
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text if _DOI.match(text) else ""


def normalize_title(title: str) -> str:
    """A title folded for duplicate detection: case, accents, LaTeX and punctuation ignored."""
    text = unicodedata.normalize("NFKD", _LATEX_BITS.sub("", title)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


# ---------------------------------------------------------------- names and keys


def split_name(name: str) -> tuple[str, str]:
    """(given names, family name) of `First Last`, `Last, First` or `First van Last`."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    parts = name.split(" ")
    if len(parts) == 1:
        return "", parts[0]
    start = len(parts) - 1
    while start > 1 and parts[start - 1].lower() in _NAME_PARTICLES:
        start -= 1
    return " ".join(parts[:start]), " ".join(parts[start:])


def _ascii_word(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _LATEX_BITS.sub("", text))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def base_key(authors: list[str], year: int | None, title: str) -> str:
    """`lastnameYEARfirstword`, e.g. `bao2021beit`; ASCII only so LaTeX accepts it."""
    family = _ascii_word(split_name(authors[0])[1]) if authors else ""
    first = ""
    for word in title.split():
        cleaned = _ascii_word(word)
        if cleaned and cleaned not in _STOPWORDS:
            first = cleaned
            break
    key = f"{family or 'anon'}{year or ''}{first}"
    return key or "paper"


def unique_key(base: str, taken: Iterable[str] | set[str]) -> str:
    """`base`, else `base` + b, c, ... z, then numbers: the usual BibTeX collision suffix."""
    taken_set = taken if isinstance(taken, set) else set(taken)
    if base not in taken_set:
        return base
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        if base + suffix not in taken_set:
            return base + suffix
    n = 2
    while f"{base}{n}" in taken_set:
        n += 1
    return f"{base}{n}"


def validate_key(key: str) -> str:
    key = key.strip()
    if not key or not _KEY_OK.match(key):
        raise ValidationError(
            "a citation key is letters, digits and _ : - . + / only, with no spaces"
        )
    return key


# ---------------------------------------------------------------- display


_SUPERSCRIPTS = str.maketrans("0123456789+-n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ⁿ")
_INLINE_SUP = re.compile(r"\$\^\{?([0-9+\-n]+)\}?\$")


@lru_cache(maxsize=4096)
def plain_text(text: str) -> str:
    """LaTeX in a title or name (`S$^2$-MLP`, `Sch{\\"o}n`) as readable Unicode.

    Fast path for the common case of no LaTeX at all, since this runs per row.
    """
    if not any(ch in text for ch in "\\{}$^"):
        return text
    text = _INLINE_SUP.sub(lambda m: m.group(1).translate(_SUPERSCRIPTS), text)
    if not any(ch in text for ch in "\\{}$^"):
        return text
    from pylatexenc.latex2text import LatexNodes2Text  # imported on demand: slow to load

    try:
        return str(LatexNodes2Text(math_mode="text").latex_to_text(text)).strip()
    except Exception:  # pylatexenc raises many kinds on odd input; show it as typed
        return text


def authors_short(authors: list[str]) -> str:
    """`Bao et al.`, `Wu & Johnson`, `Berner`: for list rows and notices."""
    if not authors:
        return ""
    fam = [plain_text(split_name(a)[1]) for a in authors[:2]]
    if len(authors) == 1:
        return fam[0]
    if len(authors) == 2:
        return f"{fam[0]} & {fam[1]}"
    return f"{fam[0]} et al."


# ---------------------------------------------------------------- new papers


def new_paper(
    *,
    title: str,
    taken_keys: Iterable[str],
    authors: Iterable[str] = (),
    year: int | str | None = None,
    arxiv: str = "",
    venue: str = "",
    tags: Iterable[str] = (),
    comment: str = "",
    **more: Any,
) -> Paper:
    """Validate user input for a new paper and give it a fresh unique key."""
    title = " ".join(title.split())
    if not title:
        raise ValidationError("a title is required")
    author_list = [" ".join(a.split()) for a in authors if a.strip()]
    year_int: int | None = None
    if year not in (None, ""):
        try:
            year_int = int(str(year).strip())
        except ValueError:
            raise ValidationError(f"year {year!r} is not a number") from None
        if not 1000 <= year_int <= date.today().year + 1:
            raise ValidationError(f"year {year_int} is out of range")
    arxiv_id = ""
    url = str(more.pop("url", "") or "")
    if arxiv.strip():
        arxiv_id = normalize_arxiv_id(arxiv)
        if not arxiv_id:
            if arxiv.strip().startswith(("http://", "https://")):
                url = arxiv.strip()
            else:
                raise ValidationError(
                    f"{arxiv.strip()!r} is not an arXiv id (like 2106.08254) or a URL"
                )
    key = unique_key(base_key(author_list, year_int, title), set(taken_keys))
    return Paper(
        key=key,
        title=title,
        authors=author_list,
        year=year_int,
        arxiv_id=arxiv_id,
        venue=venue.strip(),
        url=url,
        tags=normalize_tags(tags),
        comment=comment,
        status=str(more.pop("status", "unread")),
        added=today_iso(),
        edited=now_iso(),
        **more,
    )
