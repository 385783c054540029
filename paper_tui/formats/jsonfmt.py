"""JSON: a list of papers in their on-disk form, or a whole paper-tui (TinyDB) log.

Export writes the same records the log stores, so nothing is lost, and import
accepts a log file too: that is how two logs are merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ..model import Paper, ValidationError
from . import FormatError, ParseResult


def export(papers: list[Paper]) -> str:
    """A JSON list of `to_dict()` records: UTF-8, indented, one field per line."""
    return orjson.dumps([p.to_dict() for p in papers], option=orjson.OPT_INDENT_2).decode() + "\n"


def _documents(data: Any) -> list[tuple[str, Any]]:
    """(label, record) pairs from a list, or from a log's `papers` table in document order."""
    if isinstance(data, list):
        return [(f"entry {i}", doc) for i, doc in enumerate(data, start=1)]
    if isinstance(data, dict) and "papers" in data:
        table = data["papers"]
        if isinstance(table, list):
            return _documents(table)
        if isinstance(table, dict):
            ordered = sorted(table.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else -1)
            return [(f"document {doc_id}", doc) for doc_id, doc in ordered]
        raise FormatError("the 'papers' table is neither an object nor a list.")
    found = type(data).__name__
    raise FormatError(
        f"expected a JSON list of papers or a paper-tui log with a 'papers' table, found {found}."
    )


def _paper(doc: Any) -> Paper:
    """A paper from one record; a missing key is allowed (the importer gives one)."""
    if not isinstance(doc, Mapping):
        raise ValidationError(f"a paper must be a JSON object, not {type(doc).__name__}")
    key = doc.get("key")
    if isinstance(key, str) and key:
        return Paper.from_dict(doc)
    paper = Paper.from_dict({**doc, "key": "_"})
    paper.key = ""
    return paper


def parse(text: str) -> ParseResult:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if exc.lineno else ""
        raise FormatError(f"not valid JSON{where}: {exc.msg}.") from None
    result = ParseResult()
    for label, doc in _documents(data):
        try:
            result.papers.append(_paper(doc))
        except ValidationError as exc:
            result.problems.append(f"{label}: {exc}, skipped")
    return result
