"""The log on disk: atomic saves, backup, lock, conflicts, bad files, migration, drafts.

Every test works on a real file in its own tmp_path (the `log_path` fixture is a
copy of the shipped entries.json); nothing here touches the user's data folder.
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import paper_tui.store as store_module
from paper_tui.model import SCHEMA_VERSION, Paper, new_paper
from paper_tui.store import (
    ConflictError,
    LoadError,
    SaveError,
    Store,
    StoreError,
    default_data_path,
    dumps,
    resolve_log_path,
    shipped_log_bytes,
    write_atomic,
)

KILL_WRITER = Path(__file__).resolve().parent / "kill_writer.py"
SHIPPED_PAPERS = 21


def raw(path: Path) -> dict[str, Any]:
    data = orjson.loads(path.read_bytes())
    assert isinstance(data, dict)
    return data


def temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))


def keys_on_disk(path: Path) -> list[str]:
    return [doc["key"] for doc in raw(path)["papers"].values()]


def write_log(path: Path, papers: dict[str, Any], *, schema: int | None = 1) -> bytes:
    data: dict[str, Any] = {}
    if schema is not None:
        data["meta"] = {"1": {"schema": schema}}
    data["papers"] = papers
    payload = dumps(data)
    path.write_bytes(payload)
    return payload


# ================================================================ atomic, durable saves

VERSIONED = re.compile(r"(.*) \[v(\d+)\]\Z", re.DOTALL)


def test_sigkill_during_saves_never_tears_the_log(log_path: Path) -> None:
    """A writer killed at random moments leaves the old file or the new one, never a mix.

    tests/kill_writer.py rewrites all 21 comments as `<original> [vN]` in every
    save (one N per save). After each SIGKILL the file must parse as a full log
    whose comments are all the original ones or all at one version N, and N
    never goes backwards.
    """
    originals = {p.key: p.comment for p in Store.open(log_path, readonly=True).papers}
    # Kill within a few save times of the child being ready: 30 ms on a fast disk,
    # longer where fsync is slow, so some saves complete and some are cut short.
    scratch = log_path.with_name("scratch.json")
    scratch.write_bytes(log_path.read_bytes())
    with Store.open(scratch) as timing:
        begun = time.perf_counter()
        timing.update(timing.papers[0].copy(comment="timing"))  # backup + save
        max_delay = max(0.03, 4 * (time.perf_counter() - begun))
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    kills = 30
    last_version = 0
    started = time.monotonic()
    for attempt in range(kills):
        child = subprocess.Popen(
            [sys.executable, str(KILL_WRITER), str(log_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert child.stdout is not None and child.stderr is not None
            ready = child.stdout.readline()
            assert ready == b"ready\n", child.stderr.read().decode(errors="replace")
            time.sleep(rng.uniform(0.0, max_delay))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            assert child.stdout is not None and child.stderr is not None
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL, f"writer ended by itself (seed {seed})"

        where = f"after kill {attempt + 1} (seed {seed})"
        store = Store.open(log_path, readonly=True)  # parses and validates every record
        assert len(store.papers) == SHIPPED_PAPERS, where
        versions = set()
        for paper in store.papers:
            found = VERSIONED.match(paper.comment)
            if found is None:
                assert paper.comment == originals[paper.key], where
                versions.add(0)
            else:
                assert found.group(1) == originals[paper.key], where
                versions.add(int(found.group(2)))
        assert len(versions) == 1, f"comments from different saves {where}: {versions}"
        version = versions.pop()
        assert version >= last_version, where
        last_version = version
        backup = log_path.with_name(log_path.name + ".bak")
        if backup.exists():  # the backup is written atomically too
            assert len(Store.open(backup, readonly=True).papers) == SHIPPED_PAPERS, where

    assert last_version > 0, "the writers never saved; the test would prove nothing"
    assert time.monotonic() - started < 30

    # A kill between creating a temporary file and renaming it leaves that file
    # behind. That is acceptable: it never affects the log (the rename is the
    # commit point), there is at most one per kill, and Store.open removes those
    # older than STALE_TEMP_AGE once it holds the lock. Check both points.
    debris = temp_files(log_path.parent)
    assert len(debris) <= kills
    old = time.time() - store_module.STALE_TEMP_AGE - 5
    for path in debris:
        os.utime(path, (old, old))
    Store.open(log_path).close()
    assert temp_files(log_path.parent) == []


def test_open_removes_only_stale_temp_files_of_this_log(log_path: Path) -> None:
    folder = log_path.parent
    old = time.time() - store_module.STALE_TEMP_AGE - 5
    stale = folder / f".{log_path.name}.0123abcd.tmp"
    stale_backup = folder / f".{log_path.name}.bak.0123abcd.tmp"
    fresh = folder / f".{log_path.name}.fedc4321.tmp"
    other = folder / ".other.json.0123abcd.tmp"
    for path in (stale, stale_backup, fresh, other):
        path.write_bytes(b"{")
    for path in (stale, stale_backup, other):
        os.utime(path, (old, old))

    first = Store.open(log_path)
    assert not stale.exists() and not stale_backup.exists()
    assert fresh.exists(), "a young temp file may belong to a live writer"
    assert other.exists(), "temp files of other logs are not ours"

    stale.write_bytes(b"{")
    os.utime(stale, (old, old))
    second = Store.open(log_path)  # read-only: it does not hold the lock, so it cleans nothing
    assert second.readonly_reason is not None
    assert stale.exists()
    second.close()
    first.close()


def test_save_keeps_the_file_mode(log_path: Path) -> None:
    log_path.chmod(0o640)
    with Store.open(log_path) as store:
        paper = store.papers[0]
        store.update(paper.copy(comment="mode"))
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o640
    assert stat.S_IMODE(log_path.with_name(log_path.name + ".bak").stat().st_mode) == 0o640


def test_write_atomic_returns_the_stamp_of_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    stamp = write_atomic(path, b"{}\n")
    assert stamp == store_module.Stamp.of(path)
    assert path.read_bytes() == b"{}\n"
    assert temp_files(tmp_path) == []


# ================================================================ the backup


def test_backup_holds_previous_bytes_and_is_written_once_per_session(log_path: Path) -> None:
    original = log_path.read_bytes()
    store = Store.open(log_path)
    assert store.backup_path == log_path.with_name("entries.json.bak")
    assert not store.backup_path.exists(), "opening alone writes nothing"

    first = store.papers[0]
    store.update(first.copy(comment="first edit"))
    assert store.backup_path.read_bytes() == original
    after_first = log_path.read_bytes()
    backup_stat = store.backup_path.stat()

    store.update(first.copy(comment="second edit"))
    assert store.backup_path.read_bytes() == original
    assert store.backup_path.stat().st_mtime_ns == backup_stat.st_mtime_ns
    assert store.backup_path.stat().st_ino == backup_stat.st_ino
    store.close()

    # A new session backs up what the previous session left, before its first write.
    with Store.open(log_path) as again:
        again.update(again.papers[1].copy(comment="third edit"))
        assert again.backup_path.read_bytes() != original
        assert orjson.loads(again.backup_path.read_bytes())["papers"]["1"]["comment"] == (
            "second edit"
        )
        assert after_first != log_path.read_bytes()


# ================================================================ two stores, one file


def test_second_store_is_read_only_until_the_first_closes(log_path: Path) -> None:
    first = Store.open(log_path)
    assert first.readonly_reason is None
    before = log_path.read_bytes()

    second = Store.open(log_path)
    assert second.readonly_reason is not None
    assert "another paper-tui" in second.readonly_reason
    paper = second.papers[0]
    with pytest.raises(SaveError, match="another paper-tui"):
        second.update(paper.copy(comment="from the second copy"))
    with pytest.raises(SaveError):
        second.add(new_paper(title="Another", taken_keys=[p.key for p in second.papers]))
    with pytest.raises(SaveError):
        second.delete(paper.key)
    assert log_path.read_bytes() == before
    assert not second.backup_path.exists()
    second.close()

    first.close()
    third = Store.open(log_path)
    assert third.readonly_reason is None
    third.update(paper.copy(comment="now it saves"))
    assert raw(log_path)["papers"]["1"]["comment"] == "now it saves"
    third.close()


def test_a_closed_store_refuses_to_write(log_path: Path) -> None:
    store = Store.open(log_path)
    store.close()
    before = log_path.read_bytes()
    with pytest.raises(SaveError, match="closed"):
        store.update(store.papers[0].copy(comment="too late"))
    assert log_path.read_bytes() == before


def test_readonly_open_takes_no_lock(log_path: Path) -> None:
    viewer = Store.open(log_path, readonly=True)
    assert viewer.readonly_reason == "opened read-only"
    with Store.open(log_path) as writer:
        assert writer.readonly_reason is None
    viewer.close()


# ================================================================ changed underneath


def test_external_change_is_a_conflict_and_is_not_overwritten(log_path: Path) -> None:
    store = Store.open(log_path)
    assert not store.changed_on_disk()

    data = raw(log_path)
    data["papers"]["1"]["comment"] = "edited by hand in another editor"
    external = dumps(data)
    with open(log_path, "r+b") as handle:  # in place, as many editors do: same inode
        handle.truncate(0)
        handle.write(external)
    later = time.time() + 5
    os.utime(log_path, (later, later))

    assert store.changed_on_disk()
    with pytest.raises(ConflictError, match="changed on disk") as caught:
        store.update(store.papers[1].copy(comment="mine"))
    assert str(log_path) in str(caught.value)
    assert log_path.read_bytes() == external
    assert not store.backup_path.exists()
    store.close()

    with Store.open(log_path) as reopened:
        assert not reopened.changed_on_disk()
        assert reopened.papers[0].comment == "edited by hand in another editor"
        reopened.update(reopened.papers[1].copy(comment="mine"))
        assert not reopened.changed_on_disk()
    assert raw(log_path)["papers"]["2"]["comment"] == "mine"
    assert raw(log_path)["papers"]["1"]["comment"] == "edited by hand in another editor"


def test_deleted_file_is_a_conflict(log_path: Path) -> None:
    store = Store.open(log_path)
    log_path.unlink()
    assert store.changed_on_disk()
    with pytest.raises(ConflictError):
        store.update(store.papers[0].copy(comment="x"))
    assert not log_path.exists()
    store.close()


# ================================================================ bad files


def test_corrupt_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(b'{\n  "papers": {\n    "1": {"title": }\n  }\n}\n')
    with pytest.raises(LoadError) as caught:
        Store.open(path)
    message = str(caught.value)
    assert str(path) in message
    assert re.search(r"line 3, column \d+", message), message
    assert path.read_bytes().startswith(b'{\n  "papers"'), "a bad file is never rewritten"


def test_invalid_utf8_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"papers": {"1": {"key": "a", "title": "Caf\xe9"}}}')
    with pytest.raises(LoadError, match="not valid JSON"):
        Store.open(path)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(b"[]", r"not a reading log.*found list", id="a-list"),
        pytest.param(b'"papers"', r"not a reading log.*found str", id="a-string"),
        pytest.param(b'{"papers": []}', r"'papers' table must be an object", id="papers-list"),
        pytest.param(
            b'{"meta": [1], "papers": {}}', r"'meta' table must be an object", id="meta-list"
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {"1": {"key": "a", "authors": []}}}',
            r"document 1: a paper has no title",
            id="no-title",
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {"1": {"key": "a", "title": "  "}}}',
            r"document 1: a paper has no title",
            id="blank-title",
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {"1": {"title": "T"}}}',
            r"no citation key",
            id="no-key-in-schema-1",
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {'
            b'"1": {"key": "same", "title": "A"}, "2": {"key": "same", "title": "B"}}}',
            r"'same' is used twice \(documents 1 and 2\)",
            id="duplicate-keys",
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {"1": "just text"}}',
            r"document 1: a paper must be a JSON object",
            id="paper-not-object",
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {"x": {"key": "a", "title": "A"}}}',
            r"document id 'x' is not a number",
            id="bad-doc-id",
        ),
        pytest.param(
            b'{"meta": {"1": {"schema": 1}}, "papers": {"1": {"key": "a", "title": "A",'
            b' "authors": "Ann Smith"}}}',
            r"'authors' must be a list of strings",
            id="authors-not-list",
        ),
        pytest.param(
            b'{"papers": {"1": {"title": "A", "key": ["not", "text"]}}}',
            r"no citation key",
            id="schema-0-key-not-text",
        ),
        pytest.param(
            b'{"papers": {"1": {"title": "A", "authors": [1, 2]}}}',
            r"'authors' must be a list of strings",
            id="schema-0-authors-not-text",
        ),
    ],
)
def test_wrong_shapes_are_load_errors(tmp_path: Path, payload: bytes, expected: str) -> None:
    path = tmp_path / "shape.json"
    path.write_bytes(payload)
    with pytest.raises(LoadError, match=expected) as caught:
        Store.open(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == payload


def test_a_document_id_repeated_by_a_merge_is_refused(log_path: Path) -> None:
    """Two `"21": {...}` entries parse fine, but one paper would vanish without a word."""
    shipped = log_path.read_bytes()
    start = shipped.rindex(b'\n    "21": {')
    end = shipped.index(b"\n    }", start) + len(b"\n    }")
    theirs = shipped[start:end].replace(b'"key": "', b'"key": "theirs-')
    merged = shipped[:end] + b"," + theirs + shipped[end:]
    assert len(orjson.loads(merged)["papers"]) == SHIPPED_PAPERS  # the silent loss
    log_path.write_bytes(merged)
    with pytest.raises(LoadError, match="'21' appears twice") as caught:
        Store.open(log_path)
    assert str(log_path) in str(caught.value)
    assert log_path.read_bytes() == merged


def test_a_table_repeated_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_bytes(
        b'{\n  "meta": {\n    "1": {"schema": 1}\n  },\n'
        b'  "papers": {\n    "1": {"key": "a", "title": "A"}\n  },\n'
        b'  "papers": {}\n}\n'
    )
    with pytest.raises(LoadError, match="'papers' appears twice"):
        Store.open(path)


def test_other_layouts_are_not_mistaken_for_repeats(tmp_path: Path) -> None:
    path = tmp_path / "indent4.json"
    doc = {"key": "a", "title": "A"}
    path.write_text(json.dumps({"meta": {"1": {"schema": 1}}, "papers": {"1": doc}}, indent=4))
    assert [p.key for p in Store.open(path, readonly=True).papers] == ["a"]
    path.write_text(json.dumps({"meta": {"1": {"schema": 1}}, "papers": {}}, indent=4))
    assert Store.open(path, readonly=True).papers == []


def test_newer_schema_opens_read_only_and_keeps_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    doc = {
        "key": "future2031paper",
        "title": "A Paper From the Future",
        "authors": ["Ada Lovelace"],
        "year": 2031,
        "comment": "未来の論文",
        "reading_minutes": 42,
        "links": {"code": "https://example.org/code", "slides": None},
        "ratings": [4, 5],
    }
    payload = dumps({"meta": {"1": {"schema": 99, "feature": "x"}}, "papers": {"1": doc}})
    path.write_bytes(payload)

    store = Store.open(path)
    assert store.schema == 99
    assert store.readonly_reason is not None
    assert "newer" in store.readonly_reason and "99" in store.readonly_reason
    paper = store.papers[0]
    assert paper.extra == {
        "reading_minutes": 42,
        "links": {"code": "https://example.org/code", "slides": None},
        "ratings": [4, 5],
    }
    round_trip = Paper.from_dict(paper.to_dict()).to_dict()
    for name, value in doc.items():
        assert round_trip[name] == value
    with pytest.raises(SaveError, match="newer"):
        store.update(paper.copy(comment="edited"))
    assert path.read_bytes() == payload
    store.close()


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(LoadError, match="does not exist") as caught:
        Store.open(path)
    assert str(path) in str(caught.value)
    assert not path.exists()


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="is a folder") as caught:
        Store.open(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_read_only_file_opens_read_only(log_path: Path) -> None:
    """Mode 0o444 means read-only even for root, who `os.access` says may write anything."""
    log_path.chmod(0o444)
    before = log_path.read_bytes()
    store = Store.open(log_path)
    assert store.readonly_reason == "the file is read-only"
    with pytest.raises(SaveError, match="read-only"):
        store.update(store.papers[0].copy(comment="nope"))
    assert log_path.read_bytes() == before
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o444
    store.close()


def test_read_only_folder_opens_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "entries.json"
    path.write_bytes(shipped_log_bytes())
    folder.chmod(0o555)
    try:
        store = Store.open(path)
        assert store.readonly_reason is not None
        assert "folder is not writable" in store.readonly_reason
        with pytest.raises(SaveError):
            store.delete(store.papers[0].key)
        store.close()
    finally:
        folder.chmod(0o755)
    assert path.read_bytes() == shipped_log_bytes()


def _fail_with_enospc(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store_module.os, "write", no_space)


def test_full_disk_on_the_first_save(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = log_path.read_bytes()
    store = Store.open(log_path)
    _fail_with_enospc(monkeypatch)
    with pytest.raises(SaveError, match="the disk is full") as caught:
        store.update(store.papers[0].copy(comment="will not fit"))
    assert str(log_path) in str(caught.value)
    monkeypatch.undo()
    assert log_path.read_bytes() == before
    assert temp_files(log_path.parent) == []
    assert not store.backup_path.exists()
    store.close()


def test_full_disk_then_retry(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(log_path)
    store.update(store.papers[0].copy(comment="fits"))  # the backup is written now
    before = log_path.read_bytes()
    backup = store.backup_path.read_bytes()
    fresh = new_paper(title="Retry Me", taken_keys=[p.key for p in store.papers])

    _fail_with_enospc(monkeypatch)
    with pytest.raises(SaveError, match="the disk is full"):
        store.add(fresh)
    with pytest.raises(SaveError, match="the disk is full"):
        store.update(store.papers[1].copy(key="renamed"), old_key=store.papers[1].key)
    monkeypatch.undo()

    assert log_path.read_bytes() == before
    assert store.backup_path.read_bytes() == backup
    assert temp_files(log_path.parent) == []
    assert not store.changed_on_disk()

    # The failed changes were rolled back in memory too: retrying applies them once.
    store.add(fresh)
    store.update(store.papers[1].copy(key="renamed"), old_key=store.papers[1].key)
    store.close()
    keys = keys_on_disk(log_path)
    assert keys.count(fresh.key) == 1
    assert "renamed" in keys and store.papers[1].key not in keys
    assert len(Store.open(log_path, readonly=True).papers) == SHIPPED_PAPERS + 1


def test_text_that_is_not_json_is_a_save_error(log_path: Path) -> None:
    before = log_path.read_bytes()
    with Store.open(log_path) as store:
        with pytest.raises(SaveError, match="cannot be written as JSON"):
            store.update(store.papers[0].copy(comment="lone surrogate \ud800"))
        assert log_path.read_bytes() == before
        store.update(store.papers[0].copy(comment="fine"))  # memory was rolled back
    assert raw(log_path)["papers"]["1"]["comment"] == "fine"


def test_empty_file_is_an_empty_log(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    store = Store.open(path)
    assert store.papers == []
    assert store.readonly_reason is None
    assert not store.migrated
    assert path.read_bytes() == b"", "opening writes nothing"
    store.add(new_paper(title="First Paper", authors=["Ann Smith"], year=2024, taken_keys=[]))
    store.close()
    data = raw(path)
    assert list(data) == ["meta", "papers"]
    assert data["meta"] == {"1": {"schema": SCHEMA_VERSION}}
    assert [d["key"] for d in data["papers"].values()] == ["smith2024first"]
    assert store.backup_path.read_bytes() == b""


def test_create_makes_an_empty_log_and_never_overwrites(tmp_path: Path) -> None:
    path = Store.create(tmp_path / "new.json")
    assert raw(path) == {"meta": {"1": {"schema": SCHEMA_VERSION}}, "papers": {}}
    with Store.open(path) as store:
        assert store.papers == [] and store.schema == SCHEMA_VERSION
    with pytest.raises(StoreError, match="already exists"):
        Store.create(path)
    with pytest.raises(StoreError, match="is not a folder"):
        Store.create(tmp_path / "missing" / "new.json")


# ================================================================ schema 0 migration


def test_schema_0_gets_keys_and_is_migrated_on_request(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    original = dumps(
        {
            "_default": {},
            "papers": {
                "1": {
                    "title": "BEiT: BERT Pre-Training of Image Transformers",
                    "authors": ["Hangbo Bao", "Li Dong", "Furu Wei"],
                    "year": 2021,
                    "comment": "マスク画像モデリング",
                    "old_field": "kept",
                },
                "2": {
                    "title": "BEiT v2: Masked Image Modeling with Vector-Quantized Tokenizers",
                    "authors": ["Zhiliang Peng", "Li Dong", "Hangbo Bao"],
                    "year": 2022,
                },
                "3": {"title": "The BEiT Again", "authors": ["Hangbo Bao"], "year": 2021},
                "4": {"title": "Hand Keyed", "key": "bao2021beit", "authors": ["X Y"]},
            },
        }
    )
    path.write_bytes(original)

    store = Store.open(path)
    assert store.migrated and store.schema == 0
    assert [p.key for p in store.papers] == [
        "bao2021beitb",  # bao2021beit is taken by document 4's own key
        "peng2022beit",
        "bao2021beitc",  # "The" is skipped
        "bao2021beit",
    ]
    assert path.read_bytes() == original, "opening does not write"

    store.save_pending_migration()
    assert not store.migrated
    data = raw(path)
    assert list(data) == ["meta", "papers", "_default"]
    assert data["meta"] == {"1": {"schema": SCHEMA_VERSION}}
    assert data["papers"]["1"]["key"] == "bao2021beitb"
    assert data["papers"]["1"]["old_field"] == "kept"
    assert data["papers"]["1"]["comment"] == "マスク画像モデリング"
    assert store.backup_path.read_bytes() == original
    store.close()

    with Store.open(path) as again:
        assert not again.migrated and again.schema == SCHEMA_VERSION
        assert [p.key for p in again.papers] == [p.key for p in store.papers]


def test_migration_is_also_written_by_the_first_change(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_bytes(dumps({"papers": {"1": {"title": "Alone", "authors": ["Ann Lee"]}}}))
    with Store.open(path) as store:
        store.update(store.papers[0].copy(comment="c"))
        assert not store.migrated
    assert raw(path)["meta"] == {"1": {"schema": SCHEMA_VERSION}}
    assert raw(path)["papers"]["1"]["key"] == "leealone"


def test_read_only_schema_0_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    original = dumps({"papers": {"1": {"title": "Alone"}}})
    path.write_bytes(original)
    store = Store.open(path, readonly=True)
    assert store.migrated and store.papers[0].key == "anonalone"
    store.save_pending_migration()
    assert path.read_bytes() == original
    store.close()


# ================================================================ unknown fields


def test_unknown_fields_survive_an_update(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    write_log(
        path,
        {
            "1": {
                "key": "lee2024x",
                "title": "X",
                "comment": "old",
                "reading_minutes": 42,
                "links": {"code": "https://example.org"},
            },
            "2": {"key": "kim2023y", "title": "Y"},
        },
    )
    with Store.open(path) as store:
        paper = store.papers[0]
        store.update(paper.copy(comment="new"))
        store.update(paper.copy(key="lee2024renamed", comment="newer"), old_key="lee2024x")
    doc = raw(path)["papers"]["1"]
    assert doc["comment"] == "newer"
    assert doc["key"] == "lee2024renamed"
    assert doc["reading_minutes"] == 42
    assert doc["links"] == {"code": "https://example.org"}
    assert list(doc)[-2:] == ["reading_minutes", "links"]


# ================================================================ drafts


def test_drafts_are_saved_loaded_and_cleared(log_path: Path) -> None:
    before = log_path.read_bytes()
    with Store.open(log_path) as store:
        assert store.drafts_path == log_path.with_name("entries.json.drafts.json")
        assert store.load_drafts() == {}
        store.save_draft("berner2021modern", "書きかけのコメント")
        store.save_draft("yu2021s2mlp", "half")
        assert store.load_drafts() == {
            "berner2021modern": "書きかけのコメント",
            "yu2021s2mlp": "half",
        }
        assert stat.S_IMODE(store.drafts_path.stat().st_mode) == 0o600
        store.save_draft("yu2021s2mlp", "half, then more")
        store.save_draft("berner2021modern", None)
        assert store.load_drafts() == {"yu2021s2mlp": "half, then more"}
        store.save_draft("nobody", None)  # clearing a missing draft is fine
        store.save_draft("yu2021s2mlp", None)
        assert store.load_drafts() == {}
        assert not store.drafts_path.exists()

    # Drafts outlive the session that wrote them (that is their point).
    with Store.open(log_path) as store:
        store.save_draft("k", "kept")
    with Store.open(log_path) as store:
        assert store.load_drafts() == {"k": "kept"}
    assert log_path.read_bytes() == before, "drafts never touch the log"


def test_a_damaged_drafts_file_is_ignored(log_path: Path) -> None:
    with Store.open(log_path) as store:
        store.drafts_path.write_bytes(b"{not json")
        assert store.load_drafts() == {}
        store.drafts_path.write_bytes(b'{"a": "ok", "b": 3}')
        assert store.load_drafts() == {"a": "ok"}
        store.save_draft("c", "new")
        assert store.load_drafts() == {"a": "ok", "c": "new"}


# ================================================================ changes


def test_add_appends_and_refuses_duplicate_keys(log_path: Path) -> None:
    with Store.open(log_path) as store:
        taken = [p.key for p in store.papers]
        paper = new_paper(
            title="BEiT: BERT Pre-Training of Image Transformers",
            authors=["Hangbo Bao", "Li Dong"],
            year=2021,
            taken_keys=taken,
            comment="自己教師あり",
        )
        store.add(paper)
        after_add = log_path.read_bytes()
        with pytest.raises(StoreError, match="already in the log"):
            store.add(paper.copy(title="Another title"))
        twins = [paper.copy(key="twin"), paper.copy(key="twin")]
        with pytest.raises(StoreError, match="already in the log"):
            store.add_many(twins)
        assert log_path.read_bytes() == after_add
    keys = keys_on_disk(log_path)
    assert keys[-1] == paper.key and len(keys) == SHIPPED_PAPERS + 1
    reopened = Store.open(log_path, readonly=True)
    assert reopened.papers[-1] == paper


def test_update_and_rename(log_path: Path) -> None:
    with Store.open(log_path) as store:
        first, second, third = store.papers[:3]
        store.update(first.copy(comment="updated", tags=["x", "y"]))
        store.update(second.copy(key="renamed2021"), old_key=second.key)
        before = log_path.read_bytes()
        with pytest.raises(StoreError, match="already in the log"):
            store.update(third.copy(key=first.key), old_key=third.key)
        with pytest.raises(StoreError, match="No paper"):
            store.update(third.copy(), old_key="no-such-key")
        with pytest.raises(StoreError, match="No paper"):
            store.update(second)  # its old key is gone now
        assert log_path.read_bytes() == before
        # Swapping two keys in one change is fine.
        store.update_many(
            [(first.copy(key=third.key), first.key), (third.copy(key=first.key), third.key)]
        )
        store.update(
            first.copy(key="after-swap", comment="found by its new key"), old_key=third.key
        )
    keys = keys_on_disk(log_path)
    assert keys[:3] == ["after-swap", "renamed2021", first.key]
    assert len(keys) == len(set(keys)) == SHIPPED_PAPERS
    papers = Store.open(log_path, readonly=True).papers
    assert papers[0].comment == "found by its new key"
    assert papers[1].title == second.title


def test_delete(log_path: Path) -> None:
    with Store.open(log_path) as store:
        gone = store.papers[4].key
        store.delete(gone)
        before = log_path.read_bytes()
        store.delete(gone)  # already gone: nothing to write
        store.delete_many([])
        assert log_path.read_bytes() == before
        store.delete_many([store.papers[0].key, store.papers[0].key, store.papers[1].key])
    keys = keys_on_disk(log_path)
    assert len(keys) == SHIPPED_PAPERS - 3
    assert gone not in keys


def _count_log_writes(monkeypatch: pytest.MonkeyPatch, log: Path) -> list[Path]:
    writes: list[Path] = []
    real = store_module.write_atomic

    def counting(path: Path, payload: bytes, *, mode: int | None = None) -> Any:
        if path == log:
            writes.append(path)
        return real(path, payload, mode=mode)

    monkeypatch.setattr(store_module, "write_atomic", counting)
    return writes


def test_batch_writes_once(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _count_log_writes(monkeypatch, log_path)
    with Store.open(log_path) as store:
        papers = store.papers
        with store.batch():
            store.add(new_paper(title="Batched", taken_keys=[p.key for p in papers]))
            store.update(papers[0].copy(comment="batched edit"))
            with store.batch():  # nesting joins the outer batch
                store.delete(papers[1].key)
            assert writes == []
        assert len(writes) == 1
    keys = keys_on_disk(log_path)
    assert papers[1].key not in keys and "anonbatched" in keys
    assert raw(log_path)["papers"]["1"]["comment"] == "batched edit"


def test_batch_that_raises_writes_nothing_and_rolls_back(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = log_path.read_bytes()
    writes = _count_log_writes(monkeypatch, log_path)
    with Store.open(log_path) as store:
        papers = store.papers
        with pytest.raises(RuntimeError), store.batch():
            store.add(new_paper(title="Doomed", taken_keys=[p.key for p in papers]))
            store.update(papers[0].copy(key="doomed-rename"), old_key=papers[0].key)
            store.delete(papers[2].key)
            raise RuntimeError("the user pressed cancel")
        assert writes == []
        assert log_path.read_bytes() == before
        # Memory matches the file again: the rename and delete never happened.
        with pytest.raises(StoreError, match="No paper"):
            store.update(papers[0], old_key="doomed-rename")
        store.update(papers[0].copy(comment="after the rollback"))
        store.update(papers[2].copy(comment="still here"))
        store.add(new_paper(title="Doomed", taken_keys=[p.key for p in papers]))
    keys = keys_on_disk(log_path)
    assert len(keys) == SHIPPED_PAPERS + 1
    assert keys[0] == papers[0].key and keys.count("anondoomed") == 1
    assert raw(log_path)["papers"]["3"]["comment"] == "still here"


def test_reorder_is_one_write_in_the_given_order(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = _count_log_writes(monkeypatch, log_path)
    with Store.open(log_path) as store:
        order = list(reversed(store.papers))
        store.reorder(order)
        assert len(writes) == 1
        before = log_path.read_bytes()
        with pytest.raises(StoreError, match="already in the log"):
            store.reorder([order[0], order[0]])
        assert log_path.read_bytes() == before
        store.update(order[0].copy(comment="after reorder"))
    assert keys_on_disk(log_path) == [p.key for p in order]
    assert raw(log_path)["papers"]["1"]["comment"] == "after reorder"


def test_key_order_is_stable_and_japanese_is_not_escaped(log_path: Path) -> None:
    before = raw(log_path)
    comment = "日本語のコメント。論文を読んだ感想"
    with Store.open(log_path) as store:
        store.update(store.papers[3].copy(comment=comment))
    payload = log_path.read_bytes()
    assert comment.encode("utf-8") in payload
    assert b"\\u" not in payload
    after = orjson.loads(payload)
    assert list(after) == list(before)
    assert list(after["papers"]) == list(before["papers"])
    for doc_id, doc in before["papers"].items():
        assert list(after["papers"][doc_id]) == list(doc)


def test_saving_the_shipped_log_unchanged_reproduces_it(log_path: Path) -> None:
    original = log_path.read_bytes()
    with Store.open(log_path) as store:
        store.update_many((p, p.key) for p in store.papers)
        assert store.backup_path.exists(), "a save really happened"
    assert log_path.read_bytes() == original


# ================================================================ where the log lives


def test_resolve_log_path_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "explicit.json"
    from_env = tmp_path / "env.json"
    monkeypatch.setenv("PAPER_TUI_DB", str(from_env))
    assert resolve_log_path(str(explicit)) == explicit
    assert resolve_log_path(None) == from_env
    assert resolve_log_path(None, env={"PAPER_TUI_DB": "~/x.json"}) == Path("~/x.json").expanduser()
    assert not explicit.exists() and not from_env.exists(), "named logs are not created"


def test_default_log_is_created_from_the_shipped_one() -> None:
    data_home = Path(os.environ["XDG_DATA_HOME"])
    expected = data_home / "paper-tui" / "entries.json"
    assert default_data_path() == expected
    assert not expected.exists()

    path = resolve_log_path(None)
    assert path == expected
    assert path.read_bytes() == shipped_log_bytes()
    with Store.open(path) as store:
        assert len(store.papers) == SHIPPED_PAPERS
        store.update(store.papers[0].copy(comment="mine now"))

    assert resolve_log_path(None, env={}) == expected
    assert raw(expected)["papers"]["1"]["comment"] == "mine now", "an existing log is kept"


# ================================================================ large logs


def big_log(path: Path, papers: int = 3600, **tables: Any) -> dict[str, Any]:
    """A log of `papers` documents made from the shipped ones (about 3 MB), written by `dumps`.

    Larger than `PEEK_MIN_BYTES` and several of `_parse_in_pieces`' blocks.
    """
    shipped = orjson.loads(shipped_log_bytes())
    docs = list(shipped["papers"].values())
    table: dict[str, Any] = {}
    for i in range(papers):
        doc = dict(docs[i % len(docs)])
        doc["key"] = f"{doc['key']}-{i}"
        doc["comment"] = f"{doc['comment']} (copy {i})"
        table[str(i + 1)] = doc
    data = {"meta": shipped["meta"], "papers": table, **tables}
    path.write_bytes(dumps(data))
    assert path.stat().st_size > store_module.PEEK_MIN_BYTES
    return data


def _count_pieces(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pieces: list[int] = []
    real = store_module._add_piece

    def counting(table: dict[str, Any], buffer: bytes, end: int, pool: dict[Any, Any]) -> bool:
        pieces.append(end)
        return real(table, buffer, end, pool)

    monkeypatch.setattr(store_module, "_add_piece", counting)
    return pieces


def test_a_large_log_is_parsed_in_pieces_as_if_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    data = big_log(path)
    pieces = _count_pieces(monkeypatch)
    parsed = store_module._parse(path)
    assert len(pieces) > 4, "read a block at a time"
    assert parsed == data == orjson.loads(path.read_bytes())
    assert list(parsed["papers"]) == list(data["papers"]), "document order kept"
    store = Store.open(path, readonly=True)
    assert [p.key for p in store.papers] == [d["key"] for d in data["papers"].values()]


def test_repeated_values_of_a_large_log_are_one_object_each(tmp_path: Path) -> None:
    """Tags, statuses and dates that repeat are kept once (memory at 100k)."""
    path = tmp_path / "big.json"
    data = big_log(path)
    store = Store.open(path, readonly=True)
    assert [p.to_dict() for p in store.papers] == list(data["papers"].values())
    tags = [t for p in store.papers for t in p.tags]
    assert len({id(t) for t in tags}) == len(set(tags)) < len(tags)
    statuses = [p.status for p in store.papers]
    assert len({id(s) for s in statuses}) == len(set(statuses))


def test_a_large_log_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    data = big_log(path)
    original = path.read_bytes()
    with Store.open(path) as store:
        store.update_many((p, p.key) for p in store.papers)
        assert path.read_bytes() == original
        paper = store.papers[2000]
        store.update(paper.copy(comment="一つだけ変えた"))
    data["papers"]["2001"]["comment"] = "一つだけ変えた"
    assert path.read_bytes() == dumps(data)
    assert store.backup_path.read_bytes() == original


@pytest.mark.parametrize("pieces", [1, 2, 7, 1000])
def test_pieces_of_a_dump_are_the_dump(monkeypatch: pytest.MonkeyPatch, pieces: int) -> None:
    monkeypatch.setattr(store_module, "_PIECE_DOCS", pieces)
    shipped = orjson.loads(shipped_log_bytes())
    papers = shipped["papers"]
    cases = [
        shipped,
        {"meta": shipped["meta"], "papers": {}},
        {"papers": papers},
        {"papers": dict(list(papers.items())[:1])},
        {"notes": {"1": {"papers": "x"}}, "papers": papers, "meta": shipped["meta"]},
        {"meta": shipped["meta"], "papers": papers, "later": [1, {"a": None}]},
    ]
    for data in cases:
        assert b"".join(store_module._dump_pieces(data)) == dumps(data)


def _repeat_document(payload: bytes, doc_id: str, after: str) -> bytes:
    """A copy of document `doc_id` (with its own citation key) put after document `after`."""
    table = payload.index(b'\n  "papers": {')
    start = payload.index(f'\n    "{doc_id}": {{'.encode(), table)
    end = payload.index(b"\n    }", start) + len(b"\n    }")
    copy = payload[start:end].replace(b'"key": "', b'"key": "theirs-')
    at = payload.index(f'\n    "{after}": {{'.encode(), table)
    at = payload.index(b"\n    }", at) + len(b"\n    }")
    return payload[:at] + b"," + copy + payload[at:]


@pytest.mark.parametrize(("doc_id", "after"), [("3", "3000"), ("1700", "1700"), ("3600", "1")])
def test_a_document_id_repeated_in_a_large_log_is_refused(
    tmp_path: Path, doc_id: str, after: str
) -> None:
    path = tmp_path / "big.json"
    big_log(path)
    merged = _repeat_document(path.read_bytes(), doc_id, after)
    assert len(orjson.loads(merged)["papers"]) == 3600  # the silent loss
    path.write_bytes(merged)
    with pytest.raises(LoadError, match=f"'{doc_id}' appears twice"):
        Store.open(path)


def test_a_large_log_with_a_table_after_the_papers(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    data = big_log(path, notes={"1": {"text": "kept"}, "2": {"text": "too"}})
    assert store_module._parse(path) == data
    with Store.open(path) as store:
        store.update(store.papers[5].copy(comment="edited"))
    data["papers"]["6"]["comment"] = "edited"
    assert path.read_bytes() == dumps(data)


def test_an_error_deep_in_a_large_log_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    big_log(path)
    payload = path.read_bytes()
    at = payload.index(b'"title": ', payload.index(b'\n    "3000": {'))
    broken = payload[:at] + b'"title" ' + payload[at + len(b'"title": ') :]
    path.write_bytes(broken)
    line = broken.count(b"\n", 0, at) + 1
    with pytest.raises(LoadError, match=f"not valid JSON at line {line}, column"):
        Store.open(path)


def test_document_ids_with_leading_zeros_are_numbers(tmp_path: Path) -> None:
    path = tmp_path / "zeros.json"
    write_log(path, {"01": {"key": "a", "title": "A"}, "002": {"key": "b", "title": "B"}})
    with Store.open(path) as store:
        store.update(store.papers[1].copy(comment="edited"))
    assert raw(path)["papers"] == {
        "1": {"key": "a", "title": "A"},
        "2": Paper(key="b", title="B", comment="edited").to_dict(),
    }
    write_log(path, {"1": {"key": "a", "title": "A"}, "01": {"key": "b", "title": "B"}})
    with pytest.raises(LoadError, match="ids '1' and '01' are the same number"):
        Store.open(path)


def test_open_pauses_the_collector_and_freezes_large_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    path = tmp_path / "big.json"
    big_log(path, papers=3000)
    seen: list[bool] = []
    real = store_module._read_log

    def spying(data: dict[str, Any], where: Path) -> Any:
        seen.append(gc.isenabled())
        return real(data, where)

    monkeypatch.setattr(store_module, "_read_log", spying)
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    Store.open(path, readonly=True)
    assert seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() == frozen, "3,000 papers: below FREEZE_MIN_PAPERS"
    gc.disable()
    try:
        Store.open(path, readonly=True)
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()
    path.write_bytes(b"{")
    with pytest.raises(LoadError):
        Store.open(path)
    assert gc.isenabled(), "back on after a failed load too"

    big_log(path, papers=3000)
    monkeypatch.setattr(store_module, "FREEZE_MIN_PAPERS", 3000)
    try:
        Store.open(path, readonly=True)
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()


def test_a_failed_first_save_puts_the_previous_backup_back(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = log_path.with_name(log_path.name + ".bak")
    backup.write_bytes(b"the backup of an earlier session")
    store = Store.open(log_path)
    _fail_with_enospc(monkeypatch)
    with pytest.raises(SaveError, match="the disk is full"):
        store.update(store.papers[0].copy(comment="will not fit"))
    monkeypatch.undo()
    assert backup.read_bytes() == b"the backup of an earlier session"
    assert temp_files(log_path.parent) == []
    original = log_path.read_bytes()
    store.update(store.papers[0].copy(comment="fits now"))
    assert backup.read_bytes() == original
    assert temp_files(log_path.parent) == []
    store.close()


def test_the_backup_is_the_previous_file_itself_or_a_copy(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = log_path.read_bytes()
    inode = log_path.stat().st_ino
    with Store.open(log_path) as store:
        store.update(store.papers[0].copy(comment="first"))
    assert store.backup_path.stat().st_ino == inode, "a hard link: nothing copied"
    assert store.backup_path.read_bytes() == original

    # A file system without hard links: copied, as before.
    store.backup_path.unlink()
    before = log_path.read_bytes()

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(store_module.os, "link", no_links)
    with Store.open(log_path) as store:
        store.update(store.papers[0].copy(comment="second"))
    assert store.backup_path.read_bytes() == before
    assert store.backup_path.stat().st_ino != log_path.stat().st_ino


def test_rollback_after_a_table_rebuilt_by_tinydb(log_path: Path) -> None:
    before = log_path.read_bytes()
    with Store.open(log_path) as store:
        papers = store.papers
        with pytest.raises(RuntimeError), store.batch():
            store.update(papers[0].copy(comment="before the add"))
            store.add(new_paper(title="Added", taken_keys=[p.key for p in papers]))
            store.update(papers[1].copy(comment="after the add"))
            store.update(papers[0].copy(key="renamed"), old_key=papers[0].key)
            raise RuntimeError("cancel")
        assert log_path.read_bytes() == before
        store.update(papers[2].copy(comment="the only change"))
    data = orjson.loads(before)
    data["papers"]["3"]["comment"] = "the only change"
    assert log_path.read_bytes() == dumps(data)


# ================================================================ a first screenful early


def test_peek_gives_the_first_papers_of_a_large_log(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    big_log(path)
    full = Store.open(path, readonly=True).papers
    for count in (1, 40, 300):
        assert store_module.peek_papers(path, count) == full[:count]
    assert store_module.peek_papers(path, 3000) is None, "more than the first 512 KB hold"
    assert store_module.peek_papers(path, 0) is None


def test_peek_declines_what_it_cannot_read_cheaply(tmp_path: Path, log_path: Path) -> None:
    peek = store_module.peek_papers
    assert peek(log_path, 5) is None, "small: the full load is fast anyway"
    assert peek(tmp_path / "missing.json", 5) is None
    assert peek(tmp_path, 5) is None

    path = tmp_path / "big.json"
    data = big_log(path)
    payload = path.read_bytes()
    path.write_bytes(orjson.dumps(data))  # compact: another layout
    assert peek(path, 5) is None
    at = payload.index(b'"title": ', payload.index(b'\n    "2": {'))
    path.write_bytes(payload[:at] + b'"title" ' + payload[at + len(b'"title": ') :])
    assert peek(path, 5) is None, "corrupt"
    path.write_bytes(payload.replace(b'"title": ', b'"title": 7, "x": ', 3))
    assert peek(path, 5) is None, "not papers"
    path.write_bytes(payload.replace(b'"schema": 1', b'"schema": 0', 1))
    assert peek(path, 5) is None, "an older schema is migrated on load"
    path.write_bytes(payload.replace(b'\n    "2": {', b'\n    "0": {', 1))
    assert peek(path, 5) is None, "ids out of order: the load sorts them"
    path.write_bytes(payload)
    assert peek(path, 5) == Store.open(path, readonly=True).papers[:5]
