"""The reading log on disk: the only module that touches TinyDB and the log's files.

The log is a TinyDB JSON file with two tables, `meta` (the schema version) and
`papers`. Stock TinyDB rewrites the file in place with the standard json module
on every change, so a crash mid-write truncates it and two copies of the app
overwrite each other. `AtomicJSONStorage` keeps TinyDB's API and file format but:

* parses the file once (orjson, a piece at a time: `_parse_in_pieces`) and
  keeps the tables in memory;
* writes a temporary file in the same folder (serialised a piece at a time:
  `_dump_pieces`), fsyncs it, renames it over the log and fsyncs the folder, so
  a kill at any moment leaves the old file or the new one, never a torn one;
* keeps the previous file as `<log>.bak` (a hard link to it where the file
  system allows) before the first write of a session;
* refuses to write when the file changed on disk since it was read.

Saving an edit writes the changed documents straight into the storage's table
(`Store.update_many`) rather than through TinyDB's `Table.update`, which
converts every document id of the table twice; adding and removing papers go
through TinyDB's table API.

A kill in the middle of a write can leave its temporary file behind
(`.<log name>.<random>.tmp`, next to the log). The log itself is never affected;
`Store.open` removes such leftovers once it holds the lock and they are older
than `STALE_TEMP_AGE` seconds, so they cannot pile up.

`Store` adds what TinyDB has no notion of: a lock against a second copy of the
app, read-only opening with a reason, schema migration, and drafts.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import secrets
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import attrgetter, itemgetter, lt, setitem
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from .model import SCHEMA_VERSION, Paper, ValidationError, base_key, unique_key

PAPERS = "papers"
META = "meta"
_SPLICED = "\x00paper-tui: the papers table goes here\x00"
"""Stands for the `papers` table while the rest of the file is parsed or dumped."""
STALE_TEMP_AGE = 60.0
"""Seconds after which a leftover temporary file of a killed write is removed on open."""
FREEZE_MIN_PAPERS = 5_000
"""From this size on, `Store.open` ends with `gc.freeze()` (see `_collector_paused`)."""
_ABSENT = object()
"""In an undo log: the key was not in the dict."""


class StoreError(Exception):
    """A problem with the log file, worded for the user (no traceback needed)."""


class LoadError(StoreError):
    """The file cannot be read as a reading log."""


class SaveError(StoreError):
    """A write did not reach the disk; the file on disk is unchanged."""


class ConflictError(SaveError):
    """The file changed on disk since it was read; saving would lose those changes."""


@dataclass(frozen=True, slots=True)
class Stamp:
    """What identifies one version of the file on disk."""

    mtime_ns: int
    size: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> Stamp | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return cls(st.st_mtime_ns, st.st_size, st.st_ino)


def dumps(data: Any) -> bytes:
    """The on-disk JSON: UTF-8 (Japanese unescaped), indented, key order as given.

    The final newline comes from orjson (OPT_APPEND_NEWLINE): `+ b"\\n"` would copy
    the whole payload once more (37 ms at 100,000 papers).
    """
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


_PIECE_DOCS = 1000
"""Documents serialised per piece by `_dump_pieces`."""
_PIECE_OPEN = b'{\n  "papers": {'
_PIECE_CLOSE = b"\n  }\n}"


def _dump_pieces(data: dict[str, Any]) -> Iterator[bytes | memoryview]:
    """`dumps(data)` in pieces, as `write_atomic` writes them: the same bytes, in order.

    A whole payload is one more copy of the log in memory during each save (86
    MB at 100,000 papers), and one large orjson call is slower than many small
    ones whose output stays in the CPU caches (about 60 ms instead of 90 ms for
    100,000 papers). The `papers` table goes `_PIECE_DOCS` documents at a time,
    each run dumped as `{"papers": {...}}`, which puts its documents at the
    indentation they have in the whole file, and cut out of that wrapper; the
    rest of the file is dumped with the table replaced by a placeholder, which
    marks where the pieces go.
    """
    table = data.get(PAPERS)
    if not isinstance(table, dict) or not table:
        yield dumps(data)
        return
    skeleton = dumps({**data, PAPERS: _SPLICED})
    placeholder = orjson.dumps(_SPLICED)
    at = skeleton.index(b'\n  "papers": ' + placeholder) + len(b'\n  "papers": ')
    yield memoryview(skeleton)[:at]
    yield b"{"
    items = iter(table.items())
    separator = b""
    while run := dict(islice(items, _PIECE_DOCS)):
        dumped = orjson.dumps({PAPERS: run}, option=orjson.OPT_INDENT_2)
        yield separator
        separator = b","
        yield memoryview(dumped)[len(_PIECE_OPEN) : -len(_PIECE_CLOSE)]
    yield b"\n  }"
    yield memoryview(skeleton)[at + len(placeholder) :]


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _why(exc: BaseException | None) -> str:
    """The reason an OS call failed, in words for the user."""
    if not isinstance(exc, OSError):
        return str(exc) if exc is not None else "unknown error"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


def _describe_os_error(exc: OSError, path: Path, doing: str) -> str:
    return f"Could not {doing} {path}: {_why(exc)}."


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def write_atomic(
    path: Path, payload: bytes | Iterable[bytes | memoryview], *, mode: int | None = None
) -> Stamp:
    """Replace `path` with `payload` so that a crash leaves the old or the new file.

    `payload` is the file's bytes, or pieces of them written one after another
    (`_dump_pieces`); an error raised while the pieces are made leaves the file
    untouched too.

    Written by hand because no well-kept library does all of: same-folder temp
    file, fsync of file and folder, keeping the file's permissions, and cleaning
    up after ENOSPC. Raises SaveError with the file untouched on failure.

    The temporary file is created with 0o666 so the kernel applies the umask for
    a new file (no process-wide `os.umask` juggling, which races with threads);
    an existing file's permissions are copied. The returned stamp comes from the
    written descriptor, so a write by someone else right after the rename is
    still seen as a change on disk.
    """
    folder = path.parent
    if mode is None:
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE(path.stat().st_mode)
    tmp_name = ""
    try:
        while True:
            tmp_name = str(folder / f"{_temp_prefix(path)}{secrets.token_hex(6)}.tmp")
            try:
                fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            except OSError:
                tmp_name = ""
                raise
            break
        try:
            pieces = (payload,) if isinstance(payload, bytes | bytearray | memoryview) else payload
            for piece in pieces:
                view = memoryview(piece)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            if mode is not None:
                os.fchmod(fd, mode)
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
        tmp_name = ""
        _fsync_dir(folder)
    except OSError as exc:
        raise SaveError(_describe_os_error(exc, path, "save")) from exc
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return Stamp(st.st_mtime_ns, st.st_size, st.st_ino)


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off while a log is parsed and its papers built.

    Loading 100,000 papers makes about a million container objects (documents,
    lists, papers), none of them garbage and none in a reference cycle, yet each
    batch of new objects triggers a collection that walks the growing heap: 1.3 s
    of full collections in a 2.7 s load. Reference counting still frees
    everything as usual meanwhile. Nested or concurrent loads (threads) share one
    pause; the collector is switched back on, if it was on, when the last ends.

    After a successful load of `FREEZE_MIN_PAPERS` or more, `Store.open` also
    calls `gc.freeze()`: it moves every object alive at that moment, the log's
    included, into a permanent generation that later collections never walk, so
    the app does not pay a full scan of the log (~0.1 s at 100,000 papers) every
    now and then for as long as it runs. Frozen objects are still freed by
    reference counting when the store goes (the log's objects form no cycles);
    only garbage cycles that exist at that very moment would stay, which is why
    small logs, where a scan costs next to nothing, are not frozen: a test run
    opens hundreds of them.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _remove_stale_temps(path: Path, max_age: float = STALE_TEMP_AGE) -> None:
    """Delete temporary files of writes that were killed (see the module docstring).

    Only called while holding the log's lock, so no live paper-tui is writing them;
    the age check also spares a writer that opened the log with `lock=False`.
    """
    prefix = _temp_prefix(path)
    cutoff = time.time() - max_age
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)


def _is_writable(path: Path) -> bool:
    """Writable by us, and not marked read-only by its owner.

    `os.access` is always true for root, who ignores permission bits; a file or
    folder whose mode has no write bit for anyone was made read-only on purpose,
    so it is treated as read-only for root too.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & 0o222)


class AtomicJSONStorage(Storage):
    """A TinyDB storage that reads once and writes atomically (see module docstring)."""

    def __init__(self, path: Path, data: dict[str, Any], stamp: Stamp | None) -> None:
        self.path = path
        self.data = data
        self.stamp = stamp
        self.backed_up = False
        self.deferred = 0
        self.pending = False
        self.readonly_reason: str | None = None

    def read(self) -> dict[str, Any]:
        return self.data

    def write(self, data: dict[str, Any]) -> None:
        self.data = data
        if self.deferred:
            self.pending = True
            return
        self.flush()

    def flush(self) -> None:
        """Write the tables to disk now (after the checks that protect the file)."""
        if self.readonly_reason:
            raise SaveError(f"Not saved: {self.readonly_reason}.")
        current = Stamp.of(self.path)
        if current != self.stamp:
            raise ConflictError(
                f"Not saved: {self.path} changed on disk since it was loaded "
                "(another program or a second paper-tui wrote it)."
            )
        backup: _Backup | None = None
        if not self.backed_up and current is not None:
            backup = _Backup.make(self.path)
        try:
            self.stamp = write_atomic(self.path, _dump_pieces(self.data))
        except BaseException as exc:
            if backup is not None:
                backup.undo()
            if isinstance(exc, TypeError):  # orjson.JSONEncodeError, e.g. a lone surrogate
                raise SaveError(f"Not saved: the log cannot be written as JSON ({exc}).") from exc
            raise
        if backup is not None:
            backup.keep()
            self.backed_up = True
        self.pending = False


class _Backup:
    """`<log>.bak`: the log as it was before the first write of a session.

    Made as a hard link to the log: the backup is the current file itself (same
    bytes, same permissions) in about a millisecond, where copying 86 MB took
    0.1-0.6 s of the first save. Nothing writes to that file afterwards, since a
    save writes a new file and renames it over the log's name. Where the file
    system has no hard links, the log is copied as before. If the save then
    fails, `undo` removes the new backup and puts back the one it replaced, so a
    failed save changes nothing at all.
    """

    def __init__(self, path: Path, aside: str | None) -> None:
        self.path = path
        self.aside = aside

    @classmethod
    def make(cls, log: Path) -> _Backup:
        path = log.with_name(log.name + ".bak")
        aside: str | None = None
        try:
            if os.path.lexists(path):
                aside = str(path.parent / f"{_temp_prefix(path)}{secrets.token_hex(6)}.tmp")
                os.replace(path, aside)
            backup = cls(path, aside)
        except OSError as exc:
            raise SaveError(
                f"Not saved: could not keep the previous version of {log} "
                f"as {path.name}: {_why(exc)}."
            ) from exc
        try:
            try:
                os.link(log, path)
            except OSError:
                write_atomic(path, log.read_bytes(), mode=stat.S_IMODE(log.stat().st_mode))
            else:
                _fsync_dir(path.parent)  # the backup's name is on disk before the log's rename
        except (OSError, SaveError) as exc:
            backup.undo(made=False)
            cause = exc.__cause__ if isinstance(exc, SaveError) else exc
            raise SaveError(
                f"Not saved: could not keep the previous version of {log} "
                f"as {path.name}: {_why(cause)}."
            ) from exc
        return backup

    def undo(self, *, made: bool = True) -> None:
        """The save failed: back to the backup there was before (or none)."""
        with contextlib.suppress(OSError):
            if made:
                os.unlink(self.path)
            if self.aside is not None:
                os.replace(self.aside, self.path)

    def keep(self) -> None:
        """The save succeeded: the replaced backup goes."""
        if self.aside is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.aside)


_TABLE_START = b'\n  "papers": {\n    "'
"""Where the `papers` table opens in the layout `dumps` writes, with a first document."""
_DOC_START = b'\n    "'
"""A document of a table starts a line indented by four spaces, and nothing else does."""
_TABLE_END = b"\n  }"
_BLOCK = 1 << 19
"""Bytes read at a time by the piecewise parse (small pieces also parse fastest)."""


def _parse(path: Path) -> dict[str, Any]:
    """Read and parse the file, turning every failure into a LoadError that names it.

    A file in the layout `dumps` writes is read and parsed a piece at a time
    (`_parse_in_pieces`); any other file, or anything unexpected in one, is
    parsed whole as before, so the errors (with line and column) are the same.
    """
    if path.is_dir():
        raise LoadError(f"{path} is a folder, not a reading-log file.")
    try:
        with open(path, "rb") as handle:
            first = handle.read(_BLOCK)
            data = _parse_in_pieces(handle, first) if first.startswith(b'{\n  "') else None
            if data is not None:
                return data
            del first
            handle.seek(0)
            raw = handle.read()
    except FileNotFoundError:
        raise LoadError(
            f"{path} does not exist. Run `paper-tui --create {path}` to start a new log there."
        ) from None
    except OSError as exc:
        raise LoadError(_describe_os_error(exc, path, "read")) from exc
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if exc.lineno else ""
        reason = exc.msg if exc.msg else str(exc)
        raise LoadError(f"{path} is not valid JSON{where}: {reason}.") from None
    if not isinstance(data, dict):
        raise LoadError(
            f"{path} is JSON but not a reading log: expected an object with a "
            f"{PAPERS!r} table, found {type(data).__name__}."
        )
    _check_repeated_names(raw, data, path)
    return data


def _parse_in_pieces(handle: Any, first: bytes) -> dict[str, Any] | None:
    """Parse a file in `dumps`' layout a block at a time; None if it is not one.

    Parsing the whole file at once holds its bytes (86 MB at 100,000 papers) and
    orjson's transient copy of it (~150 MB more) next to the result; here the
    `papers` table's documents are cut at the starts of document lines into
    pieces of about `_BLOCK` bytes, each parsed as `{<documents>}` and added to
    the table, and the rest of the file (`meta`, other tables: the "skeleton")
    is parsed with the table replaced by a placeholder string. A piece ends
    just before a line that starts a document and after the comma that
    separates them, and JSON text has no line breaks inside strings, so every
    piece that parses is a whole run of documents, and the pieces and the
    skeleton together say exactly what the whole file says.

    It also checks for names repeated in one object (`_check_repeated_names`),
    which orjson would silently collapse: every document line of a piece must
    be a document of its parsed dict, and every document of every piece a new
    one in the table; the skeleton's table and document lines must match its
    parsed tables. One count over the pieces replaces the two whole-file
    counts. Anything unexpected (another layout, a JSON error, a count that
    does not match) returns None, and the caller parses the whole file as
    before, which gives the same errors with line and column, or reads a file
    whose lines only happen to look unusual.
    """
    start = first.find(_TABLE_START)
    if start < 0:
        return None
    body_start = start + len(_TABLE_START) - len(_DOC_START)
    head = first[: body_start - 1]  # without the table's "{"
    pending = first[body_start:]
    del first
    table: dict[str, Any] = {}
    pool: dict[Any, Any] = {}
    while True:
        block = handle.read(_BLOCK)
        if not block:
            break
        pending += block
        del block
        cut = pending.rfind(_DOC_START)
        if cut <= 0:
            continue  # one document longer than a block: read on
        if pending[cut - 1] != 0x2C or not _add_piece(table, pending, cut - 1, pool):  # 0x2C: ","
            return None
        pending = pending[cut:]
    end = pending.find(_TABLE_END)
    if end <= 0 or not _add_piece(table, pending, end, pool):
        return None
    skeleton = b"".join(
        (head, orjson.dumps(_SPLICED), memoryview(pending)[end + len(_TABLE_END) :])
    )
    try:
        data = orjson.loads(skeleton)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get(PAPERS) != _SPLICED:
        return None
    others = [t for name, t in data.items() if name != PAPERS]
    if (
        skeleton.count(b'\n  "') != len(data)
        or not all(isinstance(t, dict) for t in others)
        or skeleton.count(_DOC_START) != sum(len(t) for t in others)
    ):
        return None  # perhaps a repeated name: the whole-file check says which
    data[PAPERS] = table
    return data


SHARED_FIELDS = ("status", "added", "year")
"""Fields, besides the tags, whose values repeat across many papers."""


def _share_repeated_values(docs: list[Any], pool: dict[Any, Any]) -> None:
    """Make equal values in the documents one object: one `"unread"`, one `"vit"`.

    The JSON parser makes a new object for every value it reads. In a log of
    100,000 papers the same few tags, statuses, dates and years come back
    hundreds of thousands of times: 28 MB of copies. The documents and the
    papers built from them share these values, so pooling them in the documents
    pools them everywhere. It runs on each piece the parser has just made
    (`_add_piece`, one `pool` for the file), while the piece is in the CPU
    caches and before the next piece is parsed into the memory the copies took,
    column by column with the loops in C (`map`, `deque(..., maxlen=0)`): about
    50 ms at 100,000 papers, on the loading thread.

    Author names repeat too (21 MB more), but pooling them scatters what a save
    reads across memory: serialising the log took 14 ms longer, against the
    150 ms a save may take; tags and these fields cost 5 ms. A document of
    another shape (left to the careful loader) just stops the pooling halfway,
    which changes no value.
    """
    share = pool.setdefault
    try:
        lists = list(map(itemgetter("tags"), docs))
        flat = list(chain.from_iterable(lists))
        shared = iter(list(map(share, flat, flat)))
        new_lists = map(list, map(islice, repeat(shared), map(len, lists)))
        deque(map(setitem, docs, repeat("tags"), new_lists), maxlen=0)
        for name in SHARED_FIELDS:
            values = list(map(itemgetter(name), docs))
            deque(map(setitem, docs, repeat(name), map(share, values, values)), maxlen=0)
    except (KeyError, TypeError):
        return


def _add_piece(table: dict[str, Any], buffer: bytes, end: int, pool: dict[Any, Any]) -> bool:
    """Parse `buffer[:end]`, a run of documents, into `table`; False if it is not one."""
    try:
        docs = orjson.loads(b"".join((b"{", memoryview(buffer)[:end], b"}")))
    except orjson.JSONDecodeError:
        return False
    if type(docs) is dict:
        _share_repeated_values(list(docs.values()), pool)
    before = len(table)
    table.update(docs)
    # A document named twice (in the piece, or in an earlier one) is one line too many.
    return buffer.count(_DOC_START, 0, end) == len(docs) == len(table) - before


def _check_repeated_names(raw: bytes, data: dict[str, Any], path: Path) -> None:
    """Refuse a file in which one object names a table or document twice.

    JSON parsers (orjson included) silently keep the last of repeated names, so
    two `"22": {...}` documents, as left by merging two versions of a log kept in
    git, would lose a paper without a word, and the next save would make that
    final. In the layout this module writes, tables sit on lines indented by two
    spaces and documents by four, and nothing else starts a line that way, so
    counting such lines (fast, C-level) finds the suspects; only then is the file
    parsed again, slowly, to name the repeated key. Files in another layout skip
    the check. A file that `_parse_in_pieces` reads is checked there, with one
    count over its documents instead of two over the whole file; it comes here
    (parsed whole) only when that count finds a suspect, or for another layout.
    """
    tables = [t for t in data.values() if isinstance(t, dict)]
    suspect = raw.count(b'\n  "') > len(data) or (
        len(tables) == len(data) and raw.count(b'\n    "') > sum(len(t) for t in tables)
    )
    if not suspect:
        return
    import json

    repeated: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen and not repeated:
                repeated.append(name)
            seen.add(name)
        return dict(pairs)

    with contextlib.suppress(ValueError):
        json.loads(raw, object_pairs_hook=pairs_hook)
    if repeated:
        raise LoadError(
            f"{path}: {repeated[0]!r} appears twice in the same object (as a hand-made "
            "merge of two versions can leave it); reading it would silently drop one of "
            "them, so please fix the file first."
        )


@dataclass(slots=True)
class Loaded:
    papers: list[Paper]
    doc_ids: dict[str, int]
    schema: int
    migrated: bool


def _schema_of(meta_table: dict[str, Any]) -> int:
    """The schema version a `meta` table records; 0 (before `meta` existed) if none."""
    schema = 0
    for doc in meta_table.values():
        value = doc.get("schema") if isinstance(doc, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            schema = value
    return schema


def _read_log(data: dict[str, Any], path: Path) -> Loaded:
    """Validate the tables and build papers; migrate schema 0 (no `meta`) records."""
    meta_table = data.get(META)
    if meta_table is None:
        meta_table = {}
    if not isinstance(meta_table, dict):
        raise LoadError(f"{path}: the {META!r} table must be an object of documents.")
    schema = _schema_of(meta_table)
    table = data.get(PAPERS)
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise LoadError(f"{path}: the {PAPERS!r} table must be an object of documents.")
    joined = "".join(table)
    if not (joined.isascii() and joined.isdecimal()) or "" in table:
        for doc_id_text in table:
            if not (doc_id_text.isascii() and doc_id_text.isdecimal()):
                raise LoadError(f"{path}: document id {doc_id_text!r} is not a number.")
    ids = list(map(int, table))
    if table and min(table)[0] == "0":  # the least of decimal strings starts with any 0
        # TinyDB writes ids back as numbers ("007" as "7"); do that now, so that
        # `Store.update_many` finds every document under `str(id)`, and refuse two
        # ids of one number, of which TinyDB would silently keep one.
        normalized = {str(i): doc for i, doc in zip(ids, table.values(), strict=True)}
        if len(normalized) != len(table):
            first: dict[int, str] = {}
            for text, number in zip(table, ids, strict=True):
                if number in first:
                    raise LoadError(
                        f"{path}: the document ids {first[number]!r} and {text!r} are the "
                        "same number; reading it would silently drop one of them, so please "
                        "fix the file first."
                    )
                first[number] = text
        data[PAPERS] = table = normalized
    if schema >= SCHEMA_VERSION and all(map(lt, ids, ids[1:])):
        # The usual case, done with bulk operations: ids in increasing order (as
        # TinyDB writes them) and documents as `to_dict` makes them. Anything the
        # careful loop below would refuse is left to it, so it words the error.
        try:
            papers = list(map(Paper.from_dict, table.values()))
        except ValidationError:
            pass
        else:
            doc_ids = dict(zip(map(attrgetter("key"), papers), ids, strict=True))
            if len(doc_ids) == len(papers):
                return Loaded(papers, doc_ids, schema, migrated=False)
    return _read_papers_carefully(table, schema, path)


def _read_papers_carefully(table: dict[str, Any], schema: int, path: Path) -> Loaded:
    """`_read_log`'s general case, one document at a time: migration and the errors."""
    papers: list[Paper] = []
    doc_ids: dict[str, int] = {}
    migrated = schema < SCHEMA_VERSION and bool(table)
    taken: set[str] = set()
    if schema < SCHEMA_VERSION:
        taken = {
            d["key"]
            for d in table.values()
            if isinstance(d, dict) and isinstance(d.get("key"), str)
        }
    ordered = sorted(table.items(), key=lambda kv: int(kv[0]))
    for doc_id_text, doc in ordered:
        if schema < SCHEMA_VERSION and isinstance(doc, dict) and not doc.get("key"):
            raw_authors = doc.get("authors")
            authors = (
                raw_authors
                if isinstance(raw_authors, list) and all(isinstance(a, str) for a in raw_authors)
                else []
            )
            raw_year = doc.get("year")
            year = (
                raw_year if isinstance(raw_year, int) and not isinstance(raw_year, bool) else None
            )
            key = unique_key(base_key(authors, year, str(doc.get("title", ""))), taken)
            taken.add(key)
            doc["key"] = key
        try:
            paper = Paper.from_dict(doc)
        except ValidationError as exc:
            raise LoadError(f"{path}: document {doc_id_text}: {exc}.") from None
        if paper.key in doc_ids:
            raise LoadError(
                f"{path}: the citation key {paper.key!r} is used twice "
                f"(documents {doc_ids[paper.key]} and {doc_id_text})."
            )
        doc_ids[paper.key] = int(doc_id_text)
        papers.append(paper)
    return Loaded(papers, doc_ids, schema, migrated)


PEEK_MIN_BYTES = 2 * 1024 * 1024
"""Below this size a log loads whole in a few tens of milliseconds: `peek_papers` declines."""
_PEEK_BYTES = 512 * 1024


def peek_papers(path: Path, count: int) -> list[Paper] | None:
    """The first `count` papers of a large log, from the file's first 512 KB only.

    Lets the app paint a first screenful while `Store.open` reads the whole log.
    Only a log of `PEEK_MIN_BYTES` or more, in the layout `dumps` writes, of the
    current schema (an older one is migrated on load, which sets new keys)
    qualifies; the papers are the first documents of its `papers` table as they
    stand in the file, which is the order `Store.open` gives them when their ids
    increase down the file, as TinyDB writes them (they must, among those
    read). Returns None whenever in doubt and never raises. What only the whole
    file can show (a document id or citation key used twice, a bad document
    further down) is left to `Store.open`, whose result replaces this one.
    """
    try:
        if count < 1 or os.stat(path).st_size < PEEK_MIN_BYTES:
            return None
        with open(path, "rb") as handle:
            head = handle.read(_PEEK_BYTES)
        start = head.find(_TABLE_START)
        if not head.startswith(b'{\n  "') or start < 0:
            return None
        before = orjson.loads(head[:start].removesuffix(b",") + b"\n}")
        meta_table = before.get(META) if isinstance(before, dict) else None
        if not isinstance(meta_table, dict) or _schema_of(meta_table) < SCHEMA_VERSION:
            return None
        body_start = start + len(_TABLE_START) - len(_DOC_START)
        end = body_start
        for _ in range(count):  # the start of document count + 1
            end = head.find(_DOC_START, end + 1)
            if end < 0:
                return None
        if head[end - 1] != 0x2C:  # ","
            return None
        docs = orjson.loads(b"".join((b"{", memoryview(head)[body_start : end - 1], b"}")))
        if len(docs) != count or not all(t.isascii() and t.isdecimal() for t in docs):
            return None
        ids = list(map(int, docs))
        if not all(map(lt, ids, ids[1:])):
            return None
        return [Paper.from_dict(doc) for doc in docs.values()]
    except Exception:  # any surprise means "no preview"; the full load reports problems
        return None


class Store:
    """One open reading log. Methods are synchronous and thread-safe.

    The app calls them from a worker thread; the command line and the tests call
    them directly. Every change is on disk (fsynced) when the method returns, or
    it raised SaveError and the file is as it was.
    """

    def __init__(
        self,
        path: Path,
        loaded: Loaded,
        storage_data: dict[str, Any],
        stamp: Stamp | None,
        readonly_reason: str | None,
        lock: FileLock | None,
    ) -> None:
        self.path = path
        self.papers = loaded.papers
        self.schema = loaded.schema
        self.migrated = loaded.migrated
        self._doc_ids = loaded.doc_ids
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []
        self._lock = lock
        self._mutex = threading.RLock()
        self._db = TinyDB(path, storage=_StorageFactory(path, storage_data, stamp))
        self._storage: AtomicJSONStorage = self._db.storage  # type: ignore[assignment]
        self._storage.readonly_reason = readonly_reason
        self._table = self._db.table(PAPERS, cache_size=0)

    # -------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False, lock: bool = True) -> Store:
        """Open a log; raises LoadError when it cannot be read at all.

        A log that can be read but not written (read-only file or folder, locked by
        another paper-tui, written by a newer version) opens with `readonly_reason`.
        """
        path = Path(path).expanduser().absolute()
        stamp = Stamp.of(path)
        with _collector_paused():
            data = _parse(path)
            loaded = _read_log(data, path)
            if len(loaded.papers) >= FREEZE_MIN_PAPERS:
                gc.freeze()
        reason: str | None = "opened read-only" if readonly else None
        if loaded.schema > SCHEMA_VERSION:
            reason = (
                f"this log was written by a newer paper-tui (schema {loaded.schema}; "
                f"this version knows {SCHEMA_VERSION}), so it is opened read-only"
            )
        elif not _is_writable(path):
            reason = "the file is read-only"
        elif not _is_writable(path.parent):
            reason = "its folder is not writable, so it cannot be saved safely"
        file_lock: FileLock | None = None
        if reason is None and lock:
            file_lock = FileLock(path.with_name(path.name + ".lock"), thread_local=False)
            try:
                file_lock.acquire(timeout=0)
            except Timeout:
                file_lock = None
                reason = "another paper-tui has this log open, so this one is read-only"
            except OSError:
                file_lock = None
                reason = "its lock file cannot be created, so it is opened read-only"
            else:
                _remove_stale_temps(path)
        if loaded.schema < SCHEMA_VERSION:
            # Schema 0 (or an empty file): write the current layout, `meta` first as
            # `create` does, keeping any other tables. A current or newer `meta` table
            # is left exactly as it was read.
            papers_table = data.get(PAPERS) or {}
            if loaded.migrated:
                papers_table = {str(loaded.doc_ids[p.key]): p.to_dict() for p in loaded.papers}
            rest = {k: v for k, v in data.items() if k not in (META, PAPERS)}
            data = {META: {"1": {"schema": SCHEMA_VERSION}}, PAPERS: papers_table, **rest}
        data.setdefault(PAPERS, {})
        return cls(path, loaded, data, stamp, reason, file_lock)

    @staticmethod
    def create(path: Path | str) -> Path:
        """Start an empty log at `path`; refuses to overwrite an existing file."""
        path = Path(path).expanduser().absolute()
        if path.exists():
            raise StoreError(f"{path} already exists; not overwriting it.")
        if not path.parent.is_dir():
            raise StoreError(f"{path.parent} is not a folder.")
        write_atomic(path, dumps({META: {"1": {"schema": SCHEMA_VERSION}}, PAPERS: {}}))
        return path

    @property
    def readonly_reason(self) -> str | None:
        return self._storage.readonly_reason

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    @property
    def drafts_path(self) -> Path:
        return self.path.with_name(self.path.name + ".drafts.json")

    def close(self) -> None:
        """Release the lock; later changes raise SaveError (another copy may write now)."""
        with self._mutex:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
            if not self._storage.readonly_reason:
                self._storage.readonly_reason = "the log was closed"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- state of the file

    def changed_on_disk(self) -> bool:
        """True when someone else wrote the file since we read or wrote it."""
        return Stamp.of(self.path) != self._storage.stamp

    def save_pending_migration(self) -> None:
        """Write a migrated file now (the old one is kept as the backup)."""
        with self._mutex:
            if self.migrated and not self.readonly_reason:
                self._storage.flush()
                self.migrated = False

    # -------------------------------------------------------------- changes

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group changes into one write; nothing is written if the block raises.

        The write happens when the outermost batch ends. If the block or that write
        fails (SaveError, ConflictError), the in-memory tables are rolled back too,
        so the store keeps matching the file and a retry does not apply a change
        twice. Every change method runs in a batch of its own.
        """
        with self._mutex:
            storage = self._storage
            outermost = storage.deferred == 0
            if outermost:
                # What to go back to: the table and key map as they are now. Changes
                # made in place are logged in `_undo` (copying the two 100,000-entry
                # dicts instead cost 14 ms a save); TinyDB's table operations build a
                # new table dict and `reorder` a new key map, which leave these alone.
                saved = (storage.data[PAPERS], self._doc_ids)
                self._undo = []
            storage.deferred += 1
            try:
                try:
                    yield
                finally:
                    storage.deferred -= 1
                if outermost and storage.pending:
                    storage.flush()
                    self.migrated = False
            except BaseException:
                if outermost:
                    for mapping, key, old in reversed(self._undo):
                        if old is _ABSENT:
                            mapping.pop(key, None)
                        else:
                            mapping[key] = old
                    storage.data[PAPERS], self._doc_ids = saved
                    storage.pending = False
                    self._table._next_id = None  # recomputed from the restored table
                    self._table.clear_cache()
                raise
            finally:
                if outermost:
                    self._undo = []

    def _set(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        """`mapping[key] = value`, undone if the batch fails."""
        self._undo.append((mapping, key, mapping.get(key, _ABSENT)))
        mapping[key] = value

    def _drop(self, mapping: dict[Any, Any], key: Any) -> None:
        """`del mapping[key]` if there, undone if the batch fails."""
        if key in mapping:
            self._undo.append((mapping, key, mapping.pop(key)))

    def _check_writable(self) -> None:
        if self.readonly_reason:
            raise SaveError(f"Not saved: {self.readonly_reason}.")

    def add(self, paper: Paper) -> None:
        self.add_many([paper])

    def add_many(self, papers: Iterable[Paper]) -> None:
        with self._mutex:
            self._check_writable()
            papers = list(papers)
            seen: set[str] = set()
            for p in papers:
                if p.key in self._doc_ids or p.key in seen:
                    raise StoreError(f"The citation key {p.key!r} is already in the log.")
                seen.add(p.key)
            if not papers:
                return
            with self.batch():
                ids = self._table.insert_multiple(p.to_dict() for p in papers)
                for p, doc_id in zip(papers, ids, strict=True):
                    self._set(self._doc_ids, p.key, doc_id)

    def update(self, paper: Paper, *, old_key: str | None = None) -> None:
        """Replace the stored record of `paper` (found by `old_key` when renamed)."""
        self.update_many([(paper, old_key or paper.key)])

    def update_many(self, items: Iterable[tuple[Paper, str]]) -> None:
        """Replace records, each found by the key it had; renames may swap keys."""
        with self._mutex:
            self._check_writable()
            items = list(items)
            docs: dict[int, dict[str, Any]] = {}
            old_key_of: dict[int, str] = {}
            new_key_of: dict[int, str] = {}
            for paper, key in items:
                doc_id = self._doc_ids.get(key)
                if doc_id is None:
                    raise StoreError(f"No paper with the key {key!r} in the log.")
                docs[doc_id] = paper.to_dict()
                old_key_of[doc_id] = key
                new_key_of[doc_id] = paper.key
            # The key -> document map after the change, checked before anything is
            # touched: a rename onto a key that stays in use would make the file
            # unloadable (a citation key used twice). A key stays in use when its
            # document is not among the changed ones, or another changed one takes it.
            new_ids: dict[str, int] = {}
            for doc_id, key in new_key_of.items():
                holder = self._doc_ids.get(key)
                if (holder is not None and holder not in docs) or key in new_ids:
                    raise StoreError(f"The citation key {key!r} is already in the log.")
                new_ids[key] = doc_id
            if not docs:
                return
            with self.batch():
                # Straight into the storage's table (what TinyDB's Table.update would
                # change too), then one write through the storage. Table.update and
                # its `_update_table` turn every document id of the table into an int
                # and back to a string around the change: 72 ms at 100,000 papers for
                # a one-comment save. Documents are stored under `str(doc_id)`, as
                # TinyDB writes them (`_read_log` makes ids canonical on load).
                storage = self._storage
                table = storage.data[PAPERS]
                for doc_id, doc in docs.items():
                    self._set(table, str(doc_id), doc)
                for key in old_key_of.values():
                    self._drop(self._doc_ids, key)
                for key, doc_id in new_ids.items():
                    self._set(self._doc_ids, key, doc_id)
                storage.write(storage.data)

    def delete(self, key: str) -> None:
        self.delete_many([key])

    def delete_many(self, keys: Iterable[str]) -> None:
        with self._mutex:
            self._check_writable()
            keys = list(keys)
            ids = list(dict.fromkeys(self._doc_ids[k] for k in keys if k in self._doc_ids))
            if not ids:
                return
            with self.batch():
                self._table.remove(doc_ids=ids)
                for k in keys:
                    self._drop(self._doc_ids, k)

    def reorder(self, papers: list[Paper]) -> None:
        """Replace the whole table (used by undo of a delete, to restore the order).

        One write: the file never holds the emptied table in between.
        """
        with self._mutex:
            self._check_writable()
            with self.batch():
                self._table.truncate()
                self._doc_ids = {}
                self.add_many(papers)

    # -------------------------------------------------------------- drafts

    def load_drafts(self) -> dict[str, str]:
        """Unsaved comment drafts left by a crash: key -> text."""
        try:
            data = orjson.loads(self.drafts_path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def save_draft(self, key: str, text: str | None) -> None:
        """Keep (or with None, drop) the draft of one comment; best effort, never raises.

        A read-only store writes no drafts: they belong to the copy that can save.
        """
        if self.readonly_reason:
            return
        with self._mutex:
            drafts = self.load_drafts()
            if text is None:
                if key not in drafts:
                    return
                drafts.pop(key)
            else:
                drafts[key] = text
            try:
                if drafts:
                    write_atomic(self.drafts_path, dumps(drafts), mode=0o600)
                else:
                    self.drafts_path.unlink(missing_ok=True)
            except (SaveError, OSError):
                pass


class _StorageFactory:
    """TinyDB instantiates its storage itself; this hands it our prepared one."""

    def __init__(self, path: Path, data: dict[str, Any], stamp: Stamp | None) -> None:
        self.args = (path, data, stamp)

    def __call__(self, *_: Any, **__: Any) -> AtomicJSONStorage:
        return AtomicJSONStorage(*self.args)


def default_data_path() -> Path:
    """`entries.json` in the user's data folder (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("paper-tui", appauthor=False) / "entries.json"


def shipped_log_bytes() -> bytes:
    """The shipped reading log: packaged in the wheel, or the checkout's top-level file."""
    from importlib import resources

    packaged = resources.files("paper_tui").joinpath("data", "entries.json")
    if packaged.is_file():
        return packaged.read_bytes()
    checkout = Path(__file__).resolve().parent.parent / "entries.json"
    return checkout.read_bytes()


def resolve_log_path(arg: str | None, env: dict[str, str] | None = None) -> Path:
    """PATH argument, else $PAPER_TUI_DB, else the data folder's log (made on first run)."""
    env = dict(os.environ) if env is None else env
    if arg:
        return Path(arg).expanduser()
    if env.get("PAPER_TUI_DB"):
        return Path(env["PAPER_TUI_DB"]).expanduser()
    path = default_data_path()
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, shipped_log_bytes())
        except (OSError, SaveError) as exc:
            raise StoreError(f"Could not create {path}: {exc}") from exc
    return path
