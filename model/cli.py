"""Command line: `event-classifier predict|train|evaluate|data-check|export|bench|compare`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO


class UsageError(Exception):
    """Bad input to the CLI; printed as one line, exit status 2."""


def _unit_interval(value: str) -> float:
    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= t <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return t


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _progress(total: int | None, quiet: bool) -> Any:
    """A tqdm bar on stderr when it is a terminal (records/s and ETA), else nothing."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="rec", file=sys.stderr, smoothing=0.1, dynamic_ncols=True)


def _cmd_predict(args: argparse.Namespace) -> int:
    from . import load
    from .records import InputError, output_fields, read_records
    from .streaming import already_written, label_records, open_writer

    if args.text is not None and args.input is not None:
        raise UsageError("give either text arguments or --input, not both")
    if args.engine == "ray":
        if not args.input or not args.output or not os.path.isdir(args.input):
            raise UsageError("--engine ray needs --input FOLDER (of .parquet or .jsonl files) and --output FOLDER")
        try:
            from .ray import run_cli
        except ImportError:
            raise UsageError("--engine ray needs Ray Data: pip install 'event-classifier[ray]'") from None
        return run_cli(args.input, args.output, args.address, args.text_field, args.document, args.checkpoint,
                       args.threshold, not args.no_context, args.explain, args.field_prefix)
    if args.resume and not args.output:
        raise UsageError("--resume needs --output (the file an earlier run was writing)")
    field = args.text_field
    produced = ["labels", "sentences"] if args.document else ["labels", "scores", "truncated"] + (["evidence"] if args.explain else [])
    names = {k: args.field_prefix + k for k in produced}
    from_stdin = args.text is None and args.input in (None, "-")
    source = "<arguments>" if args.text is not None else ("<stdin>" if from_stdin else args.input)

    def records():
        if args.text is not None:
            yield from ((i + 1, {field: t}) for i, t in enumerate(args.text))
        else:
            yield from read_records(args.input, sys.stdin, text_field=field, document=args.document)

    def checked():
        for lineno, rec in records():
            output_fields(rec, produced, args.field_prefix, source, lineno)
            yield rec

    # A file is read twice: once to validate every record (cheap next to the model), so bad input
    # costs nothing and never truncates an existing --output; then again, streaming, to label.
    total, all_ids = None, False
    if from_stdin and sys.stdin.isatty():
        print("event-classifier: reading from stdin (one text per line; end with Ctrl-D); "
              "see `event-classifier predict --help`", file=sys.stderr)
    if not from_stdin:
        try:
            total, with_id = 0, 0
            for rec in checked():
                total += 1
                with_id += "id" in rec
            all_ids = with_id == total
        except InputError as exc:
            raise UsageError(str(exc)) from None
    done, done_ids = 0, set()
    if args.resume:
        done, done_ids = already_written(args.output, by_id=all_ids)
    clf = load(args.checkpoint, backend=args.backend, device=args.device)
    writer = open_writer(args.output, append=args.resume)
    target = args.output or "stdout"

    def todo():
        for i, rec in enumerate(checked()):
            if (str(rec.get("id")) in done_ids) if all_ids and args.resume else i < done:
                continue
            yield rec

    bar = _progress(None if total is None else max(total - done, 0), args.quiet)
    ok = False
    try:
        stats = label_records(todo(), clf, writer, text_field=field, names=names, document=args.document,
                              threshold=args.threshold, use_context=not args.no_context, batch_size=args.batch_size,
                              progress=bar, explain=args.explain)
        ok = True
    except InputError as exc:  # only stdin can still fail here: it is read once
        raise UsageError(f"{exc} ({writer.written} records written before it)") from None
    except KeyboardInterrupt:
        if not args.output:
            how = ""
        elif args.output.lower().endswith(".parquet"):
            how = " (a Parquet file is kept only when the run completes: run the command again)"
        else:
            how = "; run the same command " + ("again" if args.resume else "with --resume") + " to continue"
        print(f"event-classifier: interrupted: {writer.written} records written to {target}{how}", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
        writer.close(ok)
    stats.skipped = done
    print(stats.line(target), file=sys.stderr)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .train.config import load_config
    from .train.training import print_summary, train

    cfg = load_config(args.config)
    summary = train(cfg, resume=args.resume)
    print_summary(summary)
    return 0


# Stages with their own argparse in event_classifier.train.<module>; argv after the name goes there.
STAGES = {
    "evaluate": ("evaluate", "evaluate the shipped checkpoint and write reports/"),
    "data-check": ("datacheck", "validate the corpus and print its statistics"),
    "export": ("export", "export the checkpoint to ONNX fp32 and int8"),
    "bench": ("bench", "throughput, latency, cold start and memory benchmark"),
    "compare": ("compare", "compare checkpoints on dev by subset (writes reports/ablation.*)"),
}
# Commands that live in the inference package (no training extra needed).
SERVICES = {"serve": ("serve", "HTTP API and reading view (needs the serve extra)")}


def _run_stage(name: str, argv: list[str]) -> int:
    import importlib

    if name in SERVICES:
        from .serve import main as serve_main

        return int(serve_main(argv) or 0)
    try:
        module = importlib.import_module(f"event_classifier.train.{STAGES[name][0]}")
    except ImportError as exc:
        print(f"event-classifier {name}: needs the training extra: pip install 'event-classifier[train]' ({exc})", file=sys.stderr)
        return 2
    from .artifacts import CheckpointError
    from .labels import LabelSetError
    from .train.config import ConfigError
    from .train.data import DataError

    try:
        return int(module.main(argv) or 0)
    except (DataError, ConfigError, CheckpointError, LabelSetError, FileNotFoundError) as exc:
        # a missing data folder (e.g. run outside a checkout) is a message, not a traceback
        if os.environ.get("EVENT_CLASSIFIER_DEBUG"):
            raise
        print(f"event-classifier {name}: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    ap = argparse.ArgumentParser(prog="event-classifier", description="Event labels for conflict and security news sentences.")
    ap.add_argument("--version", action="version", version=f"event-classifier {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="label sentences (or whole articles with --document)",
                       description="Label text given as arguments, in a file, or on stdin; writes JSON lines "
                       "(every input field kept, predictions added as labels/scores/truncated, or "
                       "labels/sentences with --document).")
    p.add_argument("text", nargs="*", default=None, help="sentence(s) to label; omit to read --input or stdin")
    p.add_argument("--input", "-i", metavar="FILE",
                   help="FILE.jsonl/.ndjson (one object per line), .json (the same, or an array of objects), "
                   ".csv (header row), .parquet (with pyarrow) or .txt (one text per line); '-' or omitted = "
                   "stdin, format detected")
    p.add_argument("--text-field", default="text", metavar="NAME", help="field or CSV column holding the text (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="output .jsonl, or .parquet with pyarrow (default: stdout as JSON lines)")
    p.add_argument("--field-prefix", default="", metavar="PREFIX",
                   help="prefix for the prediction fields, e.g. pred_ (needed when input records already have "
                   "'labels' or 'scores', which are never overwritten)")
    p.add_argument("--document", action="store_true",
                   help="each input is an article, split into sentences: one JSON/CSV record, or in plain text "
                   "a block of lines ending at a line holding only --- (a .txt file without one is one article)")
    p.add_argument("--no-context", action="store_true",
                   help="read each sentence alone: no previous sentence with --document, and a JSONL "
                   "'context' field is ignored")
    p.add_argument("--explain", action="store_true",
                   help="add 'evidence': per predicted label, [start, end, weight] spans of the words behind it "
                   "(word occlusion; about 15 extra model passes per labelled sentence)")
    p.add_argument("--threshold", type=_unit_interval, default=None, metavar="T",
                   help="one threshold in [0, 1] for all labels (default: the per-label thresholds tuned on dev)")
    p.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                   help="sentences per forward pass on the torch backend (the ONNX backend runs one sentence "
                   "per worker thread and ignores it)")
    p.add_argument("--backend", choices=["auto", "onnx", "torch"], default="auto",
                   help="auto (default) = ONNX int8 when exported, else torch")
    p.add_argument("--device", default=None, help="torch device, e.g. cuda or cpu (implies the torch backend)")
    p.add_argument("--checkpoint", default=None, metavar="DIR", help="checkpoint folder (default: the shipped one)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run: skip the records already in --output (by id, or by position "
                   "when records have no id) and append the rest")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar (the one-line summary is always printed)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (default): this process; ray: Ray Data on a cluster, --input/--output are folders")
    p.add_argument("--address", default=None, help="with --engine ray: the cluster address (e.g. 10.0.0.5:6379; default: auto)")
    p.set_defaults(func=_cmd_predict, parser=p)

    p = sub.add_parser("train", help="fine-tune and write the checkpoint", description="Run train(cfg) on a YAML config.")
    p.add_argument("--config", default="configs/train.yaml", help="YAML config (keys: train/config.py)")
    p.add_argument("--resume", action="store_true", help="continue from the last Trainer checkpoint in run_dir")
    p.set_defaults(func=_cmd_train, parser=p)

    for name, (_, text) in {**STAGES, **SERVICES}.items():
        sub.add_parser(name, help=text, add_help=False)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and (argv[0] in STAGES or argv[0] in SERVICES):
        try:
            return _run_stage(argv[0], argv[1:])
        except KeyboardInterrupt:
            print(f"event-classifier {argv[0]}: interrupted", file=sys.stderr)
            return 130
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # show the subcommand's usage, not the top-level one
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "text", None) == []:
        args.text = None
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"event-classifier: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("event-classifier: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); say so, do not dump a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        print("event-classifier: output pipe closed before all results were written", file=sys.stderr)
        return 1
    except (TypeError, ValueError, OSError, RuntimeError) as exc:
        if os.environ.get("EVENT_CLASSIFIER_DEBUG"):
            raise
        print(f"event-classifier: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
