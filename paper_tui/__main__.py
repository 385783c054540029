"""Command line: start the app, or run one core command without a screen.

The subcommands never import Textual, so they answer in a fraction of the app's
start-up time. Errors are one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import orjson

from . import __version__
from .cite import FORMATS as CITE_FORMATS
from .cite import cite
from .model import STATUSES, Paper, ValidationError, authors_short, new_paper, plain_text
from .search import SORTS, Filter, Library
from .store import LoadError, Store, StoreError, resolve_log_path

BACKGROUND_LOAD_BYTES = 4_000_000
"""Logs larger than this (about 5,000 papers) load on a thread after the first paint."""
PREVIEW_PAPERS = 300

COMMANDS = ("list", "show", "cite", "import", "export", "add", "refresh")

EPILOG = """\
commands (run `paper-tui COMMAND --help` for each):
  list     list papers, filtered by tag and search
  show     print one paper with its comment
  cite     print citations of papers (by key or by tag)
  import   add papers from a text log, Markdown or BibTeX file
  export   write the log (or part of it) as text, Markdown, BibTeX or JSON
  add      add a paper: by arXiv id, DOI or URL (fetched), or by title
  refresh  fetch the metadata of papers added while offline

The log: PATH, else $PAPER_TUI_DB, else entries.json in your data folder
(created from the shipped reading log on first run).
"""


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""


def _fail(message: str) -> NoReturn:
    print(f"paper-tui: {message}", file=sys.stderr)
    raise SystemExit(2)


def _app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paper-tui",
        description="A keyboard-first terminal reader for your reading log.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", nargs="?", help="the log file to open (a TinyDB JSON file)")
    parser.add_argument("--create", action="store_true", help="create PATH as an empty log first")
    parser.add_argument("--read-only", action="store_true", help="open without saving anything")
    parser.add_argument("--version", action="version", version=f"paper-tui {__version__}")
    return parser


def _command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paper-tui")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH", help="the log file (default: as for the app)")
        return p

    p = add("list", "List papers, filtered by tag and search.")
    p.add_argument("--tag", action="append", default=[], help="only papers with this tag")
    p.add_argument("--any", action="store_true", help="papers with any of the tags, not all")
    p.add_argument("--search", default="", help="only papers matching this text")
    p.add_argument("--status", choices=STATUSES, help="only papers with this reading status")
    p.add_argument("--sort", choices=list(SORTS), default="added")
    p.add_argument("--json", action="store_true", help="print JSON records")

    p = add("show", "Print one paper with its comment.")
    p.add_argument("key")
    p.add_argument("--json", action="store_true")

    p = add("cite", "Print citations of papers, by key or by tag.")
    p.add_argument("keys", nargs="*", metavar="KEY")
    p.add_argument("--tag", action="append", default=[], help="cite every paper with this tag")
    p.add_argument("--format", choices=list(CITE_FORMATS), default="bibtex")

    p = add("import", "Add papers from a file; duplicates are merged, never copied.")
    p.add_argument("file")
    p.add_argument(
        "--format", default="auto", choices=["auto", "text", "markdown", "bibtex", "json"]
    )
    p.add_argument("--tag", action="append", default=[], help="tag every imported paper")
    p.add_argument("--dry-run", action="store_true", help="only say what would happen")

    p = add("export", "Write papers as text, Markdown, BibTeX or JSON.")
    p.add_argument("--format", choices=["text", "markdown", "bibtex", "json"], default="markdown")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--search", default="")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")

    p = add("add", "Add a paper by arXiv id, DOI or URL (metadata fetched), or by title.")
    p.add_argument("title", metavar="ID_OR_TITLE")
    p.add_argument("--author", action="append", default=[], help="an author (repeatable)")
    p.add_argument("--year")
    p.add_argument("--arxiv", default="", help="arXiv id or URL")
    p.add_argument("--venue", default="")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--comment", default="")

    add("refresh", "Fetch metadata for papers added while offline (marked pending).")
    return parser


def _open(db: str | None, *, readonly: bool = True) -> Store:
    try:
        return Store.open(resolve_log_path(db), readonly=readonly, lock=not readonly)
    except StoreError as exc:
        _fail(str(exc))


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _row(paper: Paper) -> str:
    tags = " ".join(f"#{t}" for t in paper.tags)
    who = authors_short(paper.authors)
    return f"{paper.key:<28} {paper.year or '':<4}  {plain_text(paper.title)} — {who}  {tags}"


def _show(paper: Paper) -> str:
    lines = [plain_text(paper.title), ""]
    if paper.authors:
        lines.append("Authors: " + ", ".join(plain_text(a) for a in paper.authors))
    if paper.year:
        lines.append(f"Year:    {paper.year}")
    if paper.venue:
        lines.append(f"Venue:   {paper.venue}")
    if paper.arxiv_id:
        lines.append(f"arXiv:   {paper.arxiv_id}")
    if paper.link:
        lines.append(f"Link:    {paper.link}")
    if paper.tags:
        lines.append("Tags:    " + " ".join(f"#{t}" for t in paper.tags))
    lines.append(f"Status:  {paper.status}{'  ★' if paper.starred else ''}")
    lines.append(f"Key:     {paper.key}")
    if paper.comment:
        lines += ["", paper.comment]
    return "\n".join(lines)


def run_command(argv: Sequence[str]) -> int:
    args = _command_parser().parse_args(argv)
    if args.command == "add":
        return _add(args)
    if args.command == "refresh":
        return _refresh(args)
    if args.command == "import":
        return _import(args)
    store = _open(args.db)
    library = Library(store.papers)
    if args.command == "list":
        flt = Filter(
            query=args.search,
            tags=frozenset(args.tag),
            tag_mode="any" if args.any else "all",
            status=args.status or "",
        )
        papers = library.view(flt, args.sort)
        if args.json:
            _print(orjson.dumps([p.to_dict() for p in papers], option=orjson.OPT_INDENT_2).decode())
        else:
            for p in papers:
                _print(_row(p))
        return 0
    if args.command == "show":
        paper = library.get(args.key)
        if paper is None:
            _fail(f"no paper with the key {args.key!r} in {store.path}")
        _print(
            orjson.dumps(paper.to_dict(), option=orjson.OPT_INDENT_2).decode()
            if args.json
            else _show(paper)
        )
        return 0
    if args.command == "cite":
        if not args.keys and not args.tag:
            _fail("name one or more KEYs, or --tag TAG")
        chosen: list[Paper] = []
        for key in args.keys:
            found = library.get(key)
            if found is None:
                _fail(f"no paper with the key {key!r} in {store.path}")
            chosen.append(found)
        if args.tag:
            tagged = library.view(Filter(tags=frozenset(args.tag)))
            if not tagged:
                _fail(f"no paper has the tag(s) {', '.join(args.tag)}")
            chosen += [p for p in tagged if p not in chosen]
        _print(cite(chosen, args.format))
        return 0
    if args.command == "export":
        return _export(args, library)
    raise AssertionError(args.command)


def _export(args: argparse.Namespace, library: Library) -> int:
    from .formats import export

    papers = library.view(Filter(query=args.search, tags=frozenset(args.tag)))
    text = export(papers, args.format)
    if args.output:
        from .store import write_atomic

        try:
            write_atomic(Path(args.output), text.encode("utf-8"))
        except StoreError as exc:
            _fail(str(exc))
        print(f"Wrote {len(papers)} papers to {args.output}", file=sys.stderr)
    else:
        _print(text)
    return 0


def _import(args: argparse.Namespace) -> int:
    from .formats import FormatError, read_file
    from .importer import plan_import

    try:
        parsed = read_file(Path(args.file), args.format)
    except FormatError as exc:
        _fail(str(exc))
    store = _open(args.db, readonly=args.dry_run)
    plan = plan_import(store.papers, parsed.papers, args.tag)
    for problem in [*parsed.problems, *plan.problems]:
        print(f"  problem: {problem}", file=sys.stderr)
    for paper, reason in plan.skipped:
        print(f"  skipped: {plain_text(paper.title)[:70]} ({reason})", file=sys.stderr)
    if args.dry_run:
        print(f"Dry run, nothing written: would be {plan.summary()}.")
        return 0
    try:
        with store.batch():
            if plan.merged:
                store.update_many([(new, old.key) for old, new in plan.merged])
            if plan.added:
                store.add_many(plan.added)
    except StoreError as exc:
        _fail(f"{exc} Nothing was imported.")
    finally:
        store.close()
    print(f"Imported into {store.path}: {plan.summary()}.")
    return 0


def _add(args: argparse.Namespace) -> int:
    from .fetch import parse_identifier

    ident = parse_identifier(args.title)
    if ident is not None and not (args.author or args.year or args.venue):
        return _add_identifier(args, ident)
    store = _open(args.db, readonly=False)
    try:
        paper = new_paper(
            title=args.title,
            taken_keys={p.key for p in store.papers},
            authors=args.author,
            year=args.year,
            arxiv=args.arxiv,
            venue=args.venue,
            tags=args.tag,
            comment=args.comment,
        )
        from .importer import find_duplicate

        dup = find_duplicate(store.papers, paper)
        if dup is not None:
            _fail(f"already in the log as {dup.key!r}: {plain_text(dup.title)}")
        store.add(paper)
    except ValidationError as exc:
        _fail(str(exc))
    except StoreError as exc:
        _fail(str(exc))
    finally:
        store.close()
    print(f"Added {paper.key}: {plain_text(paper.title)}")
    return 0


def _add_identifier(args: argparse.Namespace, ident: object) -> int:
    from .fetch import Endpoints, Fetcher, FetchError, Identifier, add_by_identifier
    from .model import normalize_tags

    assert isinstance(ident, Identifier)
    store = _open(args.db, readonly=False)
    try:
        print(f"Fetching {ident.label}…", file=sys.stderr)
        outcome = add_by_identifier(
            ident,
            store.papers,
            Fetcher(Endpoints.from_env()),
            tags=normalize_tags(args.tag),
            comment=args.comment,
        )
        if outcome.existing:
            _fail(f"{ident.label} is {outcome.message}: {plain_text(outcome.paper.title)}")
        store.add(outcome.paper)
    except (FetchError, ValueError) as exc:
        _fail(f"{ident.label}: {exc}")
    except StoreError as exc:
        _fail(str(exc))
    finally:
        store.close()
    if outcome.message:
        print(outcome.message, file=sys.stderr)
    print(f"Added {outcome.paper.key}: {plain_text(outcome.paper.title)}")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from .fetch import Endpoints, Fetcher, is_pending, refresh_pending

    store = _open(args.db, readonly=False)
    try:
        pending = [p for p in store.papers if is_pending(p)]
        if not pending:
            print("No papers are waiting for metadata.")
            return 0
        noun = "paper" if len(pending) == 1 else "papers"
        print(f"Fetching metadata for {len(pending)} {noun}…", file=sys.stderr)
        try:
            updated, problems = refresh_pending(pending, Fetcher(Endpoints.from_env()))
        except ValueError as exc:
            _fail(str(exc))
        if updated:
            store.update_many(updated)
    except StoreError as exc:
        _fail(str(exc))
    finally:
        store.close()
    for problem in problems:
        print(f"  still pending: {problem}", file=sys.stderr)
    print(f"Filled {len(updated)} of {len(pending)} pending papers.")
    return 0 if not problems else 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            return run_command(argv)
        return run_app(_app_parser().parse_args(argv))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def run_app(args: argparse.Namespace) -> int:
    try:
        if args.create:
            if not args.path:
                _fail("--create needs a PATH")
            Store.create(args.path)
        path = resolve_log_path(args.path)
    except StoreError as exc:
        _fail(str(exc))
    if not path.exists():
        # Nothing to show and nothing to protect: say so here rather than open an empty
        # read-only screen (a typo such as `paper-tui lsit` lands here too).
        hint = " (commands: " + ", ".join(COMMANDS) + ")" if "/" not in str(path) else ""
        _fail(f"{path} does not exist{hint}. `paper-tui --create {path}` starts a new log there.")
    from .app import PaperApp  # Textual is imported only when the app runs

    def load() -> Store:
        return Store.open(path, readonly=args.read_only)

    try:
        large = path.is_file() and path.stat().st_size > BACKGROUND_LOAD_BYTES
    except OSError:
        large = False
    if large:
        # Paint the first screenful now and read the rest on a thread (see README).
        from .store import peek_papers

        preview = peek_papers(path, PREVIEW_PAPERS)
        app = PaperApp(store=None, path=path, loader=load, preview=preview)
    else:
        try:
            store: Store | None = load()
            error = None
        except LoadError as exc:
            store, error = None, str(exc)
        app = PaperApp(store=store, path=path, load_error=error)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
