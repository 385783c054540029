"""The reading log on disk: the only module that touches TinyDB and the log's files.

The log is a TinyDB JSON file with two tables, `meta` (the schema version) and
`papers`. Stock TinyDB rewrites the file in place with the standard json module
on every change, so a crash mid-write truncates it and two copies of the app
overwrite each other. `AtomicJSONStorage` keeps TinyDB's API and file format but:

* parses the file once (orjson) and keeps the tables in memory;
* writes a temporary file in the same folder, fsyncs it, renames it over the
  log and fsyncs the folder, so a kill at any moment leaves the old file or the
  new one, never a torn one;
* keeps the previous file as `<log>.bak` before the first write of a session;
* refuses to write when the file changed on disk since it was read.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from .model import SCHEMA_VERSION, Paper, ValidationError, base_key, unique_key

PAPERS = "papers"
META = "meta"
STALE_TEMP_AGE = 60.0
"""Seconds after which a leftover temporary file of a killed write is removed on open."""


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
    """The on-disk JSON: UTF-8 (Japanese unescaped), indented, key order as given."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


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


def write_atomic(path: Path, payload: bytes, *, mode: int | None = None) -> Stamp:
    """Replace `path` with `payload` so that a crash leaves the old or the new file.

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
            view = memoryview(payload)
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
        try:
            payload = dumps(self.data)
        except TypeError as exc:  # orjson.JSONEncodeError, e.g. a lone surrogate in a text
            raise SaveError(f"Not saved: the log cannot be written as JSON ({exc}).") from exc
        current = Stamp.of(self.path)
        if current != self.stamp:
            raise ConflictError(
                f"Not saved: {self.path} changed on disk since it was loaded "
                "(another program or a second paper-tui wrote it)."
            )
        if not self.backed_up and current is not None:
            backup = self.path.with_name(self.path.name + ".bak")
            try:
                previous = self.path.read_bytes()
                log_mode = stat.S_IMODE(self.path.stat().st_mode)
            except OSError as exc:
                raise SaveError(_describe_os_error(exc, self.path, "back up")) from exc
            try:
                write_atomic(backup, previous, mode=log_mode)
            except SaveError as exc:
                raise SaveError(
                    f"Not saved: could not keep the previous version of {self.path} "
                    f"as {backup.name}: {_why(exc.__cause__)}."
                ) from exc
            self.backed_up = True
        self.stamp = write_atomic(self.path, payload)
        self.pending = False


def _parse(path: Path) -> dict[str, Any]:
    """Read and parse the file, turning every failure into a LoadError that names it."""
    if path.is_dir():
        raise LoadError(f"{path} is a folder, not a reading-log file.")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(
            f"{path} does not exist. Run `paper-tui --create {path}` to start a new log there."
        ) from None
    except OSError as exc:
        raise LoadError(_describe_os_error(exc, path, "read")) from exc
    if not raw.strip():
        return {}
    gc.disable()  # a 70 MB parse makes millions of objects; the collector only slows it
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if exc.lineno else ""
        reason = exc.msg if exc.msg else str(exc)
        raise LoadError(f"{path} is not valid JSON{where}: {reason}.") from None
    finally:
        gc.enable()
    if not isinstance(data, dict):
        raise LoadError(
            f"{path} is JSON but not a reading log: expected an object with a "
            f"{PAPERS!r} table, found {type(data).__name__}."
        )
    _check_repeated_names(raw, data, path)
    return data


def _check_repeated_names(raw: bytes, data: dict[str, Any], path: Path) -> None:
    """Refuse a file in which one object names a table or document twice.

    JSON parsers (orjson included) silently keep the last of repeated names, so
    two `"22": {...}` documents, as left by merging two versions of a log kept in
    git, would lose a paper without a word, and the next save would make that
    final. In the layout this module writes, tables sit on lines indented by two
    spaces and documents by four, and nothing else starts a line that way, so
    counting such lines (fast, C-level) finds the suspects; only then is the file
    parsed again, slowly, to name the repeated key. Files in another layout skip
    the check.
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


def _read_log(data: dict[str, Any], path: Path) -> Loaded:
    """Validate the tables and build papers; migrate schema 0 (no `meta`) records."""
    meta_table = data.get(META)
    if meta_table is None:
        meta_table = {}
    if not isinstance(meta_table, dict):
        raise LoadError(f"{path}: the {META!r} table must be an object of documents.")
    schema = 0
    for doc in meta_table.values():
        value = doc.get("schema") if isinstance(doc, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            schema = value
    table = data.get(PAPERS)
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise LoadError(f"{path}: the {PAPERS!r} table must be an object of documents.")
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
    for doc_id_text in table:
        if not (doc_id_text.isascii() and doc_id_text.isdecimal()):
            raise LoadError(f"{path}: document id {doc_id_text!r} is not a number.")
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
        data = _parse(path)
        loaded = _read_log(data, path)
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
            snapshot = (dict(storage.data[PAPERS]), dict(self._doc_ids)) if outermost else None
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
                if snapshot is not None:
                    storage.data[PAPERS], self._doc_ids = snapshot
                    storage.pending = False
                    self._table._next_id = None  # recomputed from the restored table
                    self._table.clear_cache()
                raise

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
                    self._doc_ids[p.key] = doc_id

    def update(self, paper: Paper, *, old_key: str | None = None) -> None:
        """Replace the stored record of `paper` (found by `old_key` when renamed)."""
        self.update_many([(paper, old_key or paper.key)])

    def update_many(self, items: Iterable[tuple[Paper, str]]) -> None:
        """Replace records, each found by the key it had; renames may swap keys."""
        with self._mutex:
            self._check_writable()
            items = list(items)
            docs: dict[int, dict[str, Any]] = {}
            new_key_of: dict[int, str] = {}
            for paper, key in items:
                doc_id = self._doc_ids.get(key)
                if doc_id is None:
                    raise StoreError(f"No paper with the key {key!r} in the log.")
                docs[doc_id] = paper.to_dict()
                new_key_of[doc_id] = paper.key
            # The key -> document map after the change, checked before anything is
            # touched: a rename onto a key that stays in use would make the file
            # unloadable (a citation key used twice).
            doc_ids = {k: i for k, i in self._doc_ids.items() if i not in docs}
            for doc_id, key in new_key_of.items():
                if key in doc_ids:
                    raise StoreError(f"The citation key {key!r} is already in the log.")
                doc_ids[key] = doc_id
            if not docs:
                return

            def replace_docs(table: dict[int, Any]) -> None:
                table.update(docs)

            with self.batch():
                # TinyDB's public update() applies one value (or one callable without
                # the document id) to every match; one pass with per-document values
                # needs the table-level hook, which keeps this O(n), not O(n x changes).
                self._table._update_table(replace_docs)
                self._doc_ids = doc_ids

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
                    self._doc_ids.pop(k, None)

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
