"""The `aftaler` command: ingest, look at documents, ask, search, compare, find precedent wording, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from index.errors import IndexBusyError, IndexLayerError
from ingest.errors import IngestError
from service.answer import Scorer, calibration_name
from service.config import REPO_ROOT, Settings, get_settings
from service.errors import ServiceError
from service.runtime import Runtime, json_progress, tqdm_progress
from service.schemas import AskRequest, CompareRequest, SearchRequest, SimilarRequest

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        return args.run(args, settings)
    except (IngestError, IndexLayerError, ServiceError, ValueError) as exc:
        # The one place errors meet the terminal: a readable line, no traceback.
        print(f"aftaler: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("aftaler: interrupted; the previous index is unchanged", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftaler", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Callable, help: str) -> argparse.ArgumentParser:  # noqa: A002
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    sub = command("ingest", _ingest, "Build or update the index of the corpus folder.")
    sub.add_argument(
        "--rebuild", action="store_true", help="build the whole index anew; the old one stays until it is complete"
    )
    sub.add_argument("--json-progress", action="store_true", help="progress and the report as JSON lines on stdout")
    sub.add_argument("--owner", default="aftaler ingest", help="who holds the ingest lock, for 'busy' messages")

    sub = command("documents", _documents, "List the documents in the corpus with metadata and counts.")
    sub.add_argument("--json", action="store_true")

    sub = command("show", _show, "Print a document's metadata and sections.")
    sub.add_argument("doc_id")
    sub.add_argument("--json", action="store_true")

    for name, run, help in (
        ("ask", _ask, "Ask a question; prints a quoted, sourced answer."),
        ("search", _search, "Search passages."),
        ("similar", _similar, "Find how other agreements worded a draft sentence."),
    ):
        sub = command(name, run, help)
        sub.add_argument("text")
        sub.add_argument("--top-k", type=int, default=5)
        sub.add_argument("--json", action="store_true")
    commands.choices["similar"].add_argument("--section-kind", default=None)
    commands.choices["ask"].add_argument(
        "--explain", action="store_true", help="print the trace: analysis, candidates with features, thresholds"
    )

    sub = command("compare", _compare, "Compare a goal (e.g. sygefravær) across units as a sourced table.")
    sub.add_argument("topic")
    form = sub.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true")

    sub = command(
        "calibrate",
        _calibrate,
        "Fit the answer scorer on question sets with grouped cross-validation; prints the calibration table.",
    )
    sub.add_argument(
        "--questions",
        nargs="*",
        type=Path,
        help="question sets (default: benchmarks/*.jsonl but those listed in benchmarks/held_out.txt)",
    )
    sub.add_argument("--save-features", type=Path, help="also write the labelled candidate rows to this file")
    sub.add_argument("--add-features", nargs="*", type=Path, default=[], help="rows collected on other indexes")
    sub.add_argument("--collect-only", action="store_true", help="collect and save rows, do not fit")
    sub.add_argument("--out", type=Path, help="calibration file (default: DATA_DIR/calibration/<model>.json)")

    sub = command("serve", _serve, "Serve the API and chat page (builds the index first if there is none).")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes sharing the port (default AFTALER_WORKERS, else one per CPU core, at most 4; each "
        "loads the model and the index)",
    )
    return parser


# -- commands ------------------------------------------------------------------------------------------


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    # --rebuild builds everything afresh beside the old index and swaps it in: interrupted, the old one stays.
    runtime = Runtime(settings)
    progress = json_progress() if args.json_progress else tqdm_progress()
    try:
        report = runtime.update(progress=progress, rebuild=args.rebuild, owner=args.owner, wait=0)
    except IndexBusyError as busy:
        print(f"aftaler: {busy}; waiting for it", file=sys.stderr)
        report = runtime.update(progress=progress, rebuild=args.rebuild, owner=args.owner)
    if args.json_progress:
        print(json.dumps({"report": asdict(report)}, ensure_ascii=False), flush=True)
        return 0
    print(
        f"index {settings.index_dir}: {report.added} added, {report.changed} changed, {report.removed} removed, "
        f"{report.unchanged} unchanged; {report.embedded} chunks embedded in {report.seconds:.1f} s"
    )
    if report.published is not None:
        published = report.published
        print(
            f"published to {runtime.where}: {published.upserted} documents upserted, {published.deleted} deleted, "
            f"{published.unchanged} unchanged"
        )
    for failure in report.failures:
        print(f"  skipped {failure.path}: {failure.reason}", file=sys.stderr)
    return 0


def _documents(args: argparse.Namespace, settings: Settings) -> int:
    from service.api import document_rows

    # The index, not a fresh parse of the corpus: the CLI shows what /documents serves.
    rows = document_rows(Runtime(settings).load())
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        print(f"{row['id']}\n  {row['title']}")
        print(
            f"  {row['organisation'] or '-'} | {row['unit'] or '-'} | {row['year'] or '-'} | "
            f"{row['doc_type']} | {row['pages'] or '-'} pages | {row['sections']} sections | "
            f"{row['chunks']} chunks | {row['path']}"
        )
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from service.api import indexed_document

    doc = indexed_document(Runtime(settings).load(), args.doc_id)
    if args.json:
        print(json.dumps(doc.to_json(), ensure_ascii=False, indent=2))
        return 0
    for key, value in doc.metadata().items():
        print(f"{key:>13}: {value}")
    for section in doc.sections:
        pages = f" (s. {section.page_start}-{section.page_end})" if section.page_start else ""
        print(f"\n## {' > '.join(section.heading_path) or '(no heading)'}{pages}")
        print(textwrap.indent(section.text.strip(), "   "))
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    response = _service(settings).ask(AskRequest(question=args.text, top_k=args.top_k), debug=args.explain)
    if args.json:
        return _print_json(response)
    print(response.answer)
    english = response.language == "en"
    source, page, closest = ("Source", "p.", "Closest passages") if english else ("Kilde", "s.", "Nærmeste passager")
    for n, item in enumerate(response.evidence, 1):
        hit = next(p for p in response.passages if p.id == item.passage_id)
        where = f"{hit.document_title} > {hit.section}" + (f", {page} {hit.page}" if hit.page else "")
        print(f"  {n}. »{item.quote}«\n     {source}: {where}")
    if response.rows:
        from service.compare import format_table

        print(format_table([row.model_dump() for row in response.rows]))
    for citation in response.citations:
        hit = next(p for p in response.passages if p.id == citation.passage_id)
        print(f"\n{source}: {hit.document_title} > {hit.section}" + (f", {page} {hit.page}" if hit.page else ""))
    if not response.answered and response.passages:
        print(f"\n{closest}:")
        _print_passages(response.passages[:3])
    if response.trace is not None:
        print("\n" + json.dumps(response.trace, ensure_ascii=False, indent=1))
    return 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    response = _service(settings).search(SearchRequest(query=args.text, top_k=args.top_k))
    if args.json:
        return _print_json(response)
    _print_passages(response.passages)
    return 0


def _similar(args: argparse.Namespace, settings: Settings) -> int:
    request = SimilarRequest(text=args.text, top_k=args.top_k, section_kind=args.section_kind)
    response = _service(settings).similar(request)
    if args.json:
        return _print_json(response)
    _print_passages(response.passages)
    return 0


def _compare(args: argparse.Namespace, settings: Settings) -> int:
    from service.compare import format_table, rows_to_csv

    response = _service(settings).compare(CompareRequest(topic=args.topic))
    rows = [row.model_dump() for row in response.rows]
    if args.json:
        return _print_json(response)
    if args.csv:
        sys.stdout.write(rows_to_csv(rows))
        return 0
    print(format_table(rows) if rows else response.message)
    return 0


def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from service.answer import calibrate, thresholds

    questions = args.questions
    if questions is None:
        questions = calibrate.fitting_sets(REPO_ROOT / "benchmarks")
    runtime = Runtime(settings)
    # Features do not depend on the scorer: a neutral one, so a stale calibration file cannot block its re-fit.
    answerer = runtime.answerer(runtime.load_or_build(progress=tqdm_progress()), Scorer.neutral())
    rows = calibrate.collect(answerer, calibrate.load_questions(questions))
    print(f"{len({r.question_id for r in rows})} questions of {len(questions)} sets in this index, {len(rows)} rows")
    if args.save_features:
        calibrate.write_rows(rows, args.save_features)
    if args.collect_only:
        return 0
    for path in args.add_features:
        rows += calibrate.read_rows(path)
    fitted = calibrate.fit(rows, settings.model)
    out = args.out or settings.data_dir / "calibration" / calibration_name(settings.model)
    calibrate.write_calibration(fitted, out)
    print(thresholds.format_table(fitted))
    print(f"written {out}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from index.milvus_client import serve_lite
    from service.app import create_app

    if settings.search_backend == "milvus" and settings.milvus_target.endswith(".db"):
        # One process may open a milvus-lite file: this one runs it, the server workers and ingest jobs connect.
        socket = serve_lite(settings.milvus_target)
        os.environ["AFTALER_MILVUS_URI"] = socket
        settings = settings.model_copy(update={"milvus_uri": socket})
    runtime = Runtime(settings)
    if settings.corpus_dir.is_dir():
        # Brings the index in line with the corpus before serving: a file dropped into corpus/ or new extraction
        # rules take effect on restart; an unchanged corpus costs a hash of each file, not a model load.
        report = runtime.update(progress=tqdm_progress())
        for failure in report.failures:
            print(f"  skipped {failure.path}: {failure.reason}", file=sys.stderr)
    else:
        runtime.load()
    # Our own JSON request log (service/edge.py) replaces uvicorn's access log.
    options = {"host": args.host, "port": args.port, "log_level": "info", "access_log": False}
    workers = args.workers or settings.workers
    if workers > 1:
        # Several processes use several cores (one Python process serves on about one); each reads the settings
        # from the environment, as this one did.
        uvicorn.run("service.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


# -- output helpers ------------------------------------------------------------------------------------


def _service(settings: Settings):
    from service.api import Service

    return Service.start(Runtime(settings))


def _print_json(response) -> int:
    print(json.dumps(response.model_dump(), ensure_ascii=False, indent=2))
    return 0


def _print_passages(passages) -> int:
    for n, p in enumerate(passages, 1):
        page = f", s. {p.page}" if p.page else ""
        print(f"[{n}] {p.document_title} > {p.section}{page}  (score {p.score:.3f})")
        print(textwrap.indent(textwrap.shorten(p.text, 400, placeholder=" ..."), "    "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
