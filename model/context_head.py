"""The context head: each sentence is encoded once, alone; a linear layer per label reads a
sentence's encoding next to its predecessor's and gives the in-article scores.

Why (issues 10 and 14): reading the previous sentence as a text pair encodes every article
sentence twice (about 1.9x the tokens), and on real news the pair model lost events it found when
reading alone. Here the encoder learns what a sentence says by itself; the head, fitted after it
on the training articles' in-article labels, adds what the previous sentence changes ("the
handover" after a sentence about prisoners). Its inputs include the sentence's own alone logits,
so with no useful context it falls back to them.

numpy only: the default (ONNX) install runs it without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .artifacts import CheckpointError

HEAD_FILE = "context_head.npz"
EMBEDDING_OUTPUT = "embedding"
"""Name of the encoder's second ONNX output: the mean-pooled, L2-normalised last hidden state."""


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Masked mean of ``hidden`` (batch, tokens, dim) over tokens, L2-normalised; torch tensors.

    The one definition of the sentence encoding, shared by training, the torch backend and the
    ONNX export, so the head sees the same numbers everywhere.
    """
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)
    return pooled / pooled.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def torch_forward(model: Any, feed: dict[str, Any]) -> tuple[Any, Any]:
    """(logits, encoding) from a transformers sequence-classification model in one pass."""
    out = model(**feed, output_hidden_states=True)
    return out.logits, mean_pool(out.hidden_states[-1], feed["attention_mask"])


def features(logits: np.ndarray, emb: np.ndarray, prev_logits: np.ndarray, prev_emb: np.ndarray) -> np.ndarray:
    """The head's input per sentence: both sentences' alone logits, both encodings and their product."""
    return np.hstack([logits, prev_logits, emb, prev_emb, emb * prev_emb]).astype(np.float32)


@dataclass(frozen=True)
class ContextHead:
    weight: np.ndarray
    """(n_features, n_labels)"""
    bias: np.ndarray
    """(n_labels,)"""

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weight + self.bias

    @classmethod
    def passthrough(cls, n_labels: int, dim: int) -> ContextHead:
        """A head that returns the sentence's own alone logits (used for a label whose training
        context rows are all of one class)."""
        weight = np.zeros((2 * n_labels + 3 * dim, n_labels), dtype=np.float32)
        weight[np.arange(n_labels), np.arange(n_labels)] = 1.0
        return cls(weight, np.zeros(n_labels, dtype=np.float32))

    def save(self, folder: str | Path) -> None:
        np.savez(Path(folder) / HEAD_FILE, weight=self.weight.astype(np.float32), bias=self.bias.astype(np.float32))

    @classmethod
    def from_folder(cls, folder: str | Path, n_labels: int) -> ContextHead:
        path = Path(folder) / HEAD_FILE
        if not path.is_file():
            raise CheckpointError(f"{path}: file is missing (the checkpoint reads context with a head)")
        try:
            with np.load(path, allow_pickle=False) as f:
                weight, bias = f["weight"], f["bias"]
        except Exception as exc:  # zip or key errors from numpy are obscure; name the file
            raise CheckpointError(f"{path}: cannot read the context head ({exc})") from None
        if weight.ndim != 2 or weight.shape[1] != n_labels or bias.shape != (n_labels,):
            raise CheckpointError(f"{path}: head shape {weight.shape} / {bias.shape} does not fit {n_labels} labels")
        return cls(weight, bias)
