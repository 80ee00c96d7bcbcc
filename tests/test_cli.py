import json
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "event_classifier.cli"]


def run(args, **kw):
    return subprocess.run(CLI + args, capture_output=True, text=True, **kw)


@pytest.mark.parametrize("cmd", [[], ["predict"], ["train"], ["evaluate"], ["data-check"], ["export"], ["bench"], ["compare"]])
def test_help(cmd):
    r = run(cmd + ["--help"])
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower()


def test_predict_text(shipped):
    r = run(["predict", "Rebels pulled out of the town overnight."])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["labels"] == ["withdrawal"] and set(out["scores"]) == {"withdrawal", "transfer", "escape", "repatriation"}


def test_predict_files(shipped, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x1", "text": "Two inmates escaped."}) + "\n" + json.dumps({"id": "x2", "text": "Rain."}) + "\n")
    dst = tmp_path / "out.jsonl"
    r = run(["predict", "--input", str(src), "--output", str(dst)])
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in dst.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["x1", "x2"]
    txt = tmp_path / "in.txt"
    txt.write_text("Two inmates escaped.\n\nRain.\n")
    r = run(["predict", "--input", str(txt)])
    assert [json.loads(l)["text"] for l in r.stdout.splitlines()] == ["Two inmates escaped.", "Rain."]


def test_predict_stdin(shipped):
    r = run(["predict"], input="Troops left the base.\nRain fell.\n")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["predict", "--input", "/nonexistent/file.txt"], None, "cannot read input file /nonexistent/file.txt"),
        (["predict"], "", "<stdin>: no input text"),
        (["predict"], "   \n\n", "<stdin>: no input text"),
    ],
)
def test_predict_bad_input(args, stdin, message):
    r = run(args, input=stdin)
    assert r.returncode != 0
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_malformed_jsonl_names_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "ok"}\n{"text": oops}\n')
    r = run(["predict", "--input", str(src)])
    assert r.returncode == 2 and f"{src}:2: malformed JSON" in r.stderr


def test_jsonl_context_field(shipped, tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [{"text": "Four of them were caught by noon.", "context": "Prisoners tunnelled out of the jail overnight."},
            {"text": "Rain.", "context": None}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = run(["predict", "--input", str(src)])
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["context"] for l in r.stdout.splitlines()] == [rows[0]["context"], None]
    src.write_text(json.dumps({"text": "x", "context": 3}) + "\n")
    r = run(["predict", "--input", str(src)])
    assert r.returncode == 2 and f"{src}:1: 'context' must be a string or null" in r.stderr


def test_broken_pipe(shipped, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Troops left the base.\n" * 3000)
    p = subprocess.run(f"{sys.executable} -m event_classifier.cli predict --input {src} | head -n 1", shell=True,
                       capture_output=True, text=True, executable="/bin/bash")
    assert "Traceback" not in p.stderr
    assert "output pipe closed" in p.stderr
    r = subprocess.run(f"set -o pipefail; {sys.executable} -m event_classifier.cli predict --input {src} | head -n 1 >/dev/null",
                       shell=True, executable="/bin/bash")
    assert r.returncode != 0


def test_predict_document_text_file(shipped, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("GAO, Mali (AP) — French troops left the base on Sunday.\n\nSome 40 inmates broke out of the jail.\n")
    r = run(["predict", "--document", "--input", str(story)])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["sentences"]) == 2
    assert {"withdrawal", "escape"} <= set(out["labels"])
    text = story.read_text()
    assert text[out["sentences"][1]["start"] : out["sentences"][1]["end"]] == "Some 40 inmates broke out of the jail."


def test_bad_input_does_not_clobber_existing_output(tmp_path):
    dst = tmp_path / "out.jsonl"
    dst.write_text("previous results\n")
    r = run(["predict", "--input", str(tmp_path / "missing.txt"), "--output", str(dst)])
    assert r.returncode == 2
    assert dst.read_text() == "previous results\n"


def test_document_no_context_flag(shipped, tmp_path):
    src = tmp_path / "story.txt"
    src.write_text("Prisoners tunnelled out of the Kala jail overnight. Four of them were caught by noon.\n")
    outs = [run(["predict", "--document", "--input", str(src)] + extra) for extra in ([], ["--no-context"])]
    assert all(r.returncode == 0 for r in outs), [r.stderr for r in outs]
    docs = [json.loads(r.stdout) for r in outs]
    assert [len(d["sentences"]) for d in docs] == [2, 2]
