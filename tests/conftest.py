from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "model" / "checkpoint"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shipped() -> Path:
    if not (CHECKPOINT / "model.safetensors").is_file():
        pytest.fail(f"no shipped checkpoint at {CHECKPOINT}; run `make train`")
    return CHECKPOINT


@pytest.fixture()
def ckpt_copy(shipped: Path, tmp_path: Path) -> Path:
    """A private copy of the shipped checkpoint to break in a test."""
    dst = tmp_path / "checkpoint"
    shutil.copytree(shipped, dst)
    return dst


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path
