"""Filtering, searching, sorting and tag counts over the papers: pure and fast.

`Library` holds the papers in slots that never move (a deleted paper leaves a
hole), so every derived structure is indexed by slot: the casefolded search
text, bitmasks (a Python int with bit `i` for slot `i`) per tag, status and
star, and the sort orders. It is built in a few C-level passes (the bitmasks on
first use) and then kept current paper by paper: an edit flips a few bits and
moves one slot in each sort order instead of recounting or re-sorting.

A view is worked out in slot order, which is the memory order of the search
texts, and only then put in the wanted sort order. Views are cached per filter
and query: a longer query only re-checks what the shorter one matched, a
backspace finds the shorter query's view ready, and toggling a tag after typing
ANDs two bitmasks without scanning. The view on screen is patched on every edit;
other cached views are patched or dropped, never left stale. Tag counts come
from ANDing a view's bitmask with each tag's and counting bits, or for a small
view or a few papers dropped by one more keystroke, from the papers themselves.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import attrgetter, contains, is_not, itemgetter, truth
from typing import Any

from .model import STATUSES, Paper, plain_text

SORTS: dict[str, str] = {
    "added": "order added",
    "title": "title",
    "year": "year (newest first)",
    "edited": "last edited",
}
TAG_MODES = ("all", "any")

_TITLE = attrgetter("title")
_TAGS = attrgetter("tags")
_AUTHORS = attrgetter("authors")
_KEY = attrgetter("key")
_VENUE = attrgetter("venue")
_ARXIV = attrgetter("arxiv_id")
_YEAR = attrgetter("year")
_COMMENT = attrgetter("comment")
_STATUS = attrgetter("status")
_STARRED = attrgetter("starred")

_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")
_FEW = 2000
_BUILD_CHUNK = 4096
"""Papers whose search text is made at a time when a library is built."""
"""Up to this many papers, counting their tags directly beats ANDing bitmasks."""
_MAX_VIEWS = 40
"""Cached views (one per filter and query typed); each holds a list of its slots."""
_MAX_VIEW_ITEMS = 3_000_000
"""And at most this many slots in all their lists (8 bytes each)."""


# ---------------------------------------------------------------- search text

_PLAIN: dict[str, str] = {}
_PLAIN_MAX = 20_000


def plain_title(title: str) -> str:
    """`model.plain_text(title)`, skipping the call for titles without LaTeX.

    The check mirrors `plain_text`'s own fast path (none of `\\ { } $ ^`: the
    text comes back unchanged). Titles with LaTeX are converted once per process
    (pylatexenc costs about 0.4 ms each), so a reload or a re-sort is cheap.
    """
    if "\\" in title or "{" in title or "}" in title or "$" in title or "^" in title:
        plain = _PLAIN.get(title)
        if plain is None:
            if len(_PLAIN) >= _PLAIN_MAX:
                _PLAIN.clear()
            plain = _PLAIN[title] = plain_text(title)
        return plain
    return title


class _YearText(dict[Any, str]):
    def __missing__(self, year: Any) -> str:
        text = self[year] = str(year or "")
        return text


class _YearKey(dict[Any, int]):
    def __missing__(self, year: Any) -> int:
        key = self[year] = -(year or 0)
        return key


_YEAR_TEXT = _YearText()
_YEAR_KEY = _YearKey()


def haystack(paper: Paper) -> str:
    """Everything a search looks at, casefolded once.

    The fields are joined by newlines and a search term never holds whitespace,
    so a term is in the haystack exactly when it is in one of the fields: their
    order is free. Short, often-matched fields come first (a match ends the scan
    early) and the raw title only follows its plain form when the two differ.
    Casefolding field by field gives the same text as casefolding the whole
    (case folding is per character) and keeps the pure-ASCII fields on
    CPython's fast path.
    """
    title = paper.title
    plain = plain_title(title)
    if plain is not title and plain != title:
        title = f"{plain}\n{title}"
    head = (
        f"{title}\n{' '.join(paper.tags)}\n{paper.key}\n{paper.venue}\n"
        f"{paper.arxiv_id}\n{_YEAR_TEXT[paper.year]}"
    )
    return f"{head.casefold()}\n{' '.join(paper.authors).casefold()}\n{paper.comment.casefold()}"


def _haystacks(papers: list[Paper], keys: list[str]) -> list[str]:
    """`[haystack(p) for p in papers]`, built column by column at C speed (`keys`:
    the papers' keys, already taken out)."""
    titles = list(map(_TITLE, papers))
    latex = [
        i for i, t in enumerate(titles) if "\\" in t or "{" in t or "}" in t or "$" in t or "^" in t
    ]
    for i in latex:
        title = titles[i]
        plain = plain_title(title)
        if plain != title:
            titles[i] = f"{plain}\n{title}"
    head = map(
        "\n".join,
        zip(
            titles,
            map(" ".join, map(_TAGS, papers)),
            keys,
            map(_VENUE, papers),
            map(_ARXIV, papers),
            map(_YEAR_TEXT.__getitem__, map(_YEAR, papers)),
            strict=True,
        ),
    )
    return list(
        map(
            "\n".join,
            zip(
                map(str.casefold, head),
                map(str.casefold, map(" ".join, map(_AUTHORS, papers))),
                map(str.casefold, map(_COMMENT, papers)),
                strict=True,
            ),
        )
    )


_WIDE_RUNS = re.compile(r"[^\x00-\x7f]+")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


def split_haystack(hay: str) -> tuple[str, str]:
    """A haystack as (its ASCII text, its non-ASCII runs), the form searches scan.

    CPython keeps a string with any Japanese in it at two bytes a character, and
    a scan costs by the character: an English word searched in the log read
    every comment's kana at double width. The ASCII text is the haystack with
    each non-ASCII character (and each `?`) turned into a line break, one byte a
    character; the non-ASCII runs are joined by line breaks. A term that is all
    ASCII (without `?`) is in the haystack exactly when it is in the ASCII text,
    a term with no ASCII exactly when it is in the runs, since no term holds a
    line break; a mixed term is narrowed by its pieces and then checked against
    the whole haystack (`Library._term_flags`). At 100,000 papers: 16 MB less,
    an English two-letter search 25 ms instead of 31, a Japanese one 5 instead
    of 32.
    """
    if hay.isascii():
        return hay, ""
    ascii_text = hay.encode("ascii", "replace").replace(b"?", b"\n").decode("ascii")
    return ascii_text, _ASCII_RUNS.sub("\n", hay)


# ---------------------------------------------------------------- bitmasks


def _pack(flags: bytes | bytearray) -> int:
    """One byte per slot (0 or 1, a multiple of 8 long) -> an int with bit i for slot i."""
    mask = 0
    for r in range(8):
        mask |= int.from_bytes(flags[r::8], "little") << r
    return mask


_ONES: list[tuple[int, int]] = [(0, 0)]


def _unpack(mask: int, nbytes: int) -> bytearray:
    """The inverse of `_pack`: 8 * nbytes flags (mask must fit in nbytes)."""
    size, ones = _ONES[0]
    if size != nbytes:
        ones = int.from_bytes(b"\x01" * nbytes, "little")
        _ONES[0] = (nbytes, ones)
    flags = bytearray(8 * nbytes)
    for r in range(8):
        flags[r::8] = ((mask >> r) & ones).to_bytes(nbytes, "little")
    return flags


def _scatter(slots: Iterable[int], nbytes: int) -> bytearray:
    flags = bytearray(8 * nbytes)
    for slot in slots:
        flags[slot] = 1
    return flags


class _Index:
    """Bitmasks over slots: one per tag, per status, for the starred and the live papers."""

    __slots__ = ("live", "starred", "status", "tags", "totals")

    def __init__(self, slots: list[Paper | None], holes: bool) -> None:
        n = len(slots)
        nbytes = (n + 7) // 8
        pad = bytes(8 * nbytes - n)
        papers = [p or _HOLE for p in slots] if holes else slots
        bufs: dict[str, bytearray] = {}
        get = bufs.get
        for slot, tags in enumerate(map(_TAGS, papers)):
            if tags:
                byte = slot >> 3
                bit = 1 << (slot & 7)
                for tag in tags:
                    buf = get(tag)
                    if buf is None:
                        buf = bufs[tag] = bytearray(nbytes)
                    buf[byte] |= bit
        self.live = _pack(bytes(map(is_not, slots, repeat(None))) + pad)
        self.tags: dict[str, int] = {t: int.from_bytes(b, "little") for t, b in bufs.items()}
        self.totals: Counter[str] = Counter({t: m.bit_count() for t, m in self.tags.items()})
        codes = bytes(map(_STATUS_CODES.__getitem__, map(_STATUS, papers)))
        self.status: dict[str, int] = {
            s: _pack(codes.translate(table) + pad) & self.live
            for s, table in _STATUS_TABLES.items()
        }
        self.starred = _pack(bytes(map(truth, map(_STARRED, papers))) + pad) & self.live

    def update(self, slot: int, old: Paper | None, new: Paper | None) -> None:
        """Slot `slot` held `old` and now holds `new` (None: a hole)."""
        bit = 1 << slot
        if (old is None) != (new is None):
            self.live ^= bit
        old_tags = set(old.tags) if old is not None else set()
        new_tags = set(new.tags) if new is not None else set()
        if old_tags != new_tags:
            totals = self.totals.copy()  # the old one may be in a caller's hands
            tags = self.tags
            for tag in old_tags - new_tags:
                mask = tags[tag] & ~bit
                if mask:
                    tags[tag] = mask
                    totals[tag] -= 1
                else:
                    del tags[tag], totals[tag]
            for tag in new_tags - old_tags:
                tags[tag] = tags.get(tag, 0) | bit
                totals[tag] += 1
            self.totals = totals
        old_status = old.status if old is not None else None
        new_status = new.status if new is not None else None
        if old_status != new_status:
            if old_status in self.status:
                self.status[old_status] &= ~bit
            if new_status in self.status:
                self.status[new_status] |= bit
        if bool(old is not None and old.starred) != bool(new is not None and new.starred):
            self.starred ^= bit


_HOLE = Paper(key="", title="")


class _StatusCodes(dict[Any, int]):
    def __missing__(self, status: Any) -> int:
        return 0


_STATUS_CODES = _StatusCodes({s: i for i, s in enumerate(STATUSES, 1)})
_STATUS_TABLES = {s: bytes(int(c == i) for c in range(256)) for i, s in enumerate(STATUSES, 1)}
"""Per status: bytes.translate table turning status codes into 0/1 flags."""


# ---------------------------------------------------------------- filters


@dataclass(frozen=True, slots=True)
class Filter:
    """What narrows the list. Empty fields narrow nothing."""

    query: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)
    tag_mode: str = "all"
    status: str = ""
    starred: bool = False

    @property
    def active(self) -> bool:
        return bool(self.query.strip() or self.tags or self.status or self.starred)

    def describe(self) -> str:
        """`search "vit" · tags vit+google` for the status line."""
        parts = []
        if self.query.strip():
            parts.append(f'search "{self.query.strip()}"')
        if self.tags:
            joiner = "+" if self.tag_mode == "all" else "|"
            parts.append("tags " + joiner.join(sorted(self.tags)))
        if self.status:
            parts.append(self.status)
        if self.starred:
            parts.append("starred")
        return " · ".join(parts)


_Structure = tuple[frozenset[str], str, str, bool]
"""The parts of a filter that are not text, normalised: tags, mode, status, starred."""
_NOTHING: _Structure = (frozenset(), "all", "", False)


def _structure(flt: Filter) -> _Structure:
    tags = frozenset(flt.tags)
    mode = "any" if tags and flt.tag_mode == "any" else "all"
    status = flt.status if flt.status in STATUSES else ""
    return (tags, mode, status, bool(flt.starred))


class _View:
    """The papers passing one filter: their slots ascending and/or as a bitmask."""

    __slots__ = (
        "base",
        "counts",
        "full",
        "mask",
        "parent",
        "size",
        "sorted",
        "structure",
        "terms",
    )

    def __init__(
        self,
        structure: _Structure,
        terms: tuple[str, ...],
        base: list[int] | None = None,
        mask: int | None = None,
        full: bool = False,
        parent: tuple[_Structure, str] | None = None,
    ) -> None:
        self.structure = structure
        self.terms = terms
        self.base = base
        self.mask = mask
        self.full = full
        self.parent = parent
        """The cache key of the view this one narrowed (a superset of it)."""
        self.sorted: dict[str, list[int]] = {}
        self.counts: Counter[str] | None = None
        self.size = -1 if base is None else len(base)


_SORT_KEYS: dict[str, Callable[[Paper], Any]] = {
    "title": lambda p: plain_title(p.title).casefold(),
    "year": lambda p: _YEAR_KEY[p.year],
    "edited": lambda p: p.edited or p.added,
}
"""Each order sorts by (key, slot); "edited" by key descending."""


# ---------------------------------------------------------------- the library


class Library:
    """The papers of one log with the structures that make views instant."""

    def __init__(self, papers: Iterable[Paper] = ()) -> None:
        self.version = 0
        self._build(list(papers))

    def _build(self, papers: list[Paper]) -> None:
        n = len(papers)
        self._slots: list[Paper | None] = papers  # type: ignore[assignment]
        keys = list(map(_KEY, papers))
        self._hay: list[str] = []
        """Per slot, the ASCII text of its haystack; `_wide`: its non-ASCII runs."""
        self._wide: list[str] = []
        for start in range(0, n, _BUILD_CHUNK):
            # A chunk at a time: the whole haystacks of all papers at once, next to
            # their split forms, took 46 MB more at the peak for 100,000 papers.
            end = start + _BUILD_CHUNK
            for ascii_text, wide in map(
                split_haystack, _haystacks(papers[start:end], keys[start:end])
            ):
                self._hay.append(ascii_text)
                self._wide.append(wide)
        self._by_key: dict[str, int] = dict(zip(keys, range(n), strict=True))
        self._added: list[int] = list(range(n))
        """The live slots, ascending: the order added."""
        self._orders: dict[str, list[int]] = {}
        self._getters: dict[str, tuple[list[int], Callable[[Any], Any]]] = {}
        self._index: _Index | None = None
        self._full = _View(_NOTHING, (), base=self._added, full=True)
        self._views: dict[tuple[_Structure, str], _View] = {(_NOTHING, ""): self._full}
        self._mru: _View = self._full

    # ---------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> Paper | None:
        slot = self._by_key.get(key)
        return None if slot is None else self._slots[slot]

    def slot_of(self, key: str | None) -> int | None:
        """The slot that holds `key` (stable while the library lives)."""
        return None if key is None else self._by_key.get(key)

    def papers(self) -> list[Paper]:
        """All papers in the order they were added."""
        return list(map(self._slots.__getitem__, self._added))  # type: ignore[arg-type]

    def keys(self) -> set[str]:
        return set(self._by_key)

    def all_tags(self) -> Counter[str]:
        """Every tag with the number of papers carrying it."""
        return self._idx().totals

    def _idx(self) -> _Index:
        if self._index is None:
            self._index = _Index(self._slots, len(self._added) < len(self._slots))
        return self._index

    def _nbytes(self) -> int:
        return (len(self._slots) + 7) // 8

    # ---------------------------------------------------------------- changing

    def add(self, paper: Paper) -> None:
        if paper.key in self._by_key:
            raise KeyError(paper.key)
        slot = len(self._slots)
        self._slots.append(paper)
        ascii_text, wide = split_haystack(haystack(paper))
        self._hay.append(ascii_text)
        self._wide.append(wide)
        self._by_key[paper.key] = slot
        self._added = [*self._added, slot]
        self._changed(slot, None, paper)

    def replace(self, paper: Paper, old_key: str | None = None) -> None:
        """Put a changed paper in place of its old version (found by `old_key` if renamed)."""
        slot = self._by_key.pop(old_key or paper.key)
        old = self._slots[slot]
        self._slots[slot] = paper
        self._hay[slot], self._wide[slot] = split_haystack(haystack(paper))
        self._by_key[paper.key] = slot
        self._changed(slot, old, paper)

    def remove(self, key: str) -> Paper:
        slot = self._by_key.pop(key)
        paper = self._slots[slot]
        assert paper is not None
        self._slots[slot] = None
        self._hay[slot] = self._wide[slot] = ""
        added = self._added.copy()
        del added[bisect_left(added, slot)]
        self._added = added
        self._changed(slot, paper, None)
        return paper

    def position(self, key: str) -> int:
        """Where a paper stands in the order added (for undoing a delete)."""
        return bisect_left(self._added, self._by_key[key])

    def insert_at(self, position: int, paper: Paper) -> None:
        """Put a paper back at `position` of the order added (undo of a delete).

        Between two neighbours in the order added there are only holes, so when
        there is one the paper goes back into it and everything else stays;
        otherwise the library is rebuilt with the paper at that position.
        """
        added = self._added
        if position >= 0 and paper.key not in self._by_key:
            if position >= len(added):
                self.add(paper)
                return
            low = added[position - 1] + 1 if position else 0
            if low < added[position]:
                self._slots[low] = paper
                self._hay[low], self._wide[low] = split_haystack(haystack(paper))
                self._by_key[paper.key] = low
                self._added = [*added[:position], low, *added[position:]]
                self._changed(low, None, paper)
                return
        papers = self.papers()
        papers.insert(min(position, len(papers)), paper)
        self._build(papers)
        self.version += 1

    def _changed(self, slot: int, old: Paper | None, new: Paper | None) -> None:
        """Bring every derived structure up to date after one slot changed."""
        self.version += 1
        self._full.base = self._added
        if old is not None and old is new:
            # Changed in place: what it was is unknown, so start the derived parts afresh.
            self._index = None
            self._orders.clear()
            self._views = {(_NOTHING, ""): self._full}
            self._mru = self._full
            return
        if self._index is not None:
            self._index.update(slot, old, new)
        for sort, order in list(self._orders.items()):
            key = _SORT_KEYS[sort]
            old_key = None if old is None else key(old)
            new_key = None if new is None else key(new)
            if old_key != new_key:
                self._orders[sort] = self._relocate(order, sort, slot, old_key, new_key)
        self._patch_views(slot, old, new)

    def _patch_views(self, slot: int, old: Paper | None, new: Paper | None) -> None:
        """Keep the cached views exact: patch the current one, drop what would cost more."""
        bit = 1 << slot
        old_tags = set(old.tags) if old is not None else set()
        new_tags = set(new.tags) if new is not None else set()
        keys = {
            sort: (
                None if old is None else key(old),
                None if new is None else key(new),
            )
            for sort, key in _SORT_KEYS.items()
        }
        for vkey, view in list(self._views.items()):
            if view.full:
                continue
            was = self._has(view, slot, bit)
            now = new is not None and self._matches(view, slot, new, new_tags)
            if not (was or now):
                continue
            current = view is self._mru
            if was != now and not current:
                del self._views[vkey]
                continue
            if view.counts is not None and (was != now or old_tags != new_tags):
                counts = view.counts.copy()
                if was:
                    for tag in old_tags:
                        if counts[tag] <= 1:
                            del counts[tag]
                        else:
                            counts[tag] -= 1
                if now:
                    for tag in new_tags:
                        counts[tag] += 1
                view.counts = counts
            if was != now:
                view.size += 1 if now else -1
                if view.mask is not None:
                    view.mask ^= bit
                if view.base is not None:
                    base = view.base.copy()
                    if now:
                        base.insert(bisect_left(base, slot), slot)
                    else:
                        del base[bisect_left(base, slot)]
                    view.base = base
                for sort, lst in list(view.sorted.items()):
                    old_key, new_key = keys[sort]
                    view.sorted[sort] = self._relocate(
                        lst, sort, slot, old_key if was else None, new_key if now else None
                    )
            else:
                for sort, lst in list(view.sorted.items()):
                    old_key, new_key = keys[sort]
                    if old_key == new_key:
                        continue
                    if current:
                        view.sorted[sort] = self._relocate(lst, sort, slot, old_key, new_key)
                    else:
                        del view.sorted[sort]

    def _has(self, view: _View, slot: int, bit: int) -> bool:
        if view.mask is not None:
            return bool(view.mask & bit)
        base = view.base
        assert base is not None
        i = bisect_left(base, slot)
        return i < len(base) and base[i] == slot

    def _matches(self, view: _View, slot: int, paper: Paper, tags: set[str]) -> bool:
        want, mode, status, starred = view.structure
        if want and (tags.isdisjoint(want) if mode == "any" else not want <= tags):
            return False
        if status and paper.status != status:
            return False
        if starred and not paper.starred:
            return False
        return all(self._term_flags(term, (slot,))[0] for term in view.terms)

    def _relocate(
        self, order: list[int], sort: str, slot: int, old_key: Any, new_key: Any
    ) -> list[int]:
        """A copy of `order` with `slot` taken out at `old_key` and put in at `new_key`."""
        out = order.copy()
        if old_key is not None:
            i = self._locate(out, sort, old_key, slot)
            if i < len(out) and out[i] == slot:
                del out[i]
            else:  # not where its key says: the order was not kept exactly
                out.remove(slot)
        if new_key is not None:
            out.insert(self._locate(out, sort, new_key, slot), slot)
        return out

    def _locate(self, order: list[int], sort: str, key: Any, slot: int) -> int:
        """Where (key, slot) stands in `order`, which is sorted by (key, slot)."""
        key_of = _SORT_KEYS[sort]
        slots = self._slots
        descending = sort == "edited"
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            other = order[mid]
            if other == slot:
                return mid
            k = key_of(slots[other])  # type: ignore[arg-type]
            if (k > key if descending else k < key) or (k == key and other < slot):
                lo = mid + 1
            else:
                hi = mid
        return lo

    # ---------------------------------------------------------------- views

    def _order(self, sort: str) -> list[int]:
        """All live slots in `sort` order (stable: ties keep the order added)."""
        if sort not in _SORT_KEYS:
            return self._added
        order = self._orders.get(sort)
        if order is not None:
            return order
        live = self._added
        papers: list[Paper] = list(map(self._slots.__getitem__, live))  # type: ignore[arg-type]
        keys: list[Any]
        if sort == "title":
            titles = list(map(_TITLE, papers))
            for i in [
                i
                for i, t in enumerate(titles)
                if "\\" in t or "{" in t or "}" in t or "$" in t or "^" in t
            ]:
                titles[i] = plain_title(titles[i])
            keys = list(map(str.casefold, titles))
        elif sort == "year":
            keys = list(map(_YEAR_KEY.__getitem__, map(_YEAR, papers)))
        else:
            keys = [p.edited or p.added for p in papers]
        ranks = sorted(range(len(live)), key=keys.__getitem__, reverse=sort == "edited")
        order = self._orders[sort] = list(map(live.__getitem__, ranks))
        return order

    def _gather(self, sort: str, flags: bytearray, within: list[int] | None = None) -> list[int]:
        """The slots flagged in `flags`, in `sort` order: picked from `within` (a
        sorted superset) if given, else from the whole order."""
        if within is not None:
            if len(within) < 2:
                return [s for s in within if flags[s]]
            return list(compress(within, itemgetter(*within)(flags)))
        order = self._order(sort)
        if len(order) < 2:
            return [s for s in order if flags[s]]
        got = self._getters.get(sort)
        if got is None or got[0] is not order:
            got = self._getters[sort] = (order, itemgetter(*order))
        return list(compress(order, got[1](flags)))

    def view_slots(self, flt: Filter, sort: str = "added") -> list[int]:
        """Slots of the papers that pass `flt`, in `sort` order."""
        view = self._view(_structure(flt), flt.query.casefold().strip())
        self._mru = view
        if sort not in _SORT_KEYS:
            return self._base(view)
        if view.full:
            return self._order(sort)
        lst = view.sorted.get(sort)
        if lst is None:
            base = self._base(view)
            if len(base) < 2:
                lst = base
            elif len(base) == len(self._added):
                lst = self._order(sort)
            else:
                lst = self._gather(sort, self._flags(view), self._sorted_parent(view, sort))
            view.sorted[sort] = lst
        return lst

    def _sorted_parent(self, view: _View, sort: str) -> list[int] | None:
        """The sorted list of the (still cached, so still exact) view `view` narrowed."""
        parent = None if view.parent is None else self._views.get(view.parent)
        if parent is None or parent.full:
            return None
        return parent.sorted.get(sort)

    def _view(self, structure: _Structure, query: str) -> _View:
        views = self._views
        view = views.pop((structure, query), None)
        if view is not None:
            views[(structure, query)] = view  # now the most recent
            return view
        if query and structure != _NOTHING:
            plain = views.get((_NOTHING, query))
            if plain is not None:
                # Same query without the tags, status or star (a toggle after typing):
                # no scan, just the two bitmasks ANDed.
                narrowed = self._view(structure, "")
                mask = self._mask(plain) & self._mask(narrowed)
                view = _View(structure, plain.terms, mask=mask, parent=(_NOTHING, query))
                view.size = mask.bit_count()
                views[(structure, query)] = view
                self._trim(view)
                return view
        parent = None
        for k in range(len(query) - 1, 0, -1):
            # A longer query can only match a subset of what a shorter one matched.
            parent_key = (structure, query[:k])
            parent = views.get(parent_key)
            if parent is not None:
                break
        if parent is None:
            parent_key = (structure, "")
            parent = views.pop(parent_key, None) or self._structured(structure)
            views[parent_key] = parent
            if not query:
                return parent
        terms = tuple(dict.fromkeys(query.split()))
        view = self._search(parent, terms)
        view.parent = parent_key
        views[(structure, query)] = view
        self._trim(view)
        return view

    def _trim(self, keep: _View) -> None:
        """Forget the least recently used views beyond the bounds (never `keep` or the MRU)."""
        views = self._views
        total = sum(max(v.size, 0) * (1 + len(v.sorted)) for v in views.values())
        if len(views) <= _MAX_VIEWS and total <= _MAX_VIEW_ITEMS:
            return
        for vkey, view in list(views.items()):
            if len(views) <= _MAX_VIEWS and total <= _MAX_VIEW_ITEMS:
                break
            if view is keep or view is self._mru or view.full:
                continue
            del views[vkey]
            total -= max(view.size, 0) * (1 + len(view.sorted))

    def _structured(self, structure: _Structure) -> _View:
        """Tags, status and star: the parts of a filter that are not text."""
        if structure == _NOTHING:
            return self._full
        tags, mode, status, starred = structure
        idx = self._idx()
        mask = idx.live
        if tags:
            if mode == "any":
                anyof = 0
                for tag in tags:
                    anyof |= idx.tags.get(tag, 0)
                mask &= anyof
            else:
                for tag in tags:
                    mask &= idx.tags.get(tag, 0)
        if status:
            mask &= idx.status[status]
        if starred:
            mask &= idx.starred
        view = _View(structure, (), mask=mask)
        view.size = mask.bit_count()
        return view

    def _term_flags(self, term: str, slots: Sequence[int] | None = None) -> bytes:
        """One byte per slot of `slots` (every slot if None): 1 where the paper's
        haystack holds `term` (see `split_haystack`; holes hold nothing)."""
        if term.isascii() and "?" not in term:
            column = self._hay
        elif not _ASCII_RUNS.search(term):
            column = self._wide
        else:
            return self._mixed_term_flags(term, slots)
        texts = column if slots is None else map(column.__getitem__, slots)
        return bytes(map(contains, texts, repeat(term)))

    def _mixed_term_flags(self, term: str, slots: Sequence[int] | None) -> bytes:
        """`_term_flags` for a term with ASCII and non-ASCII (or `?`) in it: the
        papers holding each piece, then the whole term in their whole haystack."""
        where = list(range(len(self._slots)) if slots is None else slots)
        left = list(range(len(where)))
        hay, wide = self._hay, self._wide
        for piece in [p for run in _ASCII_RUNS.findall(term) for p in run.split("?") if p]:
            left = [i for i in left if piece in hay[where[i]]]
        for piece in _WIDE_RUNS.findall(term):
            left = [i for i in left if piece in wide[where[i]]]
        flags = bytearray(len(where))
        for i in left:
            paper = self._slots[where[i]]
            if paper is not None and term in haystack(paper):
                flags[i] = 1
        return bytes(flags)

    def _search(self, parent: _View, terms: tuple[str, ...]) -> _View:
        """The papers of `parent` whose haystack holds every one of `terms`."""
        new = sorted((t for t in terms if t not in parent.terms), key=len, reverse=True)
        if not new:  # the same papers (a repeated term)
            view = _View(parent.structure, terms, parent.base, parent.mask)
            view.size = parent.size
            view.counts = parent.counts
            return view
        nbytes = self._nbytes()
        structure = parent.structure
        if parent.full or (parent.mask is not None and 20 * parent.size > 19 * len(self._added)):
            # (Nearly) all papers: scan the haystacks in memory order (holes are "" and match
            # nothing), then keep those in the parent.
            flags: bytes | bytearray = self._term_flags(new[0])
            mask = _pack(flags + bytes(8 * nbytes - len(flags)))
            if not parent.full:
                assert parent.mask is not None
                mask &= parent.mask
                flags = _unpack(mask, nbytes)
            slots = list(compress(range(len(flags)), flags))
            if len(new) == 1:
                return _View(structure, terms, slots, mask)
            for term in new[1:]:
                slots = list(compress(slots, self._term_flags(term, slots)))
            return _View(structure, terms, slots)
        candidates = self._base(parent)
        if len(new) > 1:
            slots = candidates
            for term in new:
                slots = list(compress(slots, self._term_flags(term, slots)))
            return _View(structure, terms, slots)
        keep = self._term_flags(new[0], candidates)
        slots = list(compress(candidates, keep))
        view = _View(structure, terms, slots)
        if parent.mask is not None and 2 * len(slots) > len(candidates):
            # Few dropped (typing on in a word): take them out of the parent's bitmask
            # and, when there are not many, their tags out of the parent's counts.
            dropped = list(compress(candidates, keep.translate(_FLIP)))
            view.mask = parent.mask ^ _pack(_scatter(dropped, nbytes))
            if parent.counts is not None and len(dropped) <= _FEW:
                slots_ = self._slots
                counts = parent.counts.copy()
                counts.subtract(
                    chain.from_iterable(map(set, map(_TAGS, map(slots_.__getitem__, dropped))))
                )
                view.counts = +counts
        return view

    def _base(self, view: _View) -> list[int]:
        if view.base is None:
            assert view.mask is not None
            base = list(compress(range(len(self._slots)), _unpack(view.mask, self._nbytes())))
            view.base = base
            view.size = len(base)
        return view.base

    def _flags(self, view: _View) -> bytearray:
        """One byte per slot: 1 for the view's papers."""
        if view.mask is not None:
            return _unpack(view.mask, self._nbytes())
        assert view.base is not None
        flags = _scatter(view.base, self._nbytes())
        view.mask = _pack(flags)
        return flags

    def view(self, flt: Filter = Filter(), sort: str = "added") -> list[Paper]:
        return list(map(self._slots.__getitem__, self.view_slots(flt, sort)))  # type: ignore[arg-type]

    def paper_at(self, slot: int) -> Paper:
        paper = self._slots[slot]
        assert paper is not None
        return paper

    def tag_counts(self, slots: Sequence[int]) -> Counter[str]:
        """How many of the given papers carry each tag.

        For all papers that is `all_tags()`; for a list `view_slots` returned it
        is counted from the view's bitmask once and kept with the view.
        """
        if len(slots) == len(self._added):
            return self.all_tags()
        view = self._view_of(slots)
        if view is None:
            papers = self._slots
            return Counter(
                chain.from_iterable(
                    set(p.tags) for p in map(papers.__getitem__, slots) if p is not None
                )
            )
        if view.counts is None:
            idx = self._idx()
            if len(idx.tags) * self._nbytes() > 1000 * len(slots):
                # Few papers (or very many tags): count their tags directly.
                papers = self._slots
                view.counts = Counter(
                    chain.from_iterable(map(set, map(_TAGS, map(papers.__getitem__, slots))))
                )
            else:
                mask = view.mask if view.mask is not None else self._mask(view)
                counts: Counter[str] = Counter()
                for tag, tag_mask in idx.tags.items():
                    n = (mask & tag_mask).bit_count()
                    if n:
                        counts[tag] = n
                view.counts = counts
        return view.counts

    def _mask(self, view: _View) -> int:
        if view.full:
            return self._idx().live  # (not kept on the view: it changes with every add)
        if view.mask is None:
            self._flags(view)
        assert view.mask is not None
        return view.mask

    def _view_of(self, slots: Sequence[int]) -> _View | None:
        """The cached view `slots` is a list of, if it still is one."""
        for view in reversed(self._views.values()):
            if slots is view.base or any(slots is lst for lst in view.sorted.values()):
                return view
        return None
