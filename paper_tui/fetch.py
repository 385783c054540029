"""Metadata for "add a paper by arXiv id, DOI or URL": recognise, fetch, fill in.

Kept free of Textual and of third-party packages so the add dialog can run it in
a worker thread and the tests can aim it at a local server. Every failure is a
`FetchError` whose message can be shown to the user as it is, and whose `kind`
tells the dialog whether offering an offline stub (`stub_paper`) makes sense.

The services are shared and free, so the fetcher is polite: one request at a
time, a descriptive User-Agent, and arXiv's requested three seconds between
calls to its API.
"""

from __future__ import annotations

import html
import http.client
import json
import math
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from . import __version__
from .model import FILLABLE_FIELDS, Paper, base_key, now_iso, today_iso, unique_key

ARXIV_SPACING = 3.0
"""Seconds between arXiv API calls, as arXiv's terms of use ask of scripts."""

MAX_ANSWER_BYTES = 5_000_000
"""An answer for one paper is a few kilobytes; anything this big is not one."""

USER_AGENT = f"paper-tui/{__version__} (reading-log tool; python urllib)"

# ---------------------------------------------------------------- identifiers

_NEW_ID = r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})"
_OLD_ID = r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[a-z][a-z\-]*)?/(?P<old>\d{7})"
_ARXIV_ID = rf"(?:{_NEW_ID}|{_OLD_ID})(?:v\d+)?"
_ARXIV_URL = re.compile(
    rf"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ARXIV_ID}"
    r"(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE,
)
# `arXiv:2106.08254 [cs.CV]` is how arXiv's own pages print the identifier.
_ARXIV_TEXT = re.compile(rf"(?:arxiv:\s*)?{_ARXIV_ID}(?:\s*\[[\w.\-]+\])?", re.IGNORECASE)
_DOI_URL = re.compile(r"(?:https?://)?(?:www\.)?(?:dx\.)?doi\.org/(?P<doi>[^?#]+)", re.IGNORECASE)
_DOI_PREFIXED = re.compile(r"doi:\s*(?P<doi>.+)", re.IGNORECASE)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_ARXIV_DOI = re.compile(rf"10\.48550/arxiv\.{_ARXIV_ID}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Identifier:
    """What the user asked for, in the canonical form the services answer to.

    arXiv ids carry no version (a paper, not one revision of it) and old-style
    ids no subject class (`math.GT/0309136` is `math/0309136`: arXiv's API only
    knows the canonical form).
    """

    kind: Literal["arxiv", "doi"]
    value: str

    @property
    def label(self) -> str:
        """The identifier as people cite it; also the title of an offline stub."""
        return f"arXiv:{self.value}" if self.kind == "arxiv" else f"doi:{self.value}"

    @property
    def url(self) -> str:
        if self.kind == "arxiv":
            return f"https://arxiv.org/abs/{self.value}"
        return f"https://doi.org/{self.value}"


def _arxiv_from_match(found: re.Match[str]) -> str | None:
    """The canonical id, or None for a date that arXiv never issued."""
    if found.group("yymm"):
        yymm, num = found.group("yymm"), found.group("num")
        month = int(yymm[2:])
        # 4-digit numbers ran from 0704 to 1412, 5-digit ones since 1501.
        if not 1 <= month <= 12 or yymm < "0704" or (len(num) == 5) != (yymm >= "1501"):
            return None
        return f"{yymm}.{num}"
    return f"{found.group('archive').lower()}/{found.group('old')}"


def parse_identifier(text: str) -> Identifier | None:
    """Read an arXiv id, a DOI or an address of either; None when it is neither."""
    text = text.strip().strip("<>").strip()
    for pattern in (_ARXIV_URL, _ARXIV_TEXT):
        found = pattern.fullmatch(text)
        if found:
            value = _arxiv_from_match(found)
            return Identifier("arxiv", value) if value else None
    found = _DOI_URL.fullmatch(text)
    if found:
        doi = urllib.parse.unquote(found.group("doi")).strip()
    else:
        found = _DOI_PREFIXED.fullmatch(text)
        doi = found.group("doi").strip() if found else text
    if not _DOI.fullmatch(doi):
        return None
    arxiv = _ARXIV_DOI.fullmatch(doi)
    if arxiv:
        value = _arxiv_from_match(arxiv)
        return Identifier("arxiv", value) if value else None
    return Identifier("doi", doi)


# ---------------------------------------------------------------- configuration


@dataclass(slots=True)
class Endpoints:
    """Where the services live; the environment can point them at a mirror or a test server."""

    arxiv: str = "https://export.arxiv.org/api/query"
    crossref: str = "https://api.crossref.org/works"
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Endpoints:
        """Read PAPER_TUI_ARXIV_URL, PAPER_TUI_CROSSREF_URL and PAPER_TUI_FETCH_TIMEOUT.

        A timeout that is not a positive number raises ValueError naming the
        variable: silently waiting 10 s instead of the 60 s asked for would be
        harder to track down than a clear complaint at start-up.
        """
        env = os.environ if env is None else env
        out = cls()
        if env.get("PAPER_TUI_ARXIV_URL", "").strip():
            out.arxiv = env["PAPER_TUI_ARXIV_URL"].strip()
        if env.get("PAPER_TUI_CROSSREF_URL", "").strip():
            out.crossref = env["PAPER_TUI_CROSSREF_URL"].strip().rstrip("/")
        raw = env.get("PAPER_TUI_FETCH_TIMEOUT", "").strip()
        if raw:
            try:
                timeout = float(raw)
            except ValueError:
                timeout = math.nan
            if not (math.isfinite(timeout) and timeout > 0):
                raise ValueError(
                    f"PAPER_TUI_FETCH_TIMEOUT must be a number of seconds above 0, not {raw!r}"
                )
            out.timeout = timeout
        return out


# ---------------------------------------------------------------- errors

ErrorKind = Literal["timeout", "http", "not_found", "malformed", "network"]


class FetchError(Exception):
    """A fetch that failed; `str(error)` is written for the user.

    `kind` lets the caller choose what to offer: after "timeout" or "network"
    (see `retryable`) adding an offline stub and fetching later makes sense,
    after "not_found" it does not.
    """

    def __init__(
        self, message: str, *, kind: ErrorKind, service: str = "", status: int | None = None
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.service = service
        self.status = status

    @property
    def retryable(self) -> bool:
        """True when the same request may well succeed later."""
        if self.kind in ("timeout", "network"):
            return True
        return self.kind == "http" and self.status is not None and self.status in _TRANSIENT


_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


# ---------------------------------------------------------------- metadata


@dataclass(slots=True)
class Metadata:
    """What the services say about one paper, in the log's own field conventions."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str = ""
    entry_type: str = "misc"
    volume: str = ""
    pages: str = ""
    doi: str = ""
    arxiv_id: str = ""
    primary_class: str = ""
    publisher: str = ""
    url: str = ""
    summary: str = ""


_CROSSREF_TYPES = {
    "journal-article": "article",
    "proceedings-article": "inproceedings",
    "book-chapter": "incollection",
}
_ABBREVIATIONS = frozenset(
    "e.g. i.e. cf. vs. al. fig. figs. eq. eqs. ref. refs. sec. no. approx. resp. ca. "
    "dr. prof. mr. ms. st. viz. c.f. w.r.t.".split()
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9\"'(\[$\\])")
_TAG = re.compile(r"<[^>]+>")
_JATS_TITLE = re.compile(r"<jats:title>.*?</jats:title>", re.DOTALL)
_NUMERIC_TOKEN = re.compile(r"[\d()\[\],.:;\-–—]+")
_REF_LEAD = re.compile(
    r"^(?:(?:published|accepted|to appear|appeared|presented)\s+(?:in|at|to|by|as)\s+)",
    re.IGNORECASE,
)
_REF_TAIL = frozenset({"vol", "volume", "no", "pp", "p", "pages", "issue"})


def _clean(text: str | None) -> str:
    """Whitespace collapsed: arXiv wraps titles and abstracts at fixed columns."""
    return " ".join((text or "").split())


def _markup_free(text: str) -> str:
    """Crossref titles and abstracts carry HTML/JATS/MathML tags and entities."""
    return _clean(html.unescape(_TAG.sub("", _JATS_TITLE.sub(" ", text))))


def first_sentence(text: str) -> str:
    """The abstract's opening sentence: enough to recall a paper in the list.

    A full stop after a common abbreviation or an initial does not end it.
    """
    text = _clean(text)
    for found in _SENTENCE_END.finditer(text):
        start = text.rfind(" ", 0, found.start()) + 1
        word = text[start : found.start() + 1].lstrip("([\"'")
        if word.lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]\.", word):
            continue
        return text[: found.end()].rstrip()
    return text


def venue_from_journal_ref(ref: str) -> str:
    """`AI Open 3 (2022) 111-132` -> `AI Open`: the name before volume, year and pages.

    Words that merely contain digits (`38th`, `PMLR`) stay; the name ends at the
    first purely numeric token. A reference that starts with numbers is kept whole.
    """
    ref = _REF_LEAD.sub("", _clean(ref))
    words = ref.split(" ")
    for i, word in enumerate(words):
        if i and _NUMERIC_TOKEN.fullmatch(word):
            words = words[:i]
            break
    while len(words) > 1 and words[-1].lower().rstrip(".,") in _REF_TAIL:
        words.pop()
    return " ".join(words).rstrip(",;: ")


_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV_NS = "{http://arxiv.org/schemas/atom}"


def _parse_arxiv(body: bytes, wanted: str) -> Metadata:
    """Read the Atom feed of an `id_list` query; the entry for `wanted` becomes Metadata."""
    if b"<!DOCTYPE" in body[:2000] or b"<!ENTITY" in body:
        raise _malformed("arXiv", "XML")  # entity tricks have no place in an Atom feed
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise _malformed("arXiv", "XML") from None
    if root.tag != f"{_ATOM}feed":
        raise FetchError(
            "arXiv sent an answer that is not an Atom feed", kind="malformed", service="arXiv"
        )
    entries = root.findall(f"{_ATOM}entry")
    if not entries:
        raise FetchError(f"arXiv has no paper {wanted}", kind="not_found", service="arXiv")
    entry = next((e for e in entries if _entry_id(e) == wanted), entries[0])
    entry_id = _clean(entry.findtext(f"{_ATOM}id"))
    title = _clean(entry.findtext(f"{_ATOM}title"))
    if "/abs/" not in entry_id or not title:
        # Errors come as an entry titled "Error" whose summary says what is wrong.
        reason = _clean(entry.findtext(f"{_ATOM}summary")) if title == "Error" else ""
        message = f"arXiv has no paper {wanted}" + (f" ({reason})" if reason else "")
        raise FetchError(message, kind="not_found", service="arXiv")
    authors = [
        name
        for author in entry.findall(f"{_ATOM}author")
        if (name := _clean(author.findtext(f"{_ATOM}name")))
    ]
    published = _clean(entry.findtext(f"{_ATOM}published"))
    year = int(published[:4]) if re.match(r"\d{4}", published) else None
    primary = entry.find(f"{_ARXIV_NS}primary_category")
    # The field may list several DOIs; the first is the published version's.
    dois = [parse_identifier(word) for word in _clean(entry.findtext(f"{_ARXIV_NS}doi")).split()]
    doi = next((d.value for d in dois if d is not None and d.kind == "doi"), "")
    journal_ref = _clean(entry.findtext(f"{_ARXIV_NS}journal_ref"))
    return Metadata(
        title=title,
        authors=authors,
        year=year,
        venue=venue_from_journal_ref(journal_ref) if journal_ref else "",
        entry_type="misc",
        doi=doi,
        arxiv_id=wanted,
        primary_class=_clean(primary.get("term")) if primary is not None else "",
        url=f"https://arxiv.org/abs/{wanted}",
        summary=first_sentence(entry.findtext(f"{_ATOM}summary") or ""),
    )


def _entry_id(entry: ET.Element) -> str:
    """The canonical arXiv id of a feed entry, '' for error entries."""
    found = re.search(r"/abs/(.+)$", _clean(entry.findtext(f"{_ATOM}id")))
    ident = parse_identifier(found.group(1)) if found else None
    return ident.value if ident and ident.kind == "arxiv" else ""


def _first_text(value: Any) -> str:
    """Crossref puts most text fields in lists; the first entry is the one wanted.

    Markup is left alone here: some DOIs contain `<` and `>`.
    """
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return _clean(value) if isinstance(value, str) else ""


def _crossref_year(message: Mapping[str, Any]) -> int | None:
    """The year of issue; print and online dates stand in when it is missing."""
    for name in ("issued", "published", "published-print", "published-online"):
        when = message.get(name)
        parts: Any = when.get("date-parts") if isinstance(when, dict) else None
        try:
            year = parts[0][0]
        except (TypeError, IndexError, KeyError):
            continue
        if isinstance(year, str) and year.isdigit():
            year = int(year)
        if isinstance(year, int) and not isinstance(year, bool) and 1000 <= year <= 9999:
            return year
    return None


def _crossref_author(person: Any) -> str:
    if not isinstance(person, dict):
        return ""
    given = _markup_free(_first_text(person.get("given")))
    family = _markup_free(_first_text(person.get("family")))
    if family:
        return f"{given} {family}".strip()
    return _markup_free(_first_text(person.get("name")))  # consortia and organisations


def _parse_crossref(body: bytes, doi: str) -> Metadata:
    """Read a `/works/{doi}` answer into Metadata."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed("Crossref", "JSON") from None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("status") != "ok" or not isinstance(message, dict):
        raise FetchError(
            "Crossref sent an answer in an unexpected shape", kind="malformed", service="Crossref"
        )
    title = _markup_free(_first_text(message.get("title")))
    subtitle = _markup_free(_first_text(message.get("subtitle")))
    if subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}" if title else subtitle
    authors = message.get("author")
    venue = _markup_free(_first_text(message.get("container-title")))
    if not venue and isinstance(message.get("event"), dict):
        venue = _markup_free(_first_text(message["event"].get("name")))
    pages = _first_text(message.get("page")) or _first_text(message.get("article-number"))
    abstract = message.get("abstract")
    found_doi = _first_text(message.get("DOI")) or doi
    return Metadata(
        title=title,
        authors=[
            a for a in map(_crossref_author, authors if isinstance(authors, list) else []) if a
        ],
        year=_crossref_year(message),
        venue=venue,
        entry_type=_CROSSREF_TYPES.get(_first_text(message.get("type")), "misc"),
        volume=_first_text(message.get("volume")),
        pages=re.sub(r"\s*[-\u2010-\u2015]+\s*", "-", pages),
        doi=found_doi,
        publisher=_first_text(message.get("publisher")),
        url=f"https://doi.org/{found_doi}",
        summary=first_sentence(_markup_free(abstract)) if isinstance(abstract, str) else "",
    )


def _malformed(service: str, fmt: str) -> FetchError:
    return FetchError(
        f"{service} sent an answer that is not valid {fmt}", kind="malformed", service=service
    )


# ---------------------------------------------------------------- fetching


class Fetcher:
    """Fetch metadata, politely. Safe to share between threads: requests queue up.

    `sleep` and `clock` are injectable so tests can check the arXiv spacing
    without waiting for it.
    """

    def __init__(
        self,
        endpoints: Endpoints | None = None,
        user_agent: str = USER_AGENT,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = endpoints or Endpoints()
        self.user_agent = user_agent
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._last_arxiv: float | None = None
        # Built once, so proxies come from the environment at start-up, as for urlopen.
        self._opener = urllib.request.build_opener()

    def fetch(self, ident: Identifier) -> Metadata:
        """The metadata for `ident`; raise FetchError with a message for the user."""
        if ident.kind == "doi":
            return self.fetch_crossref(ident.value)
        meta = self.fetch_arxiv(ident.value)
        if meta.doi:
            try:
                published = self.fetch_crossref(meta.doi)
            except FetchError:
                return meta  # the preprint's own data is still worth having
            _enrich(meta, published)
        return meta

    def fetch_arxiv(self, arxiv_id: str) -> Metadata:
        """The arXiv record alone, without asking Crossref about its DOI."""
        query = urllib.parse.urlencode({"id_list": arxiv_id, "max_results": "1"}, safe="/")
        base = self.endpoints.arxiv
        body = self._get("arXiv", f"{base}{'&' if '?' in base else '?'}{query}", arxiv_id)
        return _parse_arxiv(body, arxiv_id)

    def fetch_crossref(self, doi: str) -> Metadata:
        url = f"{self.endpoints.crossref.rstrip('/')}/{urllib.parse.quote(doi, safe='/')}"
        return _parse_crossref(self._get("Crossref", url, doi), doi)

    def _get(self, service: Literal["arXiv", "Crossref"], url: str, wanted: str) -> bytes:
        """One request at a time, arXiv ones spaced; the answer's body or FetchError."""
        with self._lock:
            if service != "arXiv":
                return self._request(service, url, wanted)
            if self._last_arxiv is not None:
                wait = self._last_arxiv + ARXIV_SPACING - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                return self._request(service, url, wanted)
            finally:
                self._last_arxiv = self._clock()

    def _request(self, service: str, url: str, wanted: str) -> bytes:
        timeout = self.endpoints.timeout
        host = urllib.parse.urlsplit(url).hostname or url
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "application/atom+xml" if service == "arXiv" else "application/json",
            },
        )
        try:
            with self._opener.open(request, timeout=timeout) as answer:
                body: bytes = answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise _http_error(service, exc, wanted) from None
        except TimeoutError:
            raise _timeout(service, timeout) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _timeout(service, timeout) from None
            raise FetchError(
                f"could not reach {host}: {_reason(exc.reason)}", kind="network", service=service
            ) from None
        except http.client.HTTPException as exc:
            raise FetchError(
                f"the connection to {host} broke off ({type(exc).__name__})",
                kind="network",
                service=service,
            ) from None
        except OSError as exc:
            raise FetchError(
                f"could not reach {host}: {_reason(exc)}", kind="network", service=service
            ) from None
        if len(body) > MAX_ANSWER_BYTES:
            raise FetchError(
                f"{service} sent an answer too large to be one paper's record",
                kind="malformed",
                service=service,
            )
        return body


def _timeout(service: str, timeout: float) -> FetchError:
    return FetchError(
        f"{service} did not answer within {timeout:g} s", kind="timeout", service=service
    )


def _reason(reason: object) -> str:
    """`Connection refused` rather than `[Errno 111] Connection refused`."""
    if isinstance(reason, OSError) and reason.strerror:
        return str(reason.strerror)
    return str(reason) or type(reason).__name__


def _http_error(service: str, exc: urllib.error.HTTPError, wanted: str) -> FetchError:
    status = exc.code
    try:
        body = exc.read(MAX_ANSWER_BYTES)
    except (OSError, http.client.HTTPException):
        body = b""
    finally:
        exc.close()
    if service == "arXiv" and body:
        # arXiv answers a malformed id with an error feed, sometimes under a 400.
        try:
            _parse_arxiv(body, wanted)
        except FetchError as inner:
            if inner.kind == "not_found":
                inner.status = status
                return inner
    if status == 404:
        what = f"no such DOI {wanted}" if service == "Crossref" else f"no paper {wanted}"
        return FetchError(
            f"{service} answered 404: {what}", kind="not_found", service=service, status=status
        )
    reason = str(exc.reason or "").strip() or http.client.responses.get(status, "error")
    if status in (429, 503):
        reason += "; try again in a minute"
    return FetchError(
        f"{service} answered {status}: {reason}", kind="http", service=service, status=status
    )


def _enrich(meta: Metadata, published: Metadata) -> None:
    """Add the published version's venue details to an arXiv record, in place.

    The arXiv title, authors and year stay: the log dates a paper by its first
    appearance, as its citation keys (`lin2021survey`) do.
    """
    for name in ("venue", "volume", "pages", "publisher"):
        value = getattr(published, name)
        if value:
            setattr(meta, name, value)
    if published.entry_type != "misc":
        meta.entry_type = published.entry_type
    meta.doi = published.doi or meta.doi


# ---------------------------------------------------------------- papers

_FILLABLE = FILLABLE_FIELDS


def is_pending(paper: Paper) -> bool:
    """True for a paper added offline whose metadata is still to be fetched."""
    return bool(paper.extra.get("pending"))


def _has_real_title(paper: Paper) -> bool:
    """A stub's title is just its identifier; that may be replaced, a typed one may not."""
    return bool(paper.title.strip()) and parse_identifier(paper.title) is None


def apply_metadata(paper: Paper, meta: Metadata) -> Paper:
    """A copy of `paper` with its empty fields filled from `meta`.

    What the user already has wins: a typed title, the comment, tags, status
    and stars are never touched, and filled fields are not overwritten. The
    pending mark goes, since the fetch it waited for has happened.
    """
    out = paper.copy()
    if meta.title and not _has_real_title(paper):
        out.title = meta.title
    if not out.authors and meta.authors:
        out.authors = list(meta.authors)
    if out.year is None and meta.year is not None:
        out.year = meta.year
    for name in _FILLABLE:
        value = getattr(meta, name)
        if value and not getattr(out, name):
            setattr(out, name, value)
    if meta.summary and "summary" not in out.extra:
        out.extra["summary"] = meta.summary
    out.extra.pop("pending", None)
    if out != paper:
        out.edited = now_iso()
    return out


def _key_part(text: str) -> str:
    return re.sub(r"[^0-9a-z.\-]+", "", text.lower()).strip(".-")


def stub_paper(ident: Identifier, taken_keys: set[str]) -> Paper:
    """A placeholder to add while offline: the identifier now, the metadata later.

    Its key (`arxiv2106.08254`, `doij.aiopen.2022.10.001`) is readable and
    stays when the metadata arrives, since keys change only when the user says.
    """
    if ident.kind == "arxiv":
        base = "arxiv" + _key_part(ident.value)
    else:
        base = "doi" + _key_part(ident.value.partition("/")[2])[:30].strip(".-")
    return Paper(
        key=unique_key(base, taken_keys),
        title=ident.label,
        arxiv_id=ident.value if ident.kind == "arxiv" else "",
        doi=ident.value if ident.kind == "doi" else "",
        url=ident.url,
        added=today_iso(),
        status="unread",
        edited=now_iso(),
        extra={"pending": True},
    )


def paper_from_metadata(meta: Metadata, taken_keys: set[str]) -> Paper:
    """A new paper for the log, keyed like the rest (`bao2021beit`)."""
    year = meta.year if meta.year and 1000 <= meta.year <= date.today().year + 1 else None
    title = _clean(meta.title)
    if not title:
        title = f"arXiv:{meta.arxiv_id}" if meta.arxiv_id else f"doi:{meta.doi}"
    authors = [a for a in map(_clean, meta.authors) if a]
    return Paper(
        key=unique_key(base_key(authors, year, title), taken_keys),
        title=title,
        authors=authors,
        year=year,
        arxiv_id=meta.arxiv_id,
        primary_class=meta.primary_class,
        entry_type=meta.entry_type,
        venue=meta.venue,
        volume=meta.volume,
        pages=meta.pages,
        doi=meta.doi,
        publisher=meta.publisher,
        url=meta.url,
        added=today_iso(),
        status="unread",
        edited=now_iso(),
        extra={"summary": meta.summary} if meta.summary else {},
    )


# ---------------------------------------------------------------- adding by identifier


@dataclass(slots=True)
class AddOutcome:
    """What adding an identifier did: a new paper (maybe a stub), or an existing one."""

    paper: Paper
    existing: bool = False
    stub: bool = False
    message: str = ""


def find_by_identifier(papers: list[Paper], ident: Identifier) -> Paper | None:
    for paper in papers:
        if ident.kind == "arxiv" and paper.arxiv_id == ident.value:
            return paper
        if ident.kind == "doi" and paper.doi.lower() == ident.value.lower():
            return paper
    return None


def add_by_identifier(
    ident: Identifier,
    papers: list[Paper],
    fetcher: Fetcher,
    *,
    tags: list[str] | None = None,
    comment: str = "",
) -> AddOutcome:
    """Fetch and build the paper to add; the same steps for the command line and the app.

    An identifier already in the log gives that paper back. When the service cannot
    be reached (timeout, network, 5xx) the paper is still added as a stub marked
    "metadata pending"; an unknown identifier or a malformed answer raises FetchError.
    """
    found = find_by_identifier(papers, ident)
    if found is not None:
        return AddOutcome(found, existing=True, message=f"already in the log as {found.key}")
    taken = {p.key for p in papers}
    try:
        meta = fetcher.fetch(ident)
    except FetchError as exc:
        if not exc.retryable:
            raise
        paper = stub_paper(ident, taken)
        stub = True
        reason = str(exc).rstrip(".")
        message = (
            f"{reason}. Added as a stub (metadata pending); `paper-tui refresh` fills it later."
        )
    else:
        paper = paper_from_metadata(meta, taken)
        # The fetched ids may name a paper the typed identifier did not (a DOI for an arXiv id).
        dup = (
            find_by_identifier(papers, Identifier("arxiv", meta.arxiv_id))
            if meta.arxiv_id
            else None
        ) or (find_by_identifier(papers, Identifier("doi", meta.doi)) if meta.doi else None)
        if dup is not None:
            return AddOutcome(dup, existing=True, message=f"already in the log as {dup.key}")
        stub = False
        message = ""
    if tags:
        paper.tags = list(dict.fromkeys([*paper.tags, *tags]))
    if comment:
        paper.comment = comment
    return AddOutcome(paper, stub=stub, message=message)


def refresh_pending(
    papers: list[Paper], fetcher: Fetcher
) -> tuple[list[tuple[Paper, str]], list[str]]:
    """Fill in stubs: (updated papers with their keys, problems)."""
    updated: list[tuple[Paper, str]] = []
    problems: list[str] = []
    for paper in papers:
        if not is_pending(paper):
            continue
        ident = parse_identifier(paper.arxiv_id or paper.doi or paper.url)
        if ident is None:
            problems.append(f"{paper.key}: no arXiv id or DOI to look up")
            continue
        try:
            meta = fetcher.fetch(ident)
        except FetchError as exc:
            problems.append(f"{paper.key}: {exc}")
            continue
        updated.append((apply_metadata(paper, meta), paper.key))
    return updated, problems
