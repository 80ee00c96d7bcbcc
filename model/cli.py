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


def _read_inputs(path: str | None, stdin: TextIO, whole: bool = False) -> Iterator[dict[str, Any]]:
    """Yield records {"text": ..., other fields kept} from .jsonl, .txt or stdin (JSON lines if
    every non-blank line starts with '{', else one text per line, or the whole text if ``whole``)."""
    if path is None:
        name, raw = "<stdin>", stdin.read()
    else:
        try:
            # newline="" keeps "\r\n", so document offsets index the file's own text
            with open(path, encoding="utf-8-sig", newline="") as fh:
                raw = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read input file {path}: {exc}") from None
        name = path
    lines = raw.splitlines()
    if not any(line.strip() for line in lines):
        raise UsageError(f"{name}: no input text")
    as_json = path.endswith(".jsonl") if path else all(l.lstrip().startswith("{") for l in lines if l.strip())
    if whole and not as_json:
        yield {"text": raw}
        return
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not as_json:
            yield {"text": line}
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{name}:{lineno}: malformed JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise UsageError(f"{name}:{lineno}: expected an object with a string 'text'")
        if obj.get("context") is not None and not isinstance(obj["context"], str):
            raise UsageError(f"{name}:{lineno}: 'context' must be a string or null")
        yield obj


def _cmd_predict(args: argparse.Namespace) -> int:
    from . import load

    # Read and validate the input before loading the model or opening (truncating) --output,
    # so bad input costs nothing and never clobbers an existing output file.
    if args.text is not None:
        records: list[dict[str, Any]] = [{"text": t} for t in args.text]
    else:
        # with --document a plain-text input is one article, not one text per line
        records = list(_read_inputs(args.input, sys.stdin, whole=args.document))
    clf = load(args.checkpoint, backend=args.backend, device=args.device)
    threshold = args.threshold
    out: TextIO = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        if args.document:
            from .document import predict_document

            for rec in records:
                doc = predict_document(rec["text"], classifier=clf, threshold=threshold, use_context=not args.no_context)
                out.write(json.dumps({**{k: v for k, v in rec.items() if k != "text"}, **doc.to_dict()}, ensure_ascii=False) + "\n")
        else:
            # a JSONL "context" field (the previous sentence) is used by context-mode checkpoints
            contexts = [r.get("context") for r in records] if any("context" in r for r in records) else None
            preds = clf.predict([r["text"] for r in records], batch_size=args.batch_size, threshold=threshold, context=contexts)
            for rec, pred in zip(records, preds):
                out.write(json.dumps({**rec, **pred.to_dict()}, ensure_ascii=False) + "\n")
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
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


def _run_stage(name: str, argv: list[str]) -> int:
    import importlib

    try:
        module = importlib.import_module(f"event_classifier.train.{STAGES[name][0]}")
    except ImportError as exc:
        print(f"event-classifier {name}: needs the training extra: pip install 'event-classifier[train]' ({exc})", file=sys.stderr)
        return 2
    return int(module.main(argv) or 0)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="event-classifier", description="Event labels for conflict and security news sentences.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="label sentences (or whole articles with --document)",
                       description="Label text given as arguments, in a .jsonl/.txt file, or on stdin; writes JSON lines.")
    p.add_argument("text", nargs="*", default=None, help="sentence(s) to label; omit to read --input or stdin")
    p.add_argument("--input", "-i", help="file.jsonl (objects with 'text') or file.txt (one text per line)")
    p.add_argument("--output", "-o", help="output .jsonl (default: stdout)")
    p.add_argument("--document", action="store_true", help="treat each input as an article: split into sentences")
    p.add_argument("--no-context", action="store_true",
                   help="with --document: read each sentence alone, not with the sentence before it")
    p.add_argument("--threshold", type=float, default=None, help="one threshold for all labels (default: tuned per label)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--backend", choices=["auto", "onnx", "torch"], default="auto")
    p.add_argument("--device", default=None, help="e.g. cuda (torch backend)")
    p.add_argument("--checkpoint", default=None, help="checkpoint folder (default: the shipped one)")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("train", help="fine-tune and write the checkpoint", description="Run train(cfg) on a YAML config.")
    p.add_argument("--config", default="configs/train.yaml")
    p.add_argument("--resume", action="store_true", help="continue from the last Trainer checkpoint in run_dir")
    p.set_defaults(func=_cmd_train)

    for name, (_, text) in STAGES.items():
        sub.add_parser(name, help=text, add_help=False)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in STAGES:
        return _run_stage(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if getattr(args, "text", None) == []:
        args.text = None
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"event-classifier: {exc}", file=sys.stderr)
        return 2
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
