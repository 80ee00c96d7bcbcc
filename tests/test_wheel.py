"""Build the wheel, install it into a fresh venv, predict offline there."""

import os
import subprocess
import sys
import venv
import zipfile

import pytest

pytestmark = pytest.mark.slow


def test_wheel_installs_and_predicts_offline(root, tmp_path, shipped):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(root)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("event_classifier-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "event_classifier/checkpoint/model.safetensors" in names
    assert "event_classifier/onnx/model.int8.onnx" in names
    assert "event_classifier/py.typed" in names
    assert not any(n.startswith("event_classifier/checkpoint/") and ".tmp" in n for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    code = (
        "import sys; from event_classifier import predict, load;"
        "p = predict('Some 200 prisoners broke out of the jail in the north overnight, police said.');"
        "print(p.labels, load().backend, 'torch' in sys.modules)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "['escape'] onnx False"
