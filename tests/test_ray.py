"""Ray Data on a real local cluster: a head node plus a second node process, as on a cluster."""

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

SENTENCES = ["Two inmates escaped from the jail overnight.", "Rain fell on the capital.",
             "Foreign troops left the base on Sunday.", "The ministry deported 30 men to their home country.",
             "About 300 detainees were handed to Iraq at the Rabia crossing.", "The central bank kept rates unchanged."]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, shipped):
    exe = shutil.which("ray", path=os.path.dirname(sys.executable)) or "ray"
    port = _port()
    tmp = tmp_path_factory.mktemp("ray")
    # a throwaway cluster on loopback: Ray's token authentication is turned off, as for the driver
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled", "EVENT_CLASSIFIER_RAY_FAULT": str(tmp / "fault")}
    common = ["--num-cpus", "1", "--disable-usage-stats"]
    subprocess.run([exe, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                    "--include-dashboard", "false", *common], check=True, env=env, capture_output=True)
    try:
        subprocess.run([exe, "start", "--address", f"127.0.0.1:{port}", *common], check=True, env=env, capture_output=True)
        os.environ["EVENT_CLASSIFIER_RAY_FAULT"] = env["EVENT_CLASSIFIER_RAY_FAULT"]
        os.environ["RAY_AUTH_MODE"] = "disabled"
        ray.init(address=f"127.0.0.1:{port}", log_to_driver=False)
        yield {"address": f"127.0.0.1:{port}", "fault": tmp / "fault"}
    finally:
        ray.shutdown()
        subprocess.run([exe, "stop", "--force"], env=env, capture_output=True)


def test_two_nodes_and_parity_with_predict(cluster):
    import event_classifier.ray as ecr
    from event_classifier import predict

    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    texts = [f"{SENTENCES[i % 6]} ({i})" for i in range(1000)]
    ds = ray.data.from_items([{"id": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=10)
    rows = sorted(ecr.label_dataset(ds, concurrency=2, batch_size=100).take_all(), key=lambda r: r["id"])
    assert [r["id"] for r in rows] == list(range(1000))
    want = predict(texts)
    assert [list(r["labels"]) for r in rows] == [p.labels for p in want]
    assert max(abs(r["scores"][k] - p.scores[k]) for r, p in zip(rows, want) for k in p.scores) <= 1e-5


def test_a_killed_actor_loses_and_repeats_nothing(cluster):
    import event_classifier.ray as ecr

    cluster["fault"].write_text("die once")  # the first actor to see it exits mid-job
    ds = ray.data.from_items([{"id": i, "text": SENTENCES[i % 6]} for i in range(600)], override_num_blocks=12)
    ids = [r["id"] for r in ecr.label_dataset(ds, concurrency=2, batch_size=50).take_all()]
    assert not cluster["fault"].exists(), "the fault was not triggered"
    assert sorted(ids) == list(range(600))  # every record exactly once


def test_cli_engine_ray_labels_a_jsonl_folder(cluster, tmp_path):
    from event_classifier import predict

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    texts = [f"{SENTENCES[i % 6]} ({i})" for i in range(200)]
    for part in range(2):  # two files, as an archive folder has
        with open(src / f"part-{part}.jsonl", "w") as f:
            for i in range(part * 100, part * 100 + 100):
                f.write(json.dumps({"id": i, "text": texts[i], "source": "wire"}) + "\n")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    exe = os.path.join(os.path.dirname(sys.executable), "event-classifier")
    proc = subprocess.run([exe, "predict", "--engine", "ray", "--address", cluster["address"],
                           "--input", str(src), "--output", str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for p in sorted(out.glob("*.json*")) for line in p.read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: r["id"])
    assert [r["id"] for r in rows] == list(range(200))
    assert all(r["source"] == "wire" for r in rows)  # input fields pass through
    assert [list(r["labels"]) for r in rows] == [p.labels for p in predict(texts)]
