"""`make export`: checkpoint -> ONNX fp32 (torch.onnx) -> int8 (onnxruntime quantize_dynamic).

Writes model/onnx/ beside the checkpoint with copies of the tokenizer and metadata, so the ONNX
folder is self-contained and carries the same labels, thresholds and checkpoint_id.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from event_classifier.context_head import EMBEDDING_OUTPUT, HEAD_FILE, torch_forward
from event_classifier.artifacts import DEFAULT_CHECKPOINT, DEFAULT_ONNX_DIR, METADATA_FILE, ONNX_FILES, validate_checkpoint

from .training import _replace_dir

PROBE = [
    "Foreign troops pulled out of the base near Deir ez-Zor on Sunday.",
    "Some 300 detainees were handed over to Iraqi authorities at the border crossing, officials said.",
    "Rain is expected across the region this week.",
]


FP32_LAYERS = (0, 1, 2)
"""Encoder layers whose FFN output projection stays fp32 in the int8 model (why: see export())."""


def export(checkpoint: str | Path = DEFAULT_CHECKPOINT, out_dir: str | Path = DEFAULT_ONNX_DIR, opset: int = 17,
           fp32_layers: tuple[int, ...] = FP32_LAYERS) -> dict:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    meta = validate_checkpoint(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint), dtype=torch.float32).eval()
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)

    class Outputs(torch.nn.Module):  # plain tensor outputs keep the graph simple
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            # the encoding is what the context head reads (model/context_head.py)
            return torch_forward(self.m, {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids})

    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in range(3))
    fp32 = tmp / ONNX_FILES["fp32"]
    torch.onnx.export(
        Outputs(model),
        dummy,
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits", EMBEDDING_OUTPUT],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids"]}
        | {"logits": {0: "batch"}, EMBEDDING_OUTPUT: {0: "batch"}},
        opset_version=opset,
        dynamo=False,
    )
    int8 = tmp / ONNX_FILES["int8"]
    # The FFN output projections of the first layers see the largest activation outliers. For the
    # sentence-only model, keeping layers 0-1 in fp32 lifted identical label sets on dev from 98.5%
    # to 99.2%. For the context model (text pairs) that gave 98.65% on dev, layers 0-2 gave 99.10%
    # (and more layers no better) at ~25% more time.
    import onnx

    graph = onnx.load(str(fp32), load_external_data=False).graph
    keep_fp32 = [n.name for n in graph.node if n.op_type == "MatMul"
                 and any(n.name.endswith(f"layer.{i}/output/dense/MatMul") for i in fp32_layers)]
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep_fp32)
    for name in ["tokenizer.json", "tokenizer_config.json", "config.json", METADATA_FILE, HEAD_FILE]:
        if (checkpoint / name).is_file():
            shutil.copy2(checkpoint / name, tmp / name)
    _replace_dir(tmp, out_dir)

    # quick parity figure on a few sentences; the full check is in the tests and metrics.json
    from event_classifier import load

    ref = load(checkpoint, backend="torch").scores(PROBE)[0]
    diffs = {p: float(np.abs(load(out_dir, backend="onnx", precision=p).scores(PROBE)[0] - ref).max()) for p in ONNX_FILES}
    sizes = {p: round((out_dir / f).stat().st_size / 1e6, 1) for p, f in ONNX_FILES.items()}
    return {"out_dir": str(out_dir), "checkpoint_id": meta.get("checkpoint_id"), "max_abs_diff_vs_torch": diffs,
            "size_mb": sizes, "fp32_matmuls_in_int8_model": keep_fp32}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="event-classifier export", description=__doc__)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT), help="checkpoint folder to export")
    ap.add_argument("--out-dir", default=None, help="default: onnx/ beside the checkpoint")
    ap.add_argument("--fp32-layers", default=",".join(map(str, FP32_LAYERS)), metavar="I,J,...",
                    help="encoder layers whose FFN output projection stays fp32 in the int8 model ('' = none)")
    args = ap.parse_args(argv)
    try:
        fp32_layers = tuple(int(x) for x in args.fp32_layers.split(",") if x.strip())
    except ValueError:
        ap.error(f"--fp32-layers must be comma-separated layer numbers, got {args.fp32_layers!r}")
    out = args.out_dir or str(Path(args.checkpoint).parent / "onnx")
    info = export(args.checkpoint, out, fp32_layers=fp32_layers)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
