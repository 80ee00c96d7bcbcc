"""Archive-scale labelling on one machine: streaming, resume after a kill, Ctrl-C, Parquet."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

CLI = [sys.executable, "-m", "event_classifier.cli"]
SENTENCES = ["Two inmates escaped from the jail overnight.", "Rain fell on the capital.",
             "Foreign troops left the base on Sunday.", "The ministry deported 30 men to their home country."]


def write_input(path, n, with_id=True):
    with open(path, "w") as fh:
        for i in range(n):
            rec = {"id": f"r{i}", "text": SENTENCES[i % 4], "n": i} if with_id else {"text": SENTENCES[i % 4], "n": i}
            fh.write(json.dumps(rec) + "\n")


def wait_for_lines(path, n, proc, timeout=120):
    start = time.time()
    while time.time() - start < timeout:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"finished before {n} lines were written")
        time.sleep(0.05)
    pytest.fail("output did not grow")


@pytest.mark.slow
@pytest.mark.parametrize("with_id", [True, False], ids=["by-id", "by-position"])
def test_resume_after_kill_loses_and_repeats_nothing(shipped, tmp_path, with_id):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(src, 3000, with_id)
    p = subprocess.Popen(CLI + ["predict", "--input", str(src), "--output", str(out), "--quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_lines(out, 600, p)
    p.kill()  # SIGKILL: no chance to clean up
    p.wait()
    with open(out, "ab") as fh:
        fh.write(b'{"id": "half a rec')  # what a kill in the middle of a write leaves behind
    written_before = out.read_bytes().count(b"\n")
    assert 0 < written_before < 3000
    r = subprocess.run(CLI + ["predict", "--input", str(src), "--output", str(out), "--resume"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"{written_before} already in the output skipped" in r.stderr
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert [row["n"] for row in rows] == list(range(3000))  # 0 missing, 0 duplicated, in order
    assert rows[1]["labels"] == [] and rows[0]["labels"] == ["escape"]


@pytest.mark.slow
def test_ctrl_c_says_how_many_were_written_and_how_to_resume(shipped, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(src, 4000)
    p = subprocess.Popen(CLI + ["predict", "--input", str(src), "--output", str(out)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    wait_for_lines(out, 512, p)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "Traceback" not in err
    n = out.read_bytes().count(b"\n")
    assert f"interrupted: {n} records written to {out}; run the same command with --resume to continue" in err
    assert out.read_bytes().endswith(b"\n")  # whole records only
    r = subprocess.run(CLI + ["predict", "--input", str(src), "--output", str(out), "--resume", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["id"] for l in out.read_text().splitlines()] == [f"r{i}" for i in range(4000)]


def test_summary_line_and_generator_input(shipped, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(SENTENCES) + "\n")
    r = subprocess.run(CLI + ["predict", "--input", str(src), "--output", str(tmp_path / "o.jsonl")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "event-classifier: 4 records labelled (3 with a label) in" in r.stderr and "records/s -> " in r.stderr

    from event_classifier import predict

    gen = (s for s in SENTENCES)
    assert [p.labels for p in predict(gen)] == [p.labels for p in predict(SENTENCES)]


def test_resume_needs_an_output_file(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Rain.\n")
    r = subprocess.run(CLI + ["predict", "--input", str(src), "--resume"], capture_output=True, text=True)
    assert r.returncode == 2 and "--resume needs --output" in r.stderr


def test_parquet_in_and_out(shipped, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(pa.table({"body": SENTENCES, "source": ["a", "b", "c", "d"]}), src)
    r = subprocess.run(CLI + ["predict", "--input", str(src), "--text-field", "body", "--output", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = pq.read_table(out).to_pylist()
    assert [row["source"] for row in rows] == ["a", "b", "c", "d"]
    assert rows[0]["labels"] == ["escape"] and set(rows[0]["scores"]) == {"withdrawal", "transfer", "escape", "repatriation"}
    assert not list(tmp_path.glob(".*.partial"))
    r = subprocess.run(CLI + ["predict", "--input", str(src), "--text-field", "body", "--output", str(out), "--resume"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "--resume needs a .jsonl output" in r.stderr


@pytest.mark.slow
def test_memory_stays_flat_with_input_size(shipped, tmp_path):
    """Peak RSS on 200,000 records is within 50 MB of that on 1,000 (empty texts skip the model,
    so this measures reading, validating, chunking and writing at archive scale)."""
    pytest.importorskip("psutil")
    from event_classifier.train.bench import run_peak_rss

    def peak(n):
        src, out = tmp_path / f"in{n}.jsonl", tmp_path / f"out{n}.jsonl"
        with open(src, "w") as fh:
            for i in range(n):
                fh.write(json.dumps({"id": i, "text": "" if i % 100 else SENTENCES[i % 4]}) + "\n")
        status, _, peak_mb = run_peak_rss(CLI + ["predict", "--input", str(src), "--output", str(out), "--quiet"], poll_s=0.02)
        assert status == 0
        assert out.read_bytes().count(b"\n") == n
        return peak_mb

    small, large = peak(1_000), peak(200_000)
    assert large - small < 50, (small, large)
