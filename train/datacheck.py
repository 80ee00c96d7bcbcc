"""`make data-check`: load the splits with `datasets`, validate them, find duplicates, print
statistics, and fail when the corpus breaks one of its rules (sizes, label balance, hard
negatives, article structure; see data/README.md)."""

from __future__ import annotations

import argparse
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from event_classifier.labels import SHIPPED, LabelSet, LabelSetError

from .data import DataError, Example, normalise, read_jsonl, to_dataset
from .report import replace_block

SPLITS = ("train", "dev", "test")

# A negative is "hard" when it carries a trigger word of some label or a cue of a related event
# (deployment, release, arrest, displacement, disaster evacuation, detention conditions ...).
HARD_CUES = re.compile(
    r"withdr|transfer|escap|repatr|pull(?:ed|s|ing)? (?:out|back)|left|leav|quit|retreat|vacat|abandon|"
    r"fle[de]|flee|hand(?:ed|s|ing)? (?:over|back)|moved?|reloca|extradit|deport|return|sent home|flown|"
    r"releas|amnest|pardon|freed|arrest|detain|detention|prison|jail|inmate|hostage|captiv|custody|"
    r"deploy|arriv|reinforc|evacuat|displac|refugee|camp|troops|soldier|forces|militia|rebel|border|base",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Requirements:
    total: int = 3000
    test: int = 600
    dev: int = 400
    per_label: int = 450
    multi_label: int = 200
    none_share: float = 0.35
    hard_negatives: int = 400
    stem_free_share: float = 0.5
    near_dup_jaccard: float = 0.8


def _tokens(text: str) -> set[str]:
    return set(normalise(text).split())


def near_duplicates(rows: list[Example], threshold: float) -> list[tuple[Example, Example, float]]:
    """All pairs with token-set Jaccard >= threshold (sparse set intersection via a matrix product)."""
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for ex in rows:
        for tok in _tokens(ex.text):
            indices.append(vocab.setdefault(tok, len(vocab)))
        indptr.append(len(indices))
    m = csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), len(vocab)))
    sizes = np.asarray(m.sum(axis=1)).ravel()
    inter = (m @ m.T).tocoo()
    pairs = []
    for i, j, v in zip(inter.row, inter.col, inter.data):
        if i < j:
            jac = v / (sizes[i] + sizes[j] - v)
            if jac >= threshold:
                pairs.append((rows[i], rows[j], float(jac)))
    return pairs


def read_jsonl_or_problems(path: Path, labels: Sequence[str], failures: list[str]) -> list[Example]:
    """The file's rows, or [] with its file:line problems added to ``failures``."""
    try:
        return read_jsonl(path, labels)
    except DataError as exc:
        failures.extend(exc.problems)
        return []


def check(data_dir: str | Path = "data", req: Requirements = Requirements(), out=None,
          labels_file: str | Path | None = None) -> list[str]:
    """Run every check against the label set in ``labels_file`` (default <data_dir>/labels.yaml);
    print statistics; return the list of failures (empty = pass)."""
    out = out or sys.stdout
    data_dir = Path(data_dir)
    path = Path(labels_file) if labels_file else data_dir / "labels.yaml"
    try:
        # a data folder without a labels file is checked against the shipped model's labels
        label_set = LabelSet.from_file(path) if labels_file or path.is_file() else SHIPPED
    except LabelSetError as exc:
        return [str(exc)]
    LABELS, STEMS = label_set.names, label_set.stems
    splits: dict[str, list[Example]] = {}
    failures: list[str] = []
    for name in SPLITS:
        splits[name] = read_jsonl_or_problems(data_dir / f"{name}.jsonl", LABELS, failures)
    # opt-in tranches kept beside the splits (data/extra/, not read by `make train`): format only
    extras = {f: read_jsonl_or_problems(f, LABELS, failures) for f in sorted((data_dir / "extra").glob("*.jsonl"))}
    if failures:
        return failures
    for name, rows in splits.items():
        n = to_dataset(rows).num_rows  # the same `datasets` loader training uses
        if n != len(rows):
            failures.append(f"{data_dir / name}.jsonl: datasets loaded {n} rows of {len(rows)}")

    p = lambda *a: print(*a, file=out)  # noqa: E731
    all_rows = [ex for rows in splits.values() for ex in rows]
    split_of = {ex.source: name for name, rows in splits.items() for ex in rows}

    # ids must be unique across splits too
    ids: dict[str, str] = {}
    for ex in all_rows:
        if ex.id in ids:
            failures.append(f"{ex.source}: id '{ex.id}' also used at {ids[ex.id]}")
        ids[ex.id] = ex.source

    # exact duplicates after normalisation, within and across splits
    first: dict[str, Example] = {}
    for ex in all_rows:
        key = normalise(ex.text)
        if key in first:
            failures.append(f"{ex.source}: exact duplicate of {first[key].source}")
        else:
            first[key] = ex
    near = near_duplicates(all_rows, req.near_dup_jaccard)
    for a, b, jac in near:
        if normalise(a.text) == normalise(b.text):
            continue
        kind = "across splits" if split_of[a.source] != split_of[b.source] else "within split"
        failures.append(f"{b.source}: near duplicate ({kind}, Jaccard {jac:.2f}) of {a.source}")

    failures.extend(check_articles(splits))

    # statistics
    p(f"{'split':<7}{'n':>6}{'none':>7}{'multi':>7}" + "".join(f"{lab:>14}" for lab in LABELS))
    for name, rows in list(splits.items()) + [("all", all_rows)]:
        counts = [sum(lab in ex.labels for ex in rows) for lab in LABELS]
        none = sum(not ex.labels for ex in rows)
        multi = sum(len(ex.labels) >= 2 for ex in rows)
        p(f"{name:<7}{len(rows):>6}{none:>7}{multi:>7}" + "".join(f"{c:>14}" for c in counts))

    combos: dict[str, int] = {}
    for ex in all_rows:
        if len(ex.labels) >= 2:
            key = "+".join(sorted(ex.labels))
            combos[key] = combos.get(key, 0) + 1
    p("\nmulti-label combinations: " + ", ".join(f"{k} {v}" for k, v in sorted(combos.items(), key=lambda kv: -kv[1])))

    lengths = np.array([len(ex.text.split()) for ex in all_rows])
    qs = np.percentile(lengths, [0, 10, 50, 90, 100]).astype(int)
    p(f"\nlength in words: min {qs[0]}, p10 {qs[1]}, median {qs[2]}, p90 {qs[3]}, max {qs[4]}, mean {lengths.mean():.1f}")
    edges = [0, 10, 20, 30, 40, 60, 10_000]
    hist = np.histogram(lengths, bins=edges)[0]
    p("  " + ", ".join(f"{lo}-{hi - 1 if hi < 10_000 else '+'}: {c}" for lo, hi, c in zip(edges, edges[1:], hist)))

    negatives = [ex for ex in all_rows if not ex.labels]
    hard = [ex for ex in negatives if HARD_CUES.search(ex.text)]
    none_share = len(negatives) / len(all_rows)
    p(f"\nno-label sentences: {len(negatives)} ({none_share:.1%}); hard negatives (trigger or related-event cue): {len(hard)}")
    p("stem-free share of positives (label word stem absent):")
    stem_free = {}
    for lab in LABELS:
        pos = [ex for ex in all_rows if lab in ex.labels]
        free = sum(STEMS.get(lab, "\0") not in ex.text.lower() for ex in pos)
        stem_free[lab] = free / max(len(pos), 1)
        p(f"  {lab:<13} {free}/{len(pos)} = {stem_free[lab]:.1%}")
    p(f"near-duplicate pairs (Jaccard >= {req.near_dup_jaccard}): {len(near)}")
    p("\narticle sentences (doc set; context = previous sentence):")
    for name, rows in splits.items():
        art = [ex for ex in rows if ex.doc]
        nc = [ex for ex in art if ex.needs_context]
        p(f"  {name:<6} {len(art):>5} sentences in {len({ex.doc for ex in art}):>3} articles; "
          f"needs_context {len(nc)} ({sum(not ex.labels for ex in nc)} of them with no label)")
    if extras:
        p("\nopt-in tranches (data/extra/, not read by `make train`):")
        for f, rows in extras.items():
            p(f"  {f.name}: {len(rows)} sentences in {len({ex.doc for ex in rows if ex.doc})} articles")

    # requirements
    for name, rows in splits.items():
        empty = [lab for lab in LABELS if not any(lab in ex.labels for ex in rows)]
        if empty:
            failures.append(f"{data_dir / name}.jsonl: no examples of label(s) {empty} (from the labels file)")
    missing_stems = [lab for lab in LABELS if lab not in STEMS]
    if missing_stems:
        failures.append(f"labels file: no 'stem' for {missing_stems} (the keyword baseline and this check need one)")
    if len(all_rows) < req.total:
        failures.append(f"corpus has {len(all_rows)} sentences, needs >= {req.total}")
    if len(splits["test"]) < req.test:
        failures.append(f"test has {len(splits['test'])} sentences, needs >= {req.test}")
    if len(splits["dev"]) < req.dev:
        failures.append(f"dev has {len(splits['dev'])} sentences, needs >= {req.dev}")
    for lab in LABELS:
        n = sum(lab in ex.labels for ex in all_rows)
        if n < req.per_label:
            failures.append(f"label '{lab}' has {n} positives, needs >= {req.per_label}")
        if lab in STEMS and stem_free[lab] < req.stem_free_share:
            failures.append(f"label '{lab}': only {stem_free[lab]:.1%} of positives avoid the stem '{STEMS[lab]}', needs >= {req.stem_free_share:.0%}")
    multi_total = sum(len(ex.labels) >= 2 for ex in all_rows)
    if multi_total < req.multi_label:
        failures.append(f"{multi_total} multi-label sentences, needs >= {req.multi_label}")
    if none_share < req.none_share:
        failures.append(f"no-label share {none_share:.1%}, needs >= {req.none_share:.0%}")
    if len(hard) < req.hard_negatives:
        failures.append(f"{len(hard)} hard negatives, needs >= {req.hard_negatives}")
    return failures


def check_articles(splits: dict[str, list[Example]]) -> list[str]:
    """Article sentences must be contiguous and in order: each row's context is the sentence before it
    (the first has none), so training sees exactly what predict_document() will pass."""
    failures = []
    docs_seen: dict[str, str] = {}
    for rows in splits.values():
        prev: Example | None = None
        for ex in rows:
            if ex.needs_context and not ex.doc:
                failures.append(f"{ex.source}: 'needs_context' is set on a sentence with no 'doc'")
            if ex.doc:
                if ex.doc in docs_seen and (prev is None or prev.doc != ex.doc):
                    failures.append(f"{ex.source}: article '{ex.doc}' is split (also at {docs_seen[ex.doc]})")
                docs_seen.setdefault(ex.doc, ex.source)
                first = prev is None or prev.doc != ex.doc
                want = None if first else prev.text
                if ex.context != want:
                    what = "the first sentence of an article has no context" if first else "context must equal the previous sentence of the article"
                    failures.append(f"{ex.source}: {what}")
            prev = ex
    return failures


class _Tee(io.StringIO):
    def write(self, s: str) -> int:
        sys.stdout.write(s)
        return super().write(s)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="event-classifier data-check", description=__doc__)
    ap.add_argument("--data-dir", default="data", help="folder with train/dev/test.jsonl")
    ap.add_argument("--labels", default=None, help="labels file (default: <data-dir>/labels.yaml)")
    ap.add_argument("--update-datasheet", action="store_true", help="write the statistics into <data-dir>/README.md")
    args = ap.parse_args(argv)
    tee = _Tee()
    failures = check(args.data_dir, out=tee, labels_file=args.labels)
    if args.update_datasheet and not failures:
        replace_block(Path(args.data_dir) / "README.md", "stats", f"```\n{tee.getvalue().strip()}\n```")
    if failures:
        print(f"\ndata check FAILED ({len(failures)} problem(s)):", file=sys.stderr)
        for f in failures[:50]:
            print(f"  {f}", file=sys.stderr)
        if len(failures) > 50:
            print(f"  ... and {len(failures) - 50} more", file=sys.stderr)
        return 1
    print("\ndata check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
