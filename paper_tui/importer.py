"""Deciding what an import does to the log, before anything is written.

The screens show the plan ("12 added, 3 merged, 1 skipped") and the problems,
and the store applies it only when the user agrees; so planning is pure.

A paper already in the log is never copied a second time. It is recognised by
its arXiv id, its DOI, or its title folded by `normalize_title`; a title match
does not count when the two papers carry different arXiv ids or DOIs, because
generic titles ("A Survey of Transformers") are shared by different papers.
Merging only fills what the log leaves empty: the user's own words and choices
(comment, status, stars, key) are never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .model import (
    FILLABLE_FIELDS,
    Paper,
    ValidationError,
    base_key,
    normalize_arxiv_id,
    normalize_doi,
    normalize_tags,
    normalize_title,
    now_iso,
    today_iso,
    unique_key,
    validate_key,
)

_FILLABLE = ("year", *FILLABLE_FIELDS)
_NEAR_TITLE = 0.85
_PREFIX = 12


@dataclass(slots=True)
class ImportPlan:
    """What importing would do: new papers, merged (old, new) pairs, skips with reasons."""

    added: list[Paper] = field(default_factory=list)
    merged: list[tuple[Paper, Paper]] = field(default_factory=list)
    skipped: list[tuple[Paper, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{len(self.added)} added, {len(self.merged)} merged, {len(self.skipped)} skipped"
        if self.problems:
            count = len(self.problems)
            text += f", {count} problem{'s' if count != 1 else ''}"
        return text


def _arxiv(value: str) -> str:
    return normalize_arxiv_id(value) or value.strip()


def _doi(value: str) -> str:
    """DOIs are case-insensitive, and may come as a doi.org address."""
    return (normalize_doi(value) or value.strip()).lower()


def _ids(paper: Paper) -> tuple[str, str, str]:
    """(arXiv id, DOI, folded title) with the forms that compare equal made equal."""
    return _arxiv(paper.arxiv_id), _doi(paper.doi), normalize_title(paper.title)


def _conflict(a: Paper, b: Paper) -> bool:
    """True when both papers carry an identifier and the identifiers differ."""
    a_arxiv, a_doi, _ = _ids(a)
    b_arxiv, b_doi, _ = _ids(b)
    return bool(
        (a_arxiv and b_arxiv and a_arxiv != b_arxiv) or (a_doi and b_doi and a_doi != b_doi)
    )


def _fill(target: Paper, source: Paper, claimed: Callable[[str, str], bool]) -> bool:
    """Fill `target`'s empty fields from `source` in place; True if anything changed.

    An arXiv id or DOI that `claimed` says belongs to another paper is not
    copied: two papers with one identifier would make later imports ambiguous.
    """
    changed = False
    if not target.authors and source.authors:
        target.authors = list(source.authors)
        changed = True
    for name in _FILLABLE:
        value = getattr(source, name)
        if getattr(target, name) or not value:
            continue
        if (name == "url" and value == target.link) or (
            name == "entry_type" and value == target.kind
        ):
            continue  # what the paper already implies (an exported link or entry type)
        if name in ("arxiv_id", "doi") and claimed(name, value):
            continue
        setattr(target, name, value)
        changed = True
    if not target.comment.strip() and source.comment.strip():
        target.comment = source.comment
        changed = True
    tags = normalize_tags([*target.tags, *source.tags])
    if tags != target.tags:
        target.tags = tags
        changed = True
    for key, value in source.extra.items():
        if key not in target.extra:
            target.extra[key] = value
            changed = True
    return changed


class _Index:
    """Papers by arXiv id, DOI and folded title; a slot is a position in `papers`."""

    def __init__(self) -> None:
        self.papers: list[Paper] = []
        self.by_arxiv: dict[str, int] = {}
        self.by_doi: dict[str, int] = {}
        self.by_title: dict[str, list[int]] = {}
        self.by_prefix: dict[str, list[int]] = {}

    def add(self, paper: Paper) -> int:
        slot = len(self.papers)
        self.papers.append(paper)
        self.index(slot)
        return slot

    def index(self, slot: int) -> None:
        arxiv, doi, title = _ids(self.papers[slot])
        if arxiv:
            self.by_arxiv.setdefault(arxiv, slot)
        if doi:
            self.by_doi.setdefault(doi, slot)
        if title:
            slots = self.by_title.setdefault(title, [])
            if slot not in slots:
                slots.append(slot)
                self.by_prefix.setdefault(title[:_PREFIX], []).append(slot)

    def claimed_by_other(self, slot: int) -> Callable[[str, str], bool]:
        def claimed(name: str, value: str) -> bool:
            if name == "arxiv_id":
                owner = self.by_arxiv.get(_arxiv(value))
            else:
                owner = self.by_doi.get(_doi(value))
            return owner is not None and owner != slot

        return claimed

    def find(self, paper: Paper) -> int | None:
        arxiv, doi, title = _ids(paper)
        if arxiv and arxiv in self.by_arxiv:
            return self.by_arxiv[arxiv]
        if doi and doi in self.by_doi:
            return self.by_doi[doi]
        for slot in self.by_title.get(title, []) if title else []:
            if not _conflict(self.papers[slot], paper):
                return slot
        return None

    def near(self, paper: Paper, limit: int) -> Paper | None:
        """A paper among the first `limit` whose title is almost the same (a typo), if any."""
        title = normalize_title(paper.title)
        if len(title) < _PREFIX:
            return None
        for slot in self.by_prefix.get(title[:_PREFIX], []):
            other = self.papers[slot]
            if slot >= limit or normalize_title(other.title) == title:
                continue
            if SequenceMatcher(None, title, normalize_title(other.title)).ratio() >= _NEAR_TITLE:
                return other
        return None


def _label(paper: Paper) -> str:
    title = " ".join(paper.title.split())
    return title if len(title) <= 60 else title[:57] + "..."


def find_duplicate(existing: Sequence[Paper], paper: Paper) -> Paper | None:
    """The paper of `existing` that `paper` is a copy of, by the rules imports use.

    For adding one paper by hand: the caller shows the existing one instead.
    """
    index = _Index()
    for other in existing:
        index.add(other)
    slot = index.find(paper)
    return None if slot is None else existing[slot]


def plan_import(
    existing: Sequence[Paper], incoming: Sequence[Paper], extra_tags: Iterable[str] = ()
) -> ImportPlan:
    """What importing `incoming` into a log holding `existing` would add, merge and skip.

    `extra_tags` are given to the papers that are added (not to ones already in
    the log, whose tags the user chose). Inputs are not modified.
    """
    plan = ImportPlan()
    extra = normalize_tags(extra_tags)
    index = _Index()  # the log's papers, then the ones this import adds
    for paper in existing:
        index.add(paper)
    logged = len(existing)
    copied: set[int] = set()  # log slots whose paper was replaced by a merged copy
    merged_order: list[int] = []
    origin: dict[int, int] = {}  # slot of an added paper -> its entry number
    taken = {p.key for p in existing}
    for number, paper in enumerate(incoming, start=1):
        title = " ".join(paper.title.split())
        if not title:
            plan.problems.append(f"entry {number}: no title, skipped")
            continue
        slot = index.find(paper)
        if slot is not None and slot < logged:
            if slot not in copied:
                index.papers[slot] = index.papers[slot].copy()
            current = index.papers[slot]
            if _fill(current, paper, index.claimed_by_other(slot)):
                current.edited = now_iso()
                if slot not in copied:
                    copied.add(slot)
                    merged_order.append(slot)
                index.index(slot)
            else:
                if slot not in copied:
                    index.papers[slot] = existing[slot]
                plan.skipped.append((paper, f"already in the log as {current.key}"))
            continue
        if slot is not None:
            changed = _fill(index.papers[slot], paper, index.claimed_by_other(slot))
            if changed:
                index.index(slot)
            how = "its details were merged into it" if changed else "nothing new in it"
            plan.skipped.append(
                (paper, f"same paper as entry {origin[slot]} of this import; {how}")
            )
            continue
        new = paper.copy(title=title)
        new.key = _new_key(paper, taken)
        taken.add(new.key)
        new.tags = normalize_tags([*paper.tags, *extra])
        new.added = paper.added or today_iso()
        near = index.near(new, logged)
        if near is not None:
            plan.problems.append(
                f"entry {number}: {_label(new)!r} looks like {near.key} ({_label(near)!r}) "
                "but the titles differ; added as a new paper"
            )
        origin[index.add(new)] = number
        plan.added.append(new)
    plan.merged = [(existing[slot], index.papers[slot]) for slot in merged_order]
    return plan


def _new_key(paper: Paper, taken: set[str]) -> str:
    """The file's own key when it is valid and free, else `lastnameYEARword` made unique."""
    if paper.key:
        try:
            key = validate_key(paper.key)
        except ValidationError:
            key = ""
        if key and key not in taken:
            return key
    return unique_key(base_key(paper.authors, paper.year, paper.title), taken)
