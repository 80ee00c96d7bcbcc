"""Turning a sentence (and, in context mode, the sentence before it) into token ids.

Training and inference both call `Encoder.encode`, so a context-trained checkpoint sees the same
ids at run time as it saw in training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .artifacts import CheckpointError

Encoded = tuple[list[int], list[int], bool]
"""(input ids, token type ids, whether the sentence itself was truncated)."""


class Encoder:
    """Wraps a `tokenizers.Tokenizer`; pads nothing and truncates to ``max_length``.

    With a context the input is the pair ``[CLS] context [SEP] sentence [SEP]``. The context is
    what gets cut when the pair is too long; a sentence that fills the window on its own is kept
    whole and its context dropped, so ``truncated`` always speaks about the sentence.
    """

    def __init__(self, tokenizer: Any, max_length: int, context_tokens: int | None = None) -> None:
        from tokenizers import Tokenizer

        if context_tokens is not None and context_tokens < 1:
            raise ValueError(f"context_tokens must be >= 1 or None, got {context_tokens}")
        self.max_length = max_length
        self.context_tokens = context_tokens
        self._single = Tokenizer.from_str(tokenizer.to_str())
        self._single.no_padding()
        self._single.enable_truncation(max_length=max_length)
        self._pair = Tokenizer.from_str(tokenizer.to_str())
        self._pair.no_padding()
        self._pair.enable_truncation(max_length=max_length, strategy="only_first")
        self.pad_id = self._single.token_to_id("[PAD]") or 0

    @classmethod
    def from_file(cls, path: str | Path, max_length: int, context_tokens: int | None = None) -> Encoder:
        from tokenizers import Tokenizer

        try:
            tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # the Rust error text is cryptic; name the file
            raise CheckpointError(f"{path}: cannot load tokenizer ({exc})") from None
        return cls(tok, max_length, context_tokens)

    def encode(self, texts: list[str], contexts: list[str | None] | None = None) -> list[Encoded]:
        singles = self._single.encode_batch(texts)
        out: list[Encoded] = [(e.ids, e.type_ids, bool(e.overflowing)) for e in singles]
        if contexts is None:
            return out
        # a pair needs one more [SEP] and at least one context token
        idx = [i for i, c in enumerate(contexts) if c and c.strip() and len(singles[i].ids) <= self.max_length - 2]
        ctx = self._cut([contexts[i] for i in idx])  # type: ignore[misc]
        pairs = self._pair.encode_batch([(c, texts[i]) for c, i in zip(ctx, idx)])
        for i, e in zip(idx, pairs):
            out[i] = (e.ids, e.type_ids, False)
        return out

    def _cut(self, contexts: list[str]) -> list[str]:
        """Each context cut to its first ``context_tokens`` tokens (at a token boundary).

        Why: a pair costs the sentence's tokens plus the context's, so a shorter context speeds up
        document mode. Trained at 16 tokens it cost accuracy on real news (issue 10, E7), so the
        shipped model reads whole contexts (``context_tokens`` unset).
        """
        n = self.context_tokens
        if n is None:
            return contexts
        out = []
        for c, e in zip(contexts, self._single.encode_batch(contexts)):
            spans = [o for o, special in zip(e.offsets, e.special_tokens_mask) if not special]
            out.append(c[: spans[n - 1][1]] if len(spans) > n else c)
        return out
