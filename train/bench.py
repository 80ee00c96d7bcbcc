"""`make bench`: throughput, batch-1 latency, cold start and peak memory per backend.

All figures come from one run on this machine with the same thread setting, so the ratios
against `transformers.pipeline` are like for like. Writes reports/bench.json and bench.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from event_classifier.artifacts import DEFAULT_CHECKPOINT, DEFAULT_ONNX_DIR, ONNX_FILES

from .data import multi_hot, read_jsonl
from .report import replace_block

PROBE = "Foreign troops pulled out of the base near the border on Sunday, officials said."

COLD = """
import sys, time
t0 = time.perf_counter()
from event_classifier import load
clf = load(sys.argv[4] if len(sys.argv) > 4 else None, backend=sys.argv[1], precision=sys.argv[2], num_threads=int(sys.argv[3]))
clf.predict({probe!r})
t1 = time.perf_counter()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) benchmarking parent
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print((t1 - t0), hwm, sorted(m for m in ("torch", "transformers") if m in sys.modules))
"""


def _machine(threads: int) -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import onnxruntime

    info = {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "threads": threads, "python": platform.python_version(),
            "onnxruntime": onnxruntime.__version__, "platform": platform.platform()}
    try:
        import torch
        import transformers

        info |= {"torch": torch.__version__, "transformers": transformers.__version__}
    except ImportError:
        pass
    return info


def _throughput(fn: Callable[[list[str]], Any], texts: list[str], repeats: int = 1) -> float:
    fn(texts[:64])  # warm-up: first calls allocate and pick kernels
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - t))
    return best


def _latency(fn: Callable[[str], Any], texts: list[str], n: int) -> dict[str, float]:
    for t in texts[:10]:
        fn(t)
    times = []
    for t in texts[:n]:
        s = time.perf_counter()
        fn(t)
        times.append((time.perf_counter() - s) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def _cold(backend: str, precision: str, threads: int, path: Path | None = None, runs: int = 3) -> dict[str, Any]:
    results = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", COLD.format(probe=PROBE), backend, precision, str(threads)] + ([str(path)] if path else []),
                             capture_output=True, text=True, env=env, check=True)
        wall = time.perf_counter() - t
        inner, rss, heavy = out.stdout.strip().split(" ", 2)
        results.append((wall, float(inner), float(rss), heavy))
    best = min(results)
    return {"cold_start_s": best[0], "import_to_first_prediction_s": best[1], "peak_rss_mb": best[2], "heavy_modules": best[3]}


def _document_speed(clf: Any, data_dir: str, repeats: int = 2) -> dict[str, Any]:
    """Sentences/s of predict_document on the corpus articles (with and without the previous
    sentence) beside predict() on the same sentences alone, on the default backend."""
    from event_classifier.document import predict_document, split_sentences

    docs: dict[str, list[str]] = {}
    for s in ("test", "dev"):
        for e in read_jsonl(Path(data_dir) / f"{s}.jsonl"):
            if e.doc:
                docs.setdefault(e.doc, []).append(e.text)
    articles = [" ".join(v) for v in docs.values()]
    sentences = [a[i:j] for a in articles for i, j in split_sentences(a)]
    print(f"timing documents ({len(articles)} articles, {len(sentences)} sentences) ...", flush=True)

    def rate(fn: Callable[[], Any]) -> float:
        fn()
        return max(len(sentences) / _timed(fn) for _ in range(repeats))

    alone = rate(lambda: clf.predict(sentences))
    ctx = rate(lambda: [predict_document(a, classifier=clf) for a in articles])
    no_ctx = rate(lambda: [predict_document(a, classifier=clf, use_context=False) for a in articles])
    return {"articles": len(articles), "sentences": len(sentences), "alone_sentences_per_s": alone,
            "document_sentences_per_s": ctx, "document_no_context_sentences_per_s": no_ctx,
            "document_vs_alone": ctx / alone, "context_mode": clf.context_mode}


def _explain_latency(clf: Any, rows: list[Any], words: int = 25, n: int = 60) -> dict[str, Any]:
    """`predict(text, explain=True)` on 25-word corpus sentences that get a label (explaining an
    unlabelled sentence costs nothing extra, so those are left out)."""
    picked = [e.text for e in rows if len(e.text.split()) == words and e.labels][:n]
    print(f"timing explain=True on {len(picked)} sentences of {words} words ...", flush=True)
    for t in picked[:5]:
        clf.predict(t, explain=True)
    times, plain = [], []
    for t in picked:
        s = time.perf_counter()
        clf.predict(t, explain=True)
        times.append((time.perf_counter() - s) * 1000)
        s = time.perf_counter()
        clf.predict(t)
        plain.append((time.perf_counter() - s) * 1000)
    return {"words": words, "n": len(picked), "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
            "plain_p50_ms": float(np.percentile(plain, 50))}


def run_peak_rss(cmd: list[str], poll_s: float = 0.05) -> tuple[int, float, float]:
    """Run ``cmd`` to completion; return (exit status, wall seconds, peak RSS in MB, sampled)."""
    import psutil

    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc, top = psutil.Process(p.pid), 0
    while p.poll() is None:
        try:
            top = max(top, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(poll_s)
    return p.returncode, time.perf_counter() - t, top / 2**20


def _streaming(texts: list[str], n: int) -> dict[str, Any]:
    """The CLI on an n-record JSONL file (corpus sentences repeated), as an archive job runs it:
    wall time, records/s and the process's peak RSS."""
    folder = Path(".runs/bench-stream")
    folder.mkdir(parents=True, exist_ok=True)
    src, out = folder / "in.jsonl", folder / "out.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": i, "text": texts[i % len(texts)]}) + "\n")
    print(f"timing the streaming CLI on {n} records ...", flush=True)
    wall, peak, written = _run_streaming_cli(src, out)
    return {"records": n, "written": written, "seconds": wall, "records_per_s": n / wall, "peak_rss_mb": peak}


def _run_streaming_cli(src: Path, dst: Path) -> tuple[float, float, int]:
    """`event-classifier predict --input src --output dst --quiet` in a new process: (wall s, peak RSS MB, lines written)."""
    status, wall, peak = run_peak_rss([sys.executable, "-m", "event_classifier.cli", "predict", "--input", str(src),
                                       "--output", str(dst), "--quiet"])
    if status != 0:
        raise SystemExit(f"streaming CLI failed with status {status} on {src}")
    return wall, peak, sum(1 for _ in dst.open(encoding="utf-8"))


def memory_check(texts: list[str], big: int = 1_000_000, small: int = 1_000) -> dict[str, Any]:
    """Peak RSS of the streaming CLI on a ``small``- and a ``big``-line .txt input (`make bench-memory`).

    Short corpus headlines keep a million lines to minutes on 2 cores; memory depends on the
    number of lines, not on their length, once a chunk is bounded.
    """
    short = sorted({t for t in texts if len(t.split()) <= 8}, key=len)[:500] or texts[:500]
    folder = Path(".runs/bench-memory")
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"texts": "corpus sentences of at most 8 words, repeated", "runs": []}
    for n in (small, big):
        src, dst = folder / f"in-{n}.txt", folder / f"out-{n}.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(short[i % len(short)] + "\n")
        dst.unlink(missing_ok=True)
        print(f"peak RSS of the streaming CLI on {n:,} lines ...", flush=True)
        wall, peak, written = _run_streaming_cli(src, dst)
        out["runs"].append({"lines": n, "written": written, "seconds": wall, "peak_rss_mb": peak})
        src.unlink()
        dst.unlink()
    out["difference_mb"] = out["runs"][1]["peak_rss_mb"] - out["runs"][0]["peak_rss_mb"]
    return out


def memory_markdown(r: dict[str, Any]) -> str:
    lines = ["# Streaming memory check", "", "_Generated by `make bench-memory` (train/bench.py) from memory.json._", "",
             f"`event-classifier predict --input in.txt --output out.jsonl --quiet` ({r['texts']}), one process, "
             "peak resident memory sampled every 50 ms:", "",
             "| input lines | written | seconds | peak RSS MB |", "|---:|---:|---:|---:|"]
    lines += [f"| {x['lines']:,} | {x['written']:,} | {x['seconds']:.0f} | {x['peak_rss_mb']:.0f} |" for x in r["runs"]]
    lines += ["", f"Difference: {r['difference_mb']:+.0f} MB.", ""]
    return "\n".join(lines)


def _ray_scaling(texts: list[str], n: int = 4000) -> dict[str, Any] | None:
    """Ray Data on this machine with 1 and then 2 actors (one thread each)."""
    try:
        import ray

        import event_classifier.ray as ecr
    except ImportError:
        return None
    print(f"timing Ray Data with 1 and 2 actors on {n} sentences ...", flush=True)
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        items = [{"id": i, "text": texts[i % len(texts)]} for i in range(n)]
        out: dict[str, Any] = {"sentences": n}
        for actors in (1, 2):
            ds = ray.data.from_items(items)
            ecr.label_dataset(ray.data.from_items(items[:256]), concurrency=actors, batch_size=128).materialize()  # warm-up
            t = time.perf_counter()
            got = ecr.label_dataset(ds, concurrency=actors, batch_size=256).count()
            out[f"actors_{actors}_sentences_per_s"] = got / (time.perf_counter() - t)
        out["ratio_2_vs_1"] = out["actors_2_sentences_per_s"] / out["actors_1_sentences_per_s"]
        return out
    finally:
        ray.shutdown()


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench(n: int = 2000, batch_size: int = 32, threads: int = 2, latency_n: int = 200, data_dir: str = "data",
          stream_n: int = 100_000) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    from event_classifier import load

    rows = [e for s in ("test", "dev", "train") for e in read_jsonl(Path(data_dir) / f"{s}.jsonl")]
    texts = [e.text for e in rows][:n]
    if len(texts) < n:
        raise SystemExit(f"need {n} sentences, found {len(texts)}")
    fp32_dir = DEFAULT_ONNX_DIR
    if not (fp32_dir / ONNX_FILES["fp32"]).is_file():
        # fp32 ONNX is not committed (90 MB); export a private copy for the comparison
        from .export import export

        fp32_dir = Path(".runs/bench-onnx")
        print(f"exporting fp32 ONNX to {fp32_dir} ...", flush=True)
        export(DEFAULT_CHECKPOINT, fp32_dir)
    clfs = {
        "onnx-int8": load(backend="onnx", precision="int8", num_threads=threads),
        "onnx-fp32": load(fp32_dir, backend="onnx", precision="fp32", num_threads=threads),
        "torch-fp32": load(backend="torch", num_threads=threads),
    }
    default = load()
    result: dict[str, Any] = {"n_sentences": len(texts), "batch_size": batch_size, "machine": _machine(threads),
                              "default_backend": f"{default.backend}-{default.precision}", "backends": {}}
    for name, clf in clfs.items():
        print(f"timing {name} ...", flush=True)
        entry = {"sentences_per_s": _throughput(lambda x: clf.scores(x, batch_size=batch_size), texts, repeats=2)}
        entry |= _latency(lambda t: clf.predict(t), texts, latency_n)
        backend, precision = name.split("-")
        entry |= _cold(backend, precision, threads, fp32_dir if name == "onnx-fp32" else None)
        result["backends"][name] = entry

    result["document"] = _document_speed(default, data_dir)
    result["explain"] = _explain_latency(default, rows)
    if stream_n:
        result["streaming"] = _streaming([e.text for e in rows], stream_n)
    result["ray"] = _ray_scaling([e.text for e in rows])

    print("timing transformers.pipeline ...", flush=True)
    from transformers import pipeline

    # fp32 like the torch backend: the checkpoint is stored in fp16, which is slow on CPU
    pipe = pipeline("text-classification", model=str(DEFAULT_CHECKPOINT), device=-1, top_k=None,
                    function_to_apply="sigmoid", dtype=torch.float32)
    entry = {"sentences_per_s": _throughput(lambda x: pipe(x, batch_size=batch_size), texts)}
    entry |= _latency(lambda t: pipe(t), texts, latency_n)
    result["backends"]["transformers.pipeline"] = entry

    print("timing TF-IDF baseline ...", flush=True)
    from .baselines import TfidfLogReg

    train = read_jsonl(Path(data_dir) / "train.jsonl")
    dev = read_jsonl(Path(data_dir) / "dev.jsonl")
    tfidf = TfidfLogReg().fit([e.text for e in train], multi_hot(train), [e.text for e in dev], multi_hot(dev))
    result["backends"]["tfidf-logreg (baseline)"] = {"sentences_per_s": _throughput(tfidf.predict, texts)}

    pipe_tp = result["backends"]["transformers.pipeline"]["sentences_per_s"]
    for entry in result["backends"].values():
        entry["x_pipeline"] = entry["sentences_per_s"] / pipe_tp
    return result


def to_markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Inference benchmark",
        "",
        f"Generated by `make bench` from reports/bench.json. {r['n_sentences']} corpus sentences, batch size {r['batch_size']}, "
        f"{m['threads']} threads; CPU: {m['cpu']} ({m['cores']} cores); onnxruntime {m['onnxruntime']}, torch {m.get('torch', '-')}, "
        f"transformers {m.get('transformers', '-')}. Default `predict()` backend: **{r['default_backend']}**.",
        "",
        "| backend | sentences/s | × pipeline() | batch-1 p50 ms | batch-1 p95 ms | cold start s | peak RSS MB | imports torch |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, e in r["backends"].items():
        g = lambda k, f="{:.1f}": f.format(e[k]) if k in e else "–"  # noqa: E731
        heavy = e.get("heavy_modules")
        lines.append(f"| {name} | {e['sentences_per_s']:.0f} | {e['x_pipeline']:.2f} | {g('p50_ms', '{:.2f}')} | {g('p95_ms', '{:.2f}')} | "
                     f"{g('cold_start_s', '{:.2f}')} | {g('peak_rss_mb', '{:.0f}')} | {'–' if heavy is None else ('no' if heavy == '[]' else 'yes')} |")
    lines += ["", "Cold start: wall time of a new Python process from launch to its first prediction (best of 3); "
              "peak RSS of that process. Throughput: best of 2 passes after a warm-up, sorted-length batching for "
              "this package's backends; `pipeline()` gets the same texts in input order.", ""]
    d = r.get("document")
    if d:
        lines += ["## Whole articles (default backend)", "",
                  f"{d['articles']} corpus articles ({d['sentences']} sentences after splitting), best of 2 passes.", "",
                  "| call | sentences/s | vs sentences alone |", "|---|---:|---:|",
                  f"| `predict(sentences)` (each read alone) | {d['alone_sentences_per_s']:.0f} | 100% |",
                  f"| `predict_document(article)` (with the previous sentence) | {d['document_sentences_per_s']:.0f} | "
                  f"{100 * d['document_vs_alone']:.0f}% |",
                  f"| `predict_document(article, use_context=False)` | {d['document_no_context_sentences_per_s']:.0f} | "
                  f"{100 * d['document_no_context_sentences_per_s'] / d['alone_sentences_per_s']:.0f}% |", ""]
    ex = r.get("explain")
    if ex:
        lines += ["## Evidence (`explain=True`, default backend)", "",
                  f"{ex['n']} corpus sentences of {ex['words']} words that get a label, one at a time:", "",
                  "| call | p50 ms | p95 ms |", "|---|---:|---:|",
                  f"| `predict(text)` | {ex['plain_p50_ms']:.1f} | |",
                  f"| `predict(text, explain=True)` | {ex['p50_ms']:.1f} | {ex['p95_ms']:.1f} |", ""]
    st = r.get("streaming")
    if st:
        lines += ["## Archive job (streaming CLI, default backend)", "",
                  f"`event-classifier predict --input in.jsonl --output out.jsonl` on {st['records']:,} corpus sentences "
                  "(repeated), one process, wall time from launch to exit:", "",
                  "| records | seconds | records/s | peak RSS MB |", "|---:|---:|---:|---:|",
                  f"| {st['records']:,} | {st['seconds']:.0f} | {st['records_per_s']:.0f} | {st['peak_rss_mb']:.0f} |", ""]
    ry = r.get("ray")
    if ry:
        lines += ["## Ray Data on this machine", "",
                  f"`event_classifier.ray.label_dataset` on {ry['sentences']:,} sentences, local Ray, one thread per actor "
                  f"({m['cores']} cores, so the ideal ratio is {min(2, m['cores'] or 1)}×):", "",
                  "| actors | sentences/s |", "|---:|---:|",
                  f"| 1 | {ry['actors_1_sentences_per_s']:.0f} |", f"| 2 | {ry['actors_2_sentences_per_s']:.0f} |", "",
                  f"2 actors vs 1: {ry['ratio_2_vs_1']:.2f}×.", ""]
    return "\n".join(lines)


def archive_block(r: dict[str, Any] | None, mem: dict[str, Any] | None) -> str:
    """The README's "Labelling an archive" figures, from bench.json and memory.json."""
    lines = []
    st, ry = (r or {}).get("streaming"), (r or {}).get("ray")
    alone = ((r or {}).get("backends") or {}).get((r or {}).get("default_backend", ""), {}).get("sentences_per_s")
    if st or ry:
        lines += ["| job (2 cores) | sentences | sentences/s | peak RSS MB |", "|---|---:|---:|---:|"]
    if alone:
        lines.append(f"| `predict(list)` in process | {r['n_sentences']:,} | {alone:.0f} | |")  # type: ignore[index]
    if st:
        lines.append(f"| `predict --input in.jsonl --output out.jsonl` | {st['records']:,} | {st['records_per_s']:.0f} | {st['peak_rss_mb']:.0f} |")
    if ry:
        lines += [f"| Ray Data, 1 actor | {ry['sentences']:,} | {ry['actors_1_sentences_per_s']:.0f} | |",
                  f"| Ray Data, 2 actors | {ry['sentences']:,} | {ry['actors_2_sentences_per_s']:.0f} | |",
                  "", f"Two actors vs one on this 2-core machine: {ry['ratio_2_vs_1']:.2f}× (ideal 2×)."]
    if mem:
        small, big = mem["runs"][0], mem["runs"][-1]
        lines += ["", f"Memory: peak RSS {small['peak_rss_mb']:.0f} MB on {small['lines']:,} lines and "
                  f"{big['peak_rss_mb']:.0f} MB on {big['lines']:,} lines ({mem['difference_mb']:+.0f} MB; `make bench-memory`)."]
    lines += ["", "_Generated by `make bench` and `make bench-memory` from reports/bench.json and reports/memory.json._"]
    return "\n".join(lines)


def _load_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _write_report(out: Path, stem: str, data: dict[str, Any], md: str) -> Path:
    """out/<stem>.json and out/<stem>.md; the Markdown is printed too."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (out / f"{stem}.md").write_text(md, encoding="utf-8")
    print(md)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="event-classifier bench", description=__doc__)
    ap.add_argument("--n", type=int, default=2000, help="corpus sentences for the throughput runs")
    ap.add_argument("--batch-size", type=int, default=32, help="batch size for the torch and pipeline runs")
    ap.add_argument("--threads", type=int, default=2, help="threads for every backend (like for like)")
    ap.add_argument("--latency-n", type=int, default=200, help="single sentences timed for the p50/p95 latency")
    ap.add_argument("--stream-n", type=int, default=100_000, help="records for the streaming CLI run (0 = skip)")
    ap.add_argument("--out", default="reports", help="folder for bench.json and bench.md")
    ap.add_argument("--readme", default=None, help="also refresh the README's archive figures (the archive-bench block)")
    ap.add_argument("--memory-lines", type=int, default=0,
                    help="only the memory check: peak RSS of the streaming CLI on 1,000 and on this many lines -> memory.{json,md}")
    args = ap.parse_args(argv)
    if args.memory_lines:
        texts = [e.text for s in ("test", "dev", "train") for e in read_jsonl(Path("data") / f"{s}.jsonl")]
        mem = memory_check(texts, args.memory_lines)
        out = _write_report(Path(args.out), "memory", mem, memory_markdown(mem))
        if args.readme:
            replace_block(Path(args.readme), "archive-bench", archive_block(_load_json(out / "bench.json"), mem))
        return 0
    r = bench(args.n, args.batch_size, args.threads, args.latency_n, stream_n=args.stream_n)
    out = _write_report(Path(args.out), "bench", r, to_markdown(r))
    if args.readme:
        replace_block(Path(args.readme), "archive-bench", archive_block(r, _load_json(out / "memory.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
