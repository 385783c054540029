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

`Store` adds what TinyDB has no notion of: a lock against a second copy of the
app, read-only opening with a reason, schema migration, and drafts.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import stat
import tempfile
import threading
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


def _describe_os_error(exc: OSError, path: Path, doing: str) -> str:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno == errno.EDQUOT:
        why = "the disk quota is exceeded"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif exc.errno == errno.EROFS:
        why = "the file system is read-only"
    else:
        why = exc.strerror or str(exc)
    return f"Could not {doing} {path}: {why}."


def write_atomic(path: Path, payload: bytes, *, mode: int | None = None) -> Stamp:
    """Replace `path` with `payload` so that a crash leaves the old or the new file.

    Written by hand because no well-kept library does all of: same-folder temp
    file, fsync of file and folder, keeping the file's permissions, and cleaning
    up after ENOSPC. Raises SaveError with the file untouched on failure.
    """
    folder = path.parent
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    tmp_name = ""
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, mode)
            os.fsync(fd)
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
    stamp = Stamp.of(path)
    assert stamp is not None
    return stamp


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
            raise SaveError(f"Not saved: {self.readonly_reason}")
        current = Stamp.of(self.path)
        if current != self.stamp:
            raise ConflictError(
                f"Not saved: {self.path} changed on disk since it was loaded "
                "(another program or a second paper-tui wrote it)."
            )
        if not self.backed_up and current is not None:
            backup = self.path.with_name(self.path.name + ".bak")
            try:
                payload = self.path.read_bytes()
            except OSError as exc:
                raise SaveError(_describe_os_error(exc, self.path, "back up")) from exc
            write_atomic(backup, payload)
            self.backed_up = True
        self.stamp = write_atomic(self.path, dumps(self.data))
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
    return data


@dataclass(slots=True)
class Loaded:
    papers: list[Paper]
    doc_ids: dict[str, int]
    schema: int
    migrated: bool


def _read_log(data: dict[str, Any], path: Path) -> Loaded:
    """Validate the tables and build papers; migrate schema 0 (no `meta`) records."""
    meta_table = data.get(META) or {}
    schema = 0
    if isinstance(meta_table, dict):
        for doc in meta_table.values():
            if isinstance(doc, dict) and isinstance(doc.get("schema"), int):
                schema = doc["schema"]
    table = data.get(PAPERS, {})
    if not isinstance(table, dict):
        raise LoadError(f"{path}: the {PAPERS!r} table must be an object of documents.")
    papers: list[Paper] = []
    doc_ids: dict[str, int] = {}
    migrated = schema < SCHEMA_VERSION and bool(table)
    taken: set[str] = set()
    if schema < SCHEMA_VERSION:
        taken = {d["key"] for d in table.values() if isinstance(d, dict) and d.get("key")}
    ordered = sorted(table.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
    for doc_id_text, doc in ordered:
        if not doc_id_text.isdigit():
            raise LoadError(f"{path}: document id {doc_id_text!r} is not a number.")
        if schema < SCHEMA_VERSION and isinstance(doc, dict) and not doc.get("key"):
            authors = doc.get("authors") if isinstance(doc.get("authors"), list) else []
            year = doc.get("year") if isinstance(doc.get("year"), int) else None
            key = unique_key(base_key(authors or [], year, str(doc.get("title", ""))), taken)
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
        elif not os.access(path, os.W_OK):
            reason = "the file is read-only"
        elif not os.access(path.parent, os.W_OK):
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
        data.setdefault(META, {"1": {"schema": SCHEMA_VERSION}})
        data[META] = {"1": {"schema": max(loaded.schema, SCHEMA_VERSION)}}
        data.setdefault(PAPERS, {})
        if loaded.migrated:
            table = data[PAPERS]
            for paper in loaded.papers:
                table[str(loaded.doc_ids[paper.key])] = paper.to_dict()
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
        with self._mutex:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

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
        """Group changes into one write; nothing is written if the block raises."""
        with self._mutex:
            storage = self._storage
            storage.deferred += 1
            snapshot = None
            if storage.deferred == 1:
                snapshot = (dict(storage.data[PAPERS]), dict(self._doc_ids))
            try:
                yield
            except BaseException:
                if snapshot is not None:
                    storage.data[PAPERS], self._doc_ids = snapshot
                    storage.pending = False
                    self._table.clear_cache()
                raise
            finally:
                storage.deferred -= 1
            if storage.deferred == 0 and storage.pending:
                storage.flush()

    def _check_writable(self) -> None:
        if self.readonly_reason:
            raise SaveError(f"Not saved: {self.readonly_reason}.")

    def add(self, paper: Paper) -> None:
        self.add_many([paper])

    def add_many(self, papers: Iterable[Paper]) -> None:
        with self._mutex:
            self._check_writable()
            papers = list(papers)
            for p in papers:
                if p.key in self._doc_ids:
                    raise StoreError(f"The citation key {p.key!r} is already in the log.")
            ids = self._table.insert_multiple(p.to_dict() for p in papers)
            for p, doc_id in zip(papers, ids, strict=True):
                self._doc_ids[p.key] = doc_id

    def update(self, paper: Paper, *, old_key: str | None = None) -> None:
        """Replace the stored record of `paper` (found by `old_key` when renamed)."""
        self.update_many([(paper, old_key or paper.key)])

    def update_many(self, items: Iterable[tuple[Paper, str]]) -> None:
        with self._mutex:
            self._check_writable()
            items = list(items)
            docs: dict[int, dict[str, Any]] = {}
            for paper, key in items:
                doc_id = self._doc_ids.get(key)
                if doc_id is None:
                    raise StoreError(f"No paper with the key {key!r} in the log.")
                docs[doc_id] = paper.to_dict()

            def replace_docs(table: dict[int, Any]) -> None:
                table.update(docs)

            # TinyDB's public update() applies one value (or one callable without the
            # document id) to every match; one pass with per-document values needs the
            # table-level hook, which keeps this O(n) instead of O(n x changes).
            self._table._update_table(replace_docs)
            for paper, key in items:
                if key != paper.key:
                    self._doc_ids[paper.key] = self._doc_ids.pop(key)

    def delete(self, key: str) -> None:
        self.delete_many([key])

    def delete_many(self, keys: Iterable[str]) -> None:
        with self._mutex:
            self._check_writable()
            keys = list(keys)
            ids = [self._doc_ids[k] for k in keys if k in self._doc_ids]
            if ids:
                self._table.remove(doc_ids=ids)
            for k in keys:
                self._doc_ids.pop(k, None)

    def reorder(self, papers: list[Paper]) -> None:
        """Replace the whole table (used by undo of a delete, to restore the order)."""
        with self._mutex:
            self._check_writable()
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
        """Keep (or with None, drop) the draft of one comment; best effort, never raises."""
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
