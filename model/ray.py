"""Labelling on a Ray cluster with Ray Data (extra [ray]: `pip install "event-classifier[ray]"`).

>>> import ray, event_classifier.ray as ecr                      # doctest: +SKIP
>>> ds = ray.data.read_parquet("s3://bucket/wire/")             # doctest: +SKIP
>>> ecr.label_dataset(ds, text_column="body").write_parquet("s3://bucket/labelled/")  # doctest: +SKIP

Each actor loads the model once (ONNX int8, one thread: Ray runs one actor per CPU) and labels
whole batches; Ray Data schedules the actors across the cluster's nodes, retries a batch whose
actor died, and restarts the actor.
"""

from __future__ import annotations

import os
from typing import Any

LABEL_COLUMNS = ("labels", "scores", "truncated")


class Labeller:
    """A callable class for `ray.data.Dataset.map_batches` (pandas batches): adds `labels`,
    `scores` (a dict per row) and `truncated`, or with ``document`` `labels` and `sentences`."""

    def __init__(self, checkpoint: str | None = None, text_column: str = "text", document: bool = False,
                 threshold: float | None = None, use_context: bool = True, explain: bool = False, prefix: str = "") -> None:
        from . import load

        self.clf = load(checkpoint, num_threads=1)
        self.text_column, self.document, self.threshold = text_column, document, threshold
        self.use_context, self.explain, self.prefix = use_context, explain, prefix

    def __call__(self, batch: Any) -> Any:
        import json

        from .document import predict_document

        _fault_hook()
        if self.text_column not in batch.columns:
            raise KeyError(f"no column {self.text_column!r} in the dataset (columns: {', '.join(map(str, batch.columns))})")
        texts = [str(t) if t is not None else "" for t in batch[self.text_column].tolist()]
        out = batch.copy()
        p = self.prefix
        if self.document:
            docs = [predict_document(t, classifier=self.clf, threshold=self.threshold, use_context=self.use_context,
                                     explain=self.explain).to_dict() for t in texts]
            out[p + "labels"] = [d["labels"] for d in docs]
            out[p + "sentences"] = [json.dumps(d["sentences"], ensure_ascii=False) for d in docs]
            return out
        ctx = None
        if self.use_context and "context" in batch.columns:
            ctx = [c if isinstance(c, str) else None for c in batch["context"].tolist()]
        preds = self.clf.predict(texts, threshold=self.threshold, context=ctx, explain=self.explain)
        out[p + "labels"] = [x.labels for x in preds]
        out[p + "scores"] = [x.scores for x in preds]
        out[p + "truncated"] = [x.truncated for x in preds]
        if self.explain:
            out[p + "evidence"] = [json.dumps(x.to_dict()["evidence"]) for x in preds]
        return out


def _fault_hook() -> None:
    # Tests kill one actor mid-job: the first actor to see this file removes it and dies.
    path = os.environ.get("EVENT_CLASSIFIER_RAY_FAULT")
    if path and os.path.exists(path):
        try:
            os.remove(path)
        except FileNotFoundError:
            return
        os._exit(1)


def label_dataset(ds: Any, text_column: str = "text", document: bool = False, *, checkpoint: str | None = None,
                  concurrency: int | tuple[int, int] | None = None, batch_size: int = 256, threshold: float | None = None,
                  use_context: bool = True, explain: bool = False, prefix: str = "", max_retries: int = 3) -> Any:
    """``ds`` with labels and scores added (lazily, like any Ray Dataset).

    ``concurrency``: number of actors (default: an autoscaling pool from one actor up to one per CPU
    in the cluster, so a job starts even while other jobs hold CPUs). A batch whose actor dies is
    retried on a restarted actor, up to ``max_retries`` times.
    """
    import ray

    if concurrency is None:
        concurrency = (1, max(1, int(ray.cluster_resources().get("CPU", 1))))
    lo, hi = concurrency if isinstance(concurrency, tuple) else (concurrency, concurrency)
    return ds.map_batches(
        Labeller,
        fn_constructor_kwargs={"checkpoint": checkpoint, "text_column": text_column, "document": document,
                               "threshold": threshold, "use_context": use_context, "explain": explain, "prefix": prefix},
        batch_format="pandas",
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(min_size=lo, max_size=hi),
        num_cpus=1,
        max_restarts=max_retries,
        max_task_retries=max_retries,
    )


def run_cli(input_dir: str, output_dir: str, address: str | None, text_column: str, document: bool,
            checkpoint: str | None, threshold: float | None, use_context: bool, explain: bool, prefix: str) -> int:
    """`event-classifier predict --engine ray`: a folder of Parquet or JSONL files in, the same format out."""
    import glob

    import ray

    files = sorted(glob.glob(os.path.join(input_dir, "*")))
    kinds = {os.path.splitext(f)[1].lower() for f in files if os.path.isfile(f)}
    if not files or not kinds <= {".parquet", ".jsonl", ".json"}:
        raise ValueError(f"{input_dir}: expected a folder of .parquet or .jsonl files, found {sorted(kinds) or 'nothing'}")
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    if kinds == {".parquet"}:
        ds = ray.data.read_parquet(input_dir)
    else:
        ds = ray.data.read_json(input_dir)
    out = label_dataset(ds, text_column, document, checkpoint=checkpoint, threshold=threshold, use_context=use_context,
                        explain=explain, prefix=prefix)
    if kinds == {".parquet"}:
        out.write_parquet(output_dir)
    else:
        out.write_json(output_dir)
    return 0
