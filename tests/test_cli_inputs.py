"""What a new user trips over on the command line (issue 14), through the real entry point."""

import json
import os
import pty
import signal
import subprocess
import sys
import time

import pytest

CLI = [sys.executable, "-m", "event_classifier.cli"]
ESCAPE = "Two inmates escaped from the jail overnight."


def run(args, **kw):
    return subprocess.run(CLI + args, capture_output=True, text=True, **kw)


def rows_of(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def one_line_error(r, fragment, status=2):
    assert r.returncode == status, (r.returncode, r.stderr)
    assert fragment in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("name", ["in.JSONL", "in.ndjson", "in.json"])
def test_json_lines_by_extension(shipped, tmp_path, name):
    src = tmp_path / name
    src.write_text(json.dumps({"id": 1, "text": ESCAPE}) + "\n" + json.dumps({"id": 2, "text": "Rain."}) + "\n")
    r = run(["predict", "--input", str(src)])
    assert r.returncode == 0, r.stderr
    rows = rows_of(r.stdout)
    assert [(x["id"], x["text"]) for x in rows] == [(1, ESCAPE), (2, "Rain.")]
    assert rows[0]["labels"] == ["escape"]


def test_json_array_file_and_stdin(shipped, tmp_path):
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"text": ESCAPE}, {"text": "Rain."}], indent=2))
    for r in (run(["predict", "--input", str(src)]), run(["predict", "--input", "-"], input=src.read_text())):
        assert r.returncode == 0, r.stderr
        assert [x["text"] for x in rows_of(r.stdout)] == [ESCAPE, "Rain."]


def test_csv_with_header_and_text_field(shipped, tmp_path):
    src = tmp_path / "sheet.csv"
    src.write_text('id,body\nA7,"Two inmates escaped from the jail overnight."\nA8,"Rain, then sun."\n')
    one_line_error(run(["predict", "--input", str(src)]), "has no 'text' column (columns: id, body)")
    r = run(["predict", "--input", str(src), "--text-field", "body"])
    assert r.returncode == 0, r.stderr
    rows = rows_of(r.stdout)
    assert [x["id"] for x in rows] == ["A7", "A8"]  # the header is not a sentence
    assert rows[0]["body"] == ESCAPE and rows[0]["labels"] == ["escape"] and "text" not in rows[0]


def test_unknown_extension_is_refused(tmp_path):
    src = tmp_path / "news.xml"
    src.write_text("<doc>Troops left.</doc>\n")
    one_line_error(run(["predict", "--input", str(src)]), "unknown input format '.xml'; use one of .jsonl, .ndjson, .json, .txt, .csv")


def test_input_fields_are_never_overwritten(shipped, tmp_path):
    src = tmp_path / "gold.jsonl"
    src.write_text(json.dumps({"text": ESCAPE, "labels": ["escape"], "note": "kept"}) + "\n")
    one_line_error(run(["predict", "--input", str(src)]), f"{src}:1: the input already has 'labels'")
    r = run(["predict", "--input", str(src), "--field-prefix", "pred_"])
    assert r.returncode == 0, r.stderr
    (row,) = rows_of(r.stdout)
    assert row["labels"] == ["escape"] and row["note"] == "kept"
    assert set(row) == {"text", "labels", "note", "pred_labels", "pred_scores", "pred_truncated"}


def test_same_fields_on_every_row(shipped):
    r = run(["predict", ESCAPE, "word " * 400])
    assert r.returncode == 0, r.stderr
    rows = rows_of(r.stdout)
    assert [sorted(x) for x in rows] == [["labels", "scores", "text", "truncated"]] * 2
    assert [x["truncated"] for x in rows] == [False, True]


def test_document_rule_for_text_files(shipped, tmp_path):
    src = tmp_path / "stories.txt"
    first = "GAO, Mali (AP) — French troops left the base on Sunday.\n\nThe last convoy reached Niger.\n"
    second = "Some 40 inmates broke out of the jail.\n"
    src.write_text(first + "---\n" + second)
    r = run(["predict", "--document", "--input", str(src)])
    assert r.returncode == 0, r.stderr
    docs = rows_of(r.stdout)
    assert len(docs) == 2
    assert [len(d["sentences"]) for d in docs] == [2, 1]
    assert "escape" in docs[1]["labels"] and "escape" not in docs[0]["labels"]
    s = docs[0]["sentences"][1]
    assert first[s["start"] : s["end"]] == "The last convoy reached Niger."


def test_document_rule_for_jsonl(shipped, tmp_path):
    src = tmp_path / "stories.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Troops left the base. Rain fell."}) + "\n"
                   + json.dumps({"id": "b", "text": ESCAPE}) + "\n")
    r = run(["predict", "--document", "--input", str(src)])
    assert r.returncode == 0, r.stderr
    docs = rows_of(r.stdout)
    assert [d["id"] for d in docs] == ["a", "b"] and [len(d["sentences"]) for d in docs] == [2, 1]


@pytest.mark.parametrize("value", ["50", "-1", "nan", "1.5", "abc"])
def test_threshold_must_be_in_unit_interval(value):
    r = run(["predict", "--threshold", value, ESCAPE])
    assert r.returncode == 2 and "--threshold" in r.stderr and "Traceback" not in r.stderr


def test_threshold_checked_in_python_too(shipped):
    from event_classifier import predict

    for bad in (50, -1, float("nan"), {"escape": 2.0}):
        with pytest.raises(ValueError, match="between 0 and 1"):
            predict(ESCAPE, threshold=bad)


def test_input_and_text_arguments_together_are_refused(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Rain.\n")
    one_line_error(run(["predict", "--input", str(src), "Troops left."]), "either text arguments or --input, not both")


def test_no_context_also_applies_to_a_context_field(shipped, tmp_path):
    text, ctx = "Four of them were caught by noon.", "Prisoners tunnelled out of the jail overnight."
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": text, "context": ctx}) + "\n")
    with_ctx, without = (rows_of(run(["predict", "--input", str(src)] + extra).stdout)[0] for extra in ([], ["--no-context"]))
    alone = rows_of(run(["predict", text]).stdout)[0]
    assert without["scores"] == alone["scores"]
    assert with_ctx["scores"] != alone["scores"]


def test_onnx_backend_on_cuda_is_refused(shipped):
    one_line_error(run(["predict", "--backend", "onnx", "--device", "cuda", ESCAPE]), "the onnx backend runs on the CPU only", status=1)


def test_cuda_without_a_gpu_is_one_line(shipped):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    one_line_error(run(["predict", "--device", "cuda", ESCAPE]), "sees no CUDA GPU", status=1)


def test_version():
    from event_classifier import __version__

    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.strip() == f"event-classifier {__version__}"


def test_wrong_flag_shows_the_subcommand_usage():
    r = run(["predict", "--bogus", ESCAPE])
    assert r.returncode == 2
    assert "usage: event-classifier predict" in r.stderr and "unrecognized arguments: --bogus" in r.stderr


def test_malformed_json_message_is_whole(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "unterminated}\n')
    one_line_error(run(["predict", "--input", str(src)]), f"{src}:1: malformed JSON (Unterminated string starting at column 10)")


def test_undecodable_bytes_name_the_line(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"Troops left.\nRain \xff fell.\n")
    one_line_error(run(["predict", "--input", str(src)]), f"{src}:2: not UTF-8 text")


def test_every_predict_flag_has_help():
    from event_classifier.cli import build_parser

    ap = build_parser()
    sub = next(a for a in ap._actions if a.dest == "command")
    for name in ("predict", "train"):
        for action in sub.choices[name]._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help text"


def test_data_check_help_speaks_to_users():
    r = run(["data-check", "--help"])
    assert r.returncode == 0 and "issue" not in r.stdout


def test_evaluate_outside_a_checkout_is_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = run(["evaluate"], cwd=tmp_path, env=env)
    assert r.returncode != 0 and "data/train.jsonl: file not found" in r.stderr and "Traceback" not in r.stderr


def test_stdin_on_a_terminal_prints_a_hint(shipped):
    master, slave = pty.openpty()
    p = subprocess.Popen(CLI + ["predict"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    time.sleep(1.0)
    os.write(master, ESCAPE.encode() + b"\n\x04")
    out, err = p.communicate(timeout=120)
    os.close(master)
    assert p.returncode == 0, err
    assert "reading from stdin" in err and "Ctrl-D" in err
    assert rows_of(out)[0]["labels"] == ["escape"]


def test_ctrl_c_is_a_message_not_a_traceback():
    p = subprocess.Popen(CLI + ["predict"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)  # blocked reading stdin, inside the command
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err


@pytest.mark.parametrize("module", ["evaluate", "evaluate_file", "datacheck", "export", "bench", "compare"])
def test_every_stage_flag_has_help(module, monkeypatch, capsys):
    import importlib

    mod = importlib.import_module(f"event_classifier.train.{module}")
    seen = []
    import argparse

    real = argparse.ArgumentParser.parse_args

    def spy(self, *a, **k):
        seen.append(self)
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", spy)
    with pytest.raises(SystemExit):
        mod.main(["--data", "x.jsonl"] if module == "evaluate_file" else [])
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", real)
    for action in seen[0]._actions:
        assert action.help, f"{module}: {action.option_strings} has no help text"
