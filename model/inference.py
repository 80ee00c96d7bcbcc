"""Loading a classifier and labelling sentences.

Two backends share one tokenizer (the ``tokenizers`` package) and one batching routine, so
they see identical token ids: ``onnx`` (onnxruntime, no torch import) and ``torch``
(transformers). Batches are sorted by length and padded to the longest member only, because the
base tokenizer pads to 128 tokens by default and unsorted batches waste ~45% on padding.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from .artifacts import (
    DEFAULT_CHECKPOINT,
    DEFAULT_ONNX_DIR,
    METADATA_FILE,
    ONNX_FILES,
    CheckpointError,
    validate_checkpoint,
    validate_onnx_dir,
)
from .context_head import EMBEDDING_OUTPUT, ContextHead, features, torch_forward
from .encoding import Encoder
from .labels import LabelSet

Backend = Literal["auto", "onnx", "torch"]
Threshold = float | Mapping[str, float] | None


@dataclass(frozen=True)
class Prediction:
    """One sentence's result: labels passing their thresholds (highest score first) and all scores."""

    text: str
    labels: list[str]
    scores: dict[str, float]
    truncated: bool = False
    evidence: dict[str, list[tuple[int, int, float]]] | None = field(default=None, compare=False)
    """With ``explain=True``: per predicted label, (start, end, weight) spans of the words that
    raised its score most (``text[start:end]``), highest weight first."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        # the same fields every time, so downstream readers need no defaults
        out = {"text": self.text, "labels": self.labels, "scores": self.scores, "truncated": self.truncated}
        if self.evidence is not None:
            out["evidence"] = {lab: [list(s) for s in spans] for lab, spans in self.evidence.items()}
        return out

    def evidence_words(self, label: str) -> list[str]:
        """The evidence for ``label`` as words, highest weight first."""
        return [self.text[a:b] for a, b, _ in (self.evidence or {}).get(label, [])]


def check_texts(texts: object, name: str = "texts") -> tuple[list[str], bool]:
    """Return (list of texts, whether a single str was given); TypeError names the bad item.

    Any iterable of str is accepted (list, tuple, generator, numpy array, pandas Series); it is
    read once.
    """
    if isinstance(texts, str):
        return [texts], True
    if isinstance(texts, (bytes, bytearray, Mapping)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"{name} must be a str or an iterable of str, got {type(texts).__name__}")
    items = list(texts)  # type: ignore[call-overload]
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{i}] is {type(t).__name__}, expected str")
    return [str(t) for t in items], False


def check_threshold(threshold: object) -> None:
    """ValueError unless every threshold is a number in [0, 1] (nan refused)."""
    if threshold is None:
        return
    values = threshold.items() if isinstance(threshold, Mapping) else [("threshold", threshold)]
    for key, t in values:
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise TypeError(f"threshold for {key} must be a number, got {type(t).__name__}")
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(f"threshold for {key} must be between 0 and 1, got {t}")


def _encodable(text: str | None, index: int, name: str) -> str | None:
    """Lone surrogates (e.g. from a bad decode upstream) cannot be tokenized: replace them with
    U+FFFD and say so, rather than fail the whole batch."""
    if text is None or text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        warnings.warn(f"{name}[{index}] has characters that are not valid Unicode (lone surrogates); "
                      "they were replaced with U+FFFD for labelling", UnicodeWarning, stacklevel=4)
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def check_contexts(context: object) -> list[str | None]:
    if isinstance(context, (bytes, bytearray, Mapping)) or not hasattr(context, "__iter__"):
        raise TypeError(f"context must be a str, None or an iterable of str/None, got {type(context).__name__}")
    return list(context)  # type: ignore[call-overload]


class _OnnxBackend:
    """ONNX Runtime, one sentence per run on a small thread pool.

    Dynamic int8 quantization computes activation scales over the whole input tensor, so in a
    padded batch a sentence's scores depend on its neighbours (measured up to 0.09). Running
    each sentence alone makes scores batch-invariant, needs no padding, and on 2 cores was
    faster than batching (one intra-op thread per worker).
    """

    name = "onnx"
    per_sentence = True

    def __init__(self, model_path: Path, num_threads: int | None) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.workers = max(1, num_threads or min(os.cpu_count() or 1, 8))
        try:
            self.session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise CheckpointError(f"{model_path}: cannot load ONNX model ({exc})") from None
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.has_embedding = EMBEDDING_OUTPUT in {o.name for o in self.session.get_outputs()}
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def forward(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(logits, sentence encodings or None when the export has none)."""
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {k: v for k, v in feed.items() if k in self.input_names}
        out = self.session.run(None, feed)
        return np.asarray(out[0], dtype=np.float32), (np.asarray(out[1], dtype=np.float32) if self.has_embedding else None)

    def map(self, fn: Any, items: list[Any]) -> list[Any]:
        if self.workers == 1 or len(items) == 1:
            return [fn(x) for x in items]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="event-classifier")
        return list(self._pool.map(fn, items))


class _TorchBackend:
    name = "torch"

    def __init__(self, folder: Path, device: str | None, num_threads: int | None) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ImportError(
                "backend='torch' needs torch and transformers: pip install 'event-classifier[torch]'"
            ) from exc
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every load
        if num_threads:
            torch.set_num_threads(num_threads)
        self.torch = torch
        try:
            self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        except RuntimeError as exc:
            raise ValueError(f"unknown torch device {device!r} ({exc})") from None
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {device!r} asked for, but this torch ({torch.__version__}) sees no CUDA GPU")
        # fp16 weights on disk; fp32 on CPU where fp16 matmuls are slow and less exact.
        dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        try:
            model = AutoModelForSequenceClassification.from_pretrained(str(folder), dtype=dtype)
        except Exception as exc:
            raise CheckpointError(f"{folder}: cannot load model weights ({exc})") from None
        self.model = model.to(self.device).eval()
        import inspect

        # MPNet, RoBERTa and others take no token type ids
        self.uses_types = "token_type_ids" in inspect.signature(self.model.forward).parameters
        self.has_embedding = True

    def forward(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        t = self.torch
        feed = {"input_ids": ids, "attention_mask": mask}
        if self.uses_types:
            feed["token_type_ids"] = types
        with t.inference_mode():
            logits, emb = torch_forward(self.model, {k: t.from_numpy(v).to(self.device) for k, v in feed.items()})
        return logits.float().cpu().numpy(), emb.float().cpu().numpy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _stale_export(checkpoint: Path, onnx_dir: Path) -> bool:
    """True when the ONNX copy was not exported from this checkpoint (ids differ)."""
    try:
        ids = [json.loads((d / METADATA_FILE).read_text(encoding="utf-8")).get("checkpoint_id") for d in (checkpoint, onnx_dir)]
    except (OSError, ValueError):
        return False  # a missing or broken file is reported by validation with its path
    return ids[0] != ids[1]


def _onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class EventClassifier:
    """A loaded checkpoint. Build with :func:`load`; call :meth:`predict`."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        backend: Backend = "auto",
        device: str | None = None,
        precision: Literal["int8", "fp32"] = "int8",
        num_threads: int | None = None,
    ) -> None:
        if backend not in ("auto", "onnx", "torch"):
            raise ValueError(f"backend must be 'auto', 'onnx' or 'torch', got {backend!r}")
        if backend == "onnx" and device not in (None, "cpu"):
            raise ValueError(f"the onnx backend runs on the CPU only; use backend='torch' for device={device!r}")
        if precision not in ONNX_FILES:
            raise ValueError(f"precision must be one of {sorted(ONNX_FILES)}, got {precision!r}")
        folder = Path(path) if path is not None else DEFAULT_CHECKPOINT
        onnx_dir = folder if (folder / ONNX_FILES[precision]).is_file() else (
            DEFAULT_ONNX_DIR if path is None else folder.parent / "onnx"
        )
        if backend == "auto":
            wants_gpu = device is not None and device != "cpu"
            has_onnx = (onnx_dir / ONNX_FILES[precision]).is_file() and _onnx_available()
            if has_onnx and onnx_dir != folder and _stale_export(folder, onnx_dir):
                warnings.warn(
                    f"{onnx_dir} was exported from another checkpoint than {folder}; using torch "
                    "(run `make export` to refresh the ONNX files)",
                    stacklevel=3,
                )
                has_onnx = False
            backend = "onnx" if has_onnx and not wants_gpu else "torch"
        self.backend: Backend = backend
        self.precision = precision if backend == "onnx" else "fp32"
        self._impl: _OnnxBackend | _TorchBackend
        if backend == "onnx":
            model_path, meta = validate_onnx_dir(onnx_dir, precision)
            self.path = onnx_dir
            self._impl = _OnnxBackend(model_path, num_threads)
        else:
            meta = validate_checkpoint(folder)
            self.path = folder
            self._impl = _TorchBackend(folder, device, num_threads)
        self.metadata = meta
        self.labels: LabelSet = LabelSet.from_metadata(meta, str(self.path))
        """This checkpoint's labels, in the order of its outputs and of every scores row."""
        self.thresholds: dict[str, float] = {k: float(meta["thresholds"][k]) for k in self.labels}
        art = meta.get("article_thresholds") or meta["thresholds"]
        self.article_thresholds: dict[str, float] = {k: float(art[k]) for k in self.labels}
        """What `predict_document` asks of an article's best sentence for the article to get a label
        (stricter than `thresholds`: tuned on the dev articles; the same as `thresholds` when absent)."""
        mode = meta.get("context", False)
        self.context_mode: str | None = "head" if mode == "head" else ("pair" if mode else None)
        """How the previous sentence is read: 'pair' (text pair), 'head' (model/context_head.py) or None."""
        self.context: bool = self.context_mode is not None
        self._head: ContextHead | None = None
        if self.context_mode == "head":
            self._head = ContextHead.from_folder(self.path, len(self.labels))
            if not self._impl.has_embedding:
                raise CheckpointError(f"{self.path}: the ONNX model has no '{EMBEDDING_OUTPUT}' output, which the "
                                      "context head needs (run `make export` again)")
        self._tok = Encoder.from_file(self.path / "tokenizer.json", int(meta["max_length"]), meta.get("context_tokens"))

    def __repr__(self) -> str:
        return f"EventClassifier(path='{self.path}', backend='{self.backend}', precision='{self.precision}')"

    def scores(
        self, texts: list[str], batch_size: int = 32, contexts: list[str | None] | None = None, *, packed: bool = False
    ) -> tuple[np.ndarray, list[bool]]:
        """Probabilities, shape (len(texts), len(self.labels)), in input order, and truncation flags.

        ``contexts`` (the previous sentence per text, or None) is read the checkpoint's way: as text
        pairs, or through the context head, which encodes each distinct sentence once (in an
        article every sentence is also the next one's context). Models without context ignore it.

        ``packed``: the texts are about the same length (variants of one sentence), so the ONNX path
        runs them as one padded batch per worker thread instead of one run per sentence.

        Empty or whitespace-only texts get all-zero scores without running the model.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if self._head is not None and contexts is not None:
            probs, truncated = self._head_scores(texts, contexts, batch_size, packed)
        else:
            logits, _, truncated = self._forward(texts, batch_size, contexts if self.context_mode == "pair" else None, packed)
            probs = _sigmoid(logits)
        probs[[i for i, t in enumerate(texts) if not t.strip()]] = 0.0
        return probs, truncated

    def _head_scores(self, texts: list[str], contexts: list[str | None], batch_size: int, packed: bool) -> tuple[np.ndarray, list[bool]]:
        assert self._head is not None
        # sanitised here, where indices are still the caller's, before sentences are deduplicated
        texts = [_encodable(t, i, "texts") or "" for i, t in enumerate(texts)]
        ctx = [_encodable(c, i, "context") if c is not None and c.strip() else None for i, c in enumerate(contexts)]
        unique = list(dict.fromkeys([*texts, *(c for c in ctx if c is not None)]))
        index = {t: i for i, t in enumerate(unique)}
        logits, emb, trunc = self._forward(unique, batch_size, None, packed)
        mine = [index[t] for t in texts]
        probs = _sigmoid(logits[mine])
        rows = [i for i, c in enumerate(ctx) if c is not None and texts[i].strip()]
        if rows:
            assert emb is not None  # checked at load: a head checkpoint's backend gives encodings
            t_idx, c_idx = [mine[i] for i in rows], [index[ctx[i]] for i in rows]  # type: ignore[index]
            probs[rows] = _sigmoid(self._head.logits(features(logits[t_idx], emb[t_idx], logits[c_idx], emb[c_idx])))
        return probs, [trunc[j] for j in mine]

    def _forward(
        self, texts: list[str], batch_size: int, pairs: list[str | None] | None, packed: bool
    ) -> tuple[np.ndarray, np.ndarray | None, list[bool]]:
        """Logits and sentence encodings (None when the backend gives none; zeros for empty
        texts) in input order, and truncation flags."""
        logits = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        embs: np.ndarray | None = None
        truncated = [False] * len(texts)
        live = [i for i, t in enumerate(texts) if t.strip()]
        if not live:
            return logits, None, truncated
        ctx = [_encodable(pairs[i], i, "context") for i in live] if pairs is not None else None
        encoded = self._tok.encode([_encodable(texts[i], i, "texts") for i in live], ctx)
        impl = self._impl
        per_sentence = getattr(impl, "per_sentence", False)
        order = sorted(range(len(live)), key=lambda j: len(encoded[j][0]))
        if per_sentence:
            # one sentence per run, spread over the worker threads: no padding at all. Variants of a
            # sentence (explain=True) are nearly the same length, so they go in small padded batches,
            # at least one per worker.
            size = min(batch_size, -(-len(order) // impl.workers)) if packed else 1  # type: ignore[union-attr]
            groups = [order[k : k + size] for k in range(0, len(order), size)]
        else:
            groups = [order[k : k + batch_size] for k in range(0, len(order), batch_size)]

        def run(group: list[int]) -> tuple[np.ndarray, np.ndarray | None]:
            width = max(len(encoded[j][0]) for j in group)
            ids = np.full((len(group), width), self._tok.pad_id, dtype=np.int64)
            types = np.zeros((len(group), width), dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.int64)
            for row, j in enumerate(group):
                tok_ids, type_ids, _ = encoded[j]
                ids[row, : len(tok_ids)] = tok_ids
                types[row, : len(type_ids)] = type_ids
                mask[row, : len(tok_ids)] = 1
            return impl.forward(ids, mask, types)

        results = impl.map(run, groups) if per_sentence else [run(g) for g in groups]  # type: ignore[union-attr]
        for group, (batch_logits, batch_emb) in zip(groups, results):
            if batch_emb is not None and embs is None:
                embs = np.zeros((len(texts), batch_emb.shape[1]), dtype=np.float32)
            for row, j in enumerate(group):
                logits[live[j]] = batch_logits[row]
                if embs is not None and batch_emb is not None:
                    embs[live[j]] = batch_emb[row]
                truncated[live[j]] = encoded[j][2]
        return logits, embs, truncated

    def _thresholds(self, threshold: Threshold) -> dict[str, float]:
        if threshold is None:
            return self.thresholds
        if isinstance(threshold, Mapping):
            unknown = set(threshold) - set(self.labels)
            if unknown:
                raise ValueError(f"threshold has unknown labels {sorted(unknown)}; known: {list(self.labels)}")
        elif isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"threshold must be a float or a dict of label -> float, got {type(threshold).__name__}")
        check_threshold(threshold)
        if isinstance(threshold, Mapping):
            return {k: float(threshold.get(k, self.thresholds[k])) for k in self.labels}
        return {k: float(threshold) for k in self.labels}

    @overload
    def predict(self, texts: str, batch_size: int = ..., threshold: Threshold = ..., context: str | None = ..., explain: bool = ...) -> Prediction: ...
    @overload
    def predict(self, texts: Sequence[str], batch_size: int = ..., threshold: Threshold = ..., context: Sequence[str | None] | None = ...,
                explain: bool = ...) -> list[Prediction]: ...

    def predict(self, texts: Any, batch_size: int = 32, threshold: Threshold = None, context: Any = None, explain: bool = False) -> Any:
        """Label one sentence (str) or many (list of str, results in input order).

        ``threshold`` overrides the stored per-label thresholds (one float, or a dict per label).
        ``context`` gives the previous sentence(s); used only by checkpoints trained with context.
        ``explain=True`` adds ``evidence``: the words behind each predicted label (word occlusion).

        >>> clf = load()
        >>> clf.predict("U.N. peacekeepers left the last base in the north on Sunday.").labels
        ['withdrawal']
        """
        items, single = check_texts(texts)
        thr = self._thresholds(threshold)
        contexts: list[str | None] | None = None
        if context is not None and not single and isinstance(context, str):
            raise TypeError("context is a str but texts is a list: pass a list with one context (or None) per text")
        if context is not None and self.context:
            ctx_items = [context] if single else check_contexts(context)
            if len(ctx_items) != len(items):
                raise ValueError(f"context has {len(ctx_items)} items for {len(items)} texts")
            for i, c in enumerate(ctx_items):
                if c is not None and not isinstance(c, str):
                    raise TypeError(f"context[{i}] is {type(c).__name__}, expected str or None")
            contexts = ctx_items
        probs, truncated = self.scores(items, batch_size, contexts)
        results = []
        for text, row, trunc in zip(items, probs, truncated):
            scores = {lab: round(float(p), 6) for lab, p in zip(self.labels, row)}
            labels = sorted((lab for lab in self.labels if scores[lab] >= thr[lab]), key=lambda k: -scores[k])
            results.append(Prediction(text=text, labels=labels, scores=scores, truncated=trunc))
        if explain:
            from dataclasses import replace

            from .evidence import occlusion

            found = occlusion(self, items, contexts, [r.labels for r in results], probs)
            results = [replace(r, evidence=e) for r, e in zip(results, found)]
        return results[0] if single else results


_CACHE: dict[tuple[Any, ...], EventClassifier] = {}
_LOCK = threading.Lock()


def load(
    path: str | Path | None = None,
    *,
    backend: Backend = "auto",
    device: str | None = None,
    precision: Literal["int8", "fp32"] = "int8",
    num_threads: int | None = None,
) -> EventClassifier:
    """Load a classifier once and reuse it (cached per arguments; thread-safe).

    ``path``: a checkpoint folder (default: the one shipped in the package) or an ONNX folder.
    ``backend``: 'auto' takes ONNX int8 when present and onnxruntime is installed, else torch;
    ``device='cuda'`` uses torch on a GPU.
    """
    key = (str(path) if path is not None else None, backend, device, precision, num_threads)
    with _LOCK:
        clf = _CACHE.get(key)
        if clf is None:
            clf = EventClassifier(path, backend=backend, device=device, precision=precision, num_threads=num_threads)
            _CACHE[key] = clf
        return clf


@overload
def predict(texts: str, batch_size: int = ..., threshold: Threshold = ..., backend: Backend = ..., context: str | None = ...,
            explain: bool = ...) -> Prediction: ...
@overload
def predict(
    texts: Sequence[str], batch_size: int = ..., threshold: Threshold = ..., backend: Backend = ..., context: Sequence[str | None] | None = ...,
    explain: bool = ...,
) -> list[Prediction]: ...


def predict(texts: Any, batch_size: int = 32, threshold: Threshold = None, backend: Backend = "auto", context: Any = None,
            explain: bool = False) -> Any:
    """Label a sentence or a list of sentences with the shipped model.

    ``context`` (optional) is the sentence before each text in its article, or None; checkpoints
    trained with context (the shipped one) use it, others ignore it. For whole articles use `predict_document`.

    >>> from event_classifier import predict
    >>> predict("U.N. peacekeepers left the last base in the north on Sunday.").labels
    ['withdrawal']
    >>> [p.labels for p in predict(["Two inmates broke out of the jail.", "Rain is expected."])]
    [['escape'], []]
    >>> predict("The move was completed before dawn.",
    ...         context="U.S. forces began pulling out of the Tanf garrison on Monday.").labels
    ['withdrawal']
    >>> predict("The move was completed before dawn.", context="The city council approved a new budget on Monday.").labels
    []
    >>> p = predict("Dozens of inmates broke out of the central prison overnight.", explain=True)
    >>> p.labels, "broke" in p.evidence_words("escape")
    (['escape'], True)
    """
    # check (and read, if it is a generator) before loading a model
    items, single = check_texts(texts)
    return load(backend=backend).predict(items[0] if single else items, batch_size=batch_size, threshold=threshold, context=context,
                                         explain=explain)
