"""Filtering, searching, sorting and tag counts over the papers: pure and fast.

`Library` holds the papers in slots that never move (a deleted paper leaves a
hole), so every derived structure can be indexed by slot: the casefolded search
text, the tag sets and the sort orders. It is built once per load (about
0.2 s for 100,000 papers here) and then kept current paper by paper; a
keystroke in the search box costs one pass of `str.__contains__` over the
candidates, and narrowing a query only re-checks the previous matches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from .model import STATUSES, Paper, plain_text

SORTS: dict[str, str] = {
    "added": "order added",
    "title": "title",
    "year": "year (newest first)",
    "edited": "last edited",
}
TAG_MODES = ("all", "any")


def haystack(paper: Paper) -> str:
    """Everything a search looks at, casefolded once."""
    return "\n".join(
        (
            plain_text(paper.title),
            paper.title,
            " ".join(paper.authors),
            paper.comment,
            " ".join(paper.tags),
            paper.key,
            paper.venue,
            paper.arxiv_id,
            str(paper.year or ""),
        )
    ).casefold()


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


class Library:
    """The papers of one log with the structures that make views instant."""

    def __init__(self, papers: Iterable[Paper] = ()) -> None:
        self._slots: list[Paper | None] = list(papers)
        self._hay: list[str] = [haystack(p) for p in self._slots if p is not None]
        self._tags: list[frozenset[str]] = [frozenset(p.tags) for p in self._slots if p]
        self._by_key: dict[str, int] = {p.key: i for i, p in enumerate(self._slots) if p}
        self._orders: dict[str, list[int]] = {}
        self._totals: Counter[str] | None = None
        self._last: tuple[Filter, str, list[int]] | None = None
        self.version = 0

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
        return [p for p in self._slots if p is not None]

    def keys(self) -> set[str]:
        return set(self._by_key)

    def all_tags(self) -> Counter[str]:
        """Every tag with the number of papers carrying it."""
        if self._totals is None:
            self._totals = Counter(chain.from_iterable(self._tags[i] for i in self._live()))
        return self._totals

    def _live(self) -> list[int]:
        return self._order("added")

    # ---------------------------------------------------------------- changing

    def _changed(self) -> None:
        self._orders.clear()
        self._totals = None
        self._last = None
        self.version += 1

    def add(self, paper: Paper) -> None:
        if paper.key in self._by_key:
            raise KeyError(paper.key)
        self._slots.append(paper)
        self._hay.append(haystack(paper))
        self._tags.append(frozenset(paper.tags))
        self._by_key[paper.key] = len(self._slots) - 1
        self._changed()

    def replace(self, paper: Paper, old_key: str | None = None) -> None:
        """Put a changed paper in place of its old version (found by `old_key` if renamed)."""
        slot = self._by_key.pop(old_key or paper.key)
        self._slots[slot] = paper
        self._hay[slot] = haystack(paper)
        self._tags[slot] = frozenset(paper.tags)
        self._by_key[paper.key] = slot
        self._changed()

    def remove(self, key: str) -> Paper:
        slot = self._by_key.pop(key)
        paper = self._slots[slot]
        assert paper is not None
        self._slots[slot] = None
        self._hay[slot] = ""
        self._tags[slot] = frozenset()
        self._changed()
        return paper

    def position(self, key: str) -> int:
        """Where a paper stands in the order added (for undoing a delete)."""
        slot = self._by_key[key]
        return sum(1 for p in self._slots[:slot] if p is not None)

    def insert_at(self, position: int, paper: Paper) -> None:
        """Put a paper back at `position` of the order added (undo of a delete)."""
        papers = self.papers()
        papers.insert(min(position, len(papers)), paper)
        self.__init__(papers)  # type: ignore[misc]
        self._changed()

    # ---------------------------------------------------------------- views

    def _order(self, sort: str) -> list[int]:
        order = self._orders.get(sort)
        if order is not None:
            return order
        live = [i for i, p in enumerate(self._slots) if p is not None]
        slots = self._slots
        if sort == "title":
            live.sort(key=lambda i: plain_text(slots[i].title).casefold())  # type: ignore[union-attr]
        elif sort == "year":
            live.sort(key=lambda i: -(slots[i].year or 0))  # type: ignore[union-attr]
        elif sort == "edited":
            live.sort(
                key=lambda i: slots[i].edited or slots[i].added,  # type: ignore[union-attr]
                reverse=True,
            )
        self._orders[sort] = live
        return live

    def view_slots(self, flt: Filter, sort: str = "added") -> list[int]:
        """Slots of the papers that pass `flt`, in `sort` order."""
        last = self._last
        candidates = self._order(sort)
        query = flt.query.casefold().strip()
        if (
            last is not None
            and last[1] == sort
            and last[0].tags == flt.tags
            and last[0].tag_mode == flt.tag_mode
            and last[0].status == flt.status
            and last[0].starred == flt.starred
            and query.startswith(last[0].query.casefold().strip())
        ):
            # A longer query can only match a subset of what the shorter one matched.
            candidates = last[2]
            if query == last[0].query.casefold().strip():
                return candidates
        else:
            candidates = self._structured(candidates, flt)
        for term in query.split():
            hay = self._hay
            candidates = [i for i in candidates if term in hay[i]]
        self._last = (flt, sort, candidates)
        return candidates

    def _structured(self, candidates: list[int], flt: Filter) -> list[int]:
        """Tags, status and star: the parts of a filter that are not text."""
        if flt.tags:
            want = flt.tags
            tags = self._tags
            if flt.tag_mode == "any":
                candidates = [i for i in candidates if not want.isdisjoint(tags[i])]
            else:
                candidates = [i for i in candidates if want <= tags[i]]
        slots = self._slots
        if flt.status in STATUSES:
            candidates = [i for i in candidates if slots[i].status == flt.status]  # type: ignore[union-attr]
        if flt.starred:
            candidates = [i for i in candidates if slots[i].starred]  # type: ignore[union-attr]
        return candidates

    def view(self, flt: Filter = Filter(), sort: str = "added") -> list[Paper]:
        slots = self._slots
        return [slots[i] for i in self.view_slots(flt, sort)]  # type: ignore[misc]

    def paper_at(self, slot: int) -> Paper:
        paper = self._slots[slot]
        assert paper is not None
        return paper

    def tag_counts(self, slots: Sequence[int]) -> Counter[str]:
        """How many of the given papers carry each tag (all papers: cached)."""
        if len(slots) == len(self._by_key):
            return self.all_tags()
        tags = self._tags
        return Counter(chain.from_iterable(tags[i] for i in slots))
