"""Generate reports/eval.md, the PNG plots and the model card from reports/metrics.json only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from event_classifier.labels import SHIPPED

from .metrics import THRESHOLD_TOLERANCE


CORPUS_WORDING = "A corpus written sentence by sentence for this project by AI writing assistants, under the maintainers' review, of"
"""How the corpus is described everywhere (README, card); data/README.md gives the details."""


def _labels(m: dict[str, Any]) -> list[str]:
    """The evaluated checkpoint's labels (metrics.json records them), in head order."""
    return list(m["labels"])


def _definitions(m: dict[str, Any]) -> dict[str, str]:
    return m.get("label_definitions") or {}


def _f(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(c: list[float]) -> str:
    return f"[{_f(c[0])}, {_f(c[1])}]"


def plots(m: dict[str, Any], out_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test = m["splits"]["test"]
    names = []
    labels = _labels(m)
    fig, axes = plt.subplots(1, len(labels), figsize=(3.5 * len(labels), 3.6), squeeze=False)
    for ax, lab in zip(axes[0], labels):
        c = test["confusion"][lab]
        mat = [[c["tn"], c["fp"]], [c["fn"], c["tp"]]]
        ax.imshow(mat, cmap="Blues")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, str(mat[i][j]), ha="center", va="center", fontsize=12,
                        color="white" if mat[i][j] > max(map(max, mat)) / 2 else "black")
        ax.set_xticks([0, 1], ["pred no", "pred yes"])
        ax.set_yticks([0, 1], ["gold no", "gold yes"])
        ax.set_title(lab)
    fig.suptitle("Test confusion matrices per label")
    fig.tight_layout()
    fig.savefig(out_dir / "confusion.png", dpi=110)
    plt.close(fig)
    names.append("confusion.png")

    fig, ax = plt.subplots(figsize=(6, 5))
    for lab in labels:
        pr = test["pr_curves"][lab]
        line, = ax.plot(pr["recall"], pr["precision"], label=f"{lab} (AP {pr['average_precision']:.2f})")
        pl = test["per_label"][lab]
        ax.scatter([pl["recall"]], [pl["precision"]], color=line.get_color(), marker="o", s=50, edgecolor="black", zorder=3)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("Test precision-recall; dots = tuned thresholds")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(out_dir / "pr_curves.png", dpi=110)
    plt.close(fig)
    names.append("pr_curves.png")

    fig, ax = plt.subplots(figsize=(6, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    for lab in labels:
        cal = test["calibration"]["per_label"][lab]
        xs = [b["mean_score"] for b in cal["bins"]]
        ys = [b["positive_rate"] for b in cal["bins"]]
        line, = ax.plot(xs, ys, lw=0.8, alpha=0.6, label=f"{lab} (ECE {cal['ece']:.3f})")
        # most sentences sit in the two end bins; marker area shows how little the middle holds
        ax.scatter(xs, ys, s=[8 + 120 * (b["n"] / max(1, max(c["n"] for c in cal["bins"]))) ** 0.5 for b in cal["bins"]],
                   color=line.get_color(), zorder=3)
    ax.set_xlabel("mean predicted score in bin")
    ax.set_ylabel("share of gold positives in bin")
    ax.set_title("Test reliability (10 bins; marker area ~ sentences in bin)", fontsize=10)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out_dir / "reliability.png", dpi=110)
    plt.close(fig)
    names.append("reliability.png")
    return names


def summary_table(m: dict[str, Any]) -> str:
    """Model vs baselines on test, per label and averaged (used in eval.md, card and README)."""
    test = m["splits"]["test"]
    base = m["baselines"]
    cols = [("model", test)] + [(k, v) for k, v in base.items()]
    lines = ["| F1 on test (%) | " + " | ".join(n for n, _ in cols) + " |", "|---|" + "---:|" * len(cols)]
    for lab in _labels(m):
        lines.append(f"| {lab} | " + " | ".join(_f(v["per_label"][lab]["f1"]) for _, v in cols) + " |")
    for avg in ("micro_f1", "macro_f1"):
        lines.append(f"| **{avg.replace('_f1', ' F1')}** | " + " | ".join(f"**{_f(v[avg])}** {_ci(v['bootstrap'][avg])}" for _, v in cols) + " |")
    return "\n".join(lines)


def eval_md(m: dict[str, Any]) -> str:
    test, dev = m["splits"]["test"], m["splits"]["dev"]
    ck = m["checkpoint"]
    out = [
        "# Evaluation report",
        "",
        f"Generated from `reports/metrics.json` by `make evaluate`. Checkpoint `{ck['checkpoint_id']}` "
        f"(created {ck['created']}), backend `{m['default_backend']}` (what `predict()` uses). "
        f"Test: {m['data']['test']['n']} sentences, dev: {m['data']['dev']['n']}. "
        f"95% intervals: percentile bootstrap, {test['bootstrap']['n_resamples']} resamples, seed {test['bootstrap']['seed']}.",
        "",
        "## Model vs baselines (test)",
        "",
        summary_table(m),
        "",
        "Baselines are trained on the same train split; the TF-IDF model's C and thresholds are tuned on dev.",
        "",
        "## Per label (test, tuned thresholds)",
        "",
        "| label | threshold | precision | recall | F1 | F1 95% CI | support | ECE | AP |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for lab in _labels(m):
        pl = test["per_label"][lab]
        out.append(
            f"| {lab} | {m['thresholds'][lab]:.2f} | {_f(pl['precision'])} | {_f(pl['recall'])} | {_f(pl['f1'])} | "
            f"{_ci(test['bootstrap']['per_label_f1'][lab])} | {pl['support']} | {test['calibration']['per_label'][lab]['ece']:.3f} | "
            f"{test['pr_curves'][lab]['average_precision']:.3f} |"
        )
    out += [
        "",
        "## Averages",
        "",
        "| split | micro F1 | macro F1 | samples F1 | subset accuracy | hamming loss |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in (("test", test), ("dev", dev)):
        out.append(
            f"| {name} | {_f(s['micro_f1'])} {_ci(s['bootstrap']['micro_f1'])} | {_f(s['macro_f1'])} {_ci(s['bootstrap']['macro_f1'])} | "
            f"{_f(s['samples_f1'])} | {_f(s['subset_accuracy'])} | {s['hamming_loss']:.4f} |"
        )
    out += ["", "Dev is where thresholds were tuned, so its figures are optimistic.", ""]
    out += subset_table(m)
    out += ["## Backends (test)", "",
            "| backend | micro F1 | macro F1 | label sets identical to torch | max score difference |", "|---|---:|---:|---:|---:|"]
    for name, b in m["backends"].items():
        agree = b.get("label_agreement_with_torch")
        diff = b.get("max_abs_score_diff_vs_torch")
        out.append(f"| {name} | {_f(b['micro_f1'])} | {_f(b['macro_f1'])} | {'' if agree is None else f'{100 * agree:.2f}%'} | {'' if diff is None else f'{diff:.4f}'} |")
    out += faithfulness_md(m)
    out += ["", "## Plots", "", "![confusion matrices](confusion.png)", "", "![precision-recall curves](pr_curves.png)", "",
            "![reliability](reliability.png)", ""]
    for kind, title in (("false_positives", "most confident false positives"), ("false_negatives", "most confident false negatives (lowest scores)")):
        items = m["errors"][kind]
        out += [f"## {len(items)} {title} (test; {m['errors']['n_' + kind]} in all)", "", "| score | label | gold | text |", "|---:|---|---|---|"]
        for e in items:
            text = e["text"].replace("|", "\\|")
            out.append(f"| {e['score']:.3f} | {e['label']} | {', '.join(e['gold']) or '—'} | {text} |")
        out.append("")
    return "\n".join(out)


def faithfulness_md(m: dict[str, Any]) -> list[str]:
    fa = m.get("faithfulness")
    if not fa or not fa["per_label"]:
        return []
    out = ["", "## Evidence faithfulness (test)", "",
           f"`predict(..., explain=True)` evidence (word occlusion, on average {fa['evidence_words_mean']:.1f} words per label) "
           "against random content words of the same number, for every label the model predicts on a test sentence. "
           "Comprehensiveness: score drop when the words are removed (higher is better); sufficiency: score drop when "
           f"only they are kept (lower is better). Evidence counts as clearly better than random when its comprehensiveness "
           f"is at least {fa['margin']:.2f} higher and its sufficiency lower.", "",
           "| label | n | comprehensiveness | random | sufficiency | random | clearly better than random |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for lab, r in fa["per_label"].items():
        out.append(f"| {lab} | {r['n']} | {r['comp']:.3f} | {r['rand_comp']:.3f} | {r['suff']:.3f} | {r['rand_suff']:.3f} | "
                   f"{'yes' if r['beats_random'] else '**no**'} |")
    failing = [lab for lab, r in fa["per_label"].items() if not r["beats_random"]]
    out += ["", "Evidence beats random words by a clear margin for every label." if not failing else
            f"Evidence does **not** beat random words by a clear margin for: {', '.join(failing)}."]
    return out


SUBSET_NAMES = {
    "sentences": "stand-alone sentences",
    "article_sentences": "sentences inside articles",
    "needs_context": "article sentences whose labels depend on the previous sentence",
}


def subset_table(m: dict[str, Any]) -> list[str]:
    if not any(m["splits"][s].get("subsets") for s in ("test", "dev")):
        return []
    ctx = "the previous sentence given as context" if m.get("context_mode") else "no context (sentence only)"
    out = ["## By subset", "", f"The model reads each sentence with {ctx}.", "",
           "| subset | test n | test micro F1 | test macro F1 | test exact match | dev n | dev micro F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for key, name in SUBSET_NAMES.items():
        t = m["splits"]["test"].get("subsets", {}).get(key)
        d = m["splits"]["dev"].get("subsets", {}).get(key)
        if t is None:
            continue
        out.append(f"| {name} | {t['n']} | {_f(t['micro_f1'])} | {_f(t['macro_f1'])} | {_f(t['exact_match'])} | "
                   f"{d['n'] if d else ''} | {_f(d['micro_f1']) if d else ''} |")
    echo = m["splits"]["test"].get("label_echo")
    if echo:
        out += ["", f"Label echo: of the {echo['n']} test article sentences with no label that follow a sentence with one, "
                f"{_f(echo['share_with_a_label'])}% get a label anyway (a context model can copy its neighbour's labels)."]
    return out + [""]


def model_card(m: dict[str, Any], realnews: Path = Path("reports/realnews-dev.json")) -> str:
    test, dev = m["splits"]["test"], m["splits"]["dev"]
    ck = m["checkpoint"]
    cfg = ck.get("train_config") or {}
    results = [("micro_f1", "Micro F1", test["micro_f1"]), ("macro_f1", "Macro F1", test["macro_f1"])] + [
        (f"f1_{lab}", f"F1 {lab}", test["per_label"][lab]["f1"]) for lab in _labels(m)
    ]
    meta = [
        "---",
        "language: en",
        "license: apache-2.0",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "tags: [multi-label, event-detection, conflict, security, news]",
        "base_model: sentence-transformers/all-MiniLM-L6-v2",
        "model-index:",
        "- name: event-classifier",
        "  results:",
        "  - task: {type: text-classification, name: multi-label event classification}",
        "    dataset: {name: event-classifier corpus (test split), type: event-classifier-corpus, split: test}",
        "    metrics:",
    ] + [f"    - {{type: {t}, name: {n}, value: {v:.4f}}}" for t, n, v in results] + ["---", ""]
    body = [
        "# event-classifier",
        "",
        "Sentence-level, multi-label event classifier for English conflict and security news. "
        f"Fine-tuned from all-MiniLM-L6-v2 (`{cfg.get('base_model', '?')}`) with `transformers.Trainer` "
        "and a BCE multi-label head; per-label thresholds tuned on dev (a threshold leaves 0.5 only "
        f"where that gains at least {THRESHOLD_TOLERANCE:g} of dev F1)"
        + ("; a context head (one logistic regression per label over a sentence's and its predecessor's "
           "encodings), fitted on the training articles after the encoder, gives the in-article reading"
           if m.get("context_mode") == "head" else "")
        + ". *This card is generated from reports/metrics.json by `make evaluate`; do not edit it by hand.*",
        "",
        "## Labels",
        "",
    ] + [f"- `{lab}` (threshold {m['thresholds'][lab]:.2f}): {_definitions(m).get(lab, '(no definition recorded)')}."
         for lab in _labels(m)] + [
        "",
        "A sentence gets a label when it mentions an instance of the event (happened, planned, demanded, "
        "denied or negated all count); full rules in data/guidelines.md.",
        "",
        "## Results (test split)",
        "",
        summary_table(m),
        "",
        subsets_summary(m),
        "",
        f"Dev micro/macro F1 (`{m['default_backend']}`): {_f(dev['micro_f1'])} / {_f(dev['macro_f1'])} (thresholds were tuned on dev). "
        f"Mean expected calibration error on test: {test['calibration']['mean_ece']:.3f}.",
        "",
        "## Real news",
        "",
        "<!-- realnews:start -->",
        realnews_block(ck.get("checkpoint_id"), realnews),
        "<!-- realnews:end -->",
        "",
        "## Training data",
        "",
        f"{CORPUS_WORDING} English news-style sentences (train {m['data']['train']['n']}, dev {m['data']['dev']['n']}, "
        f"test {m['data']['test']['n']}), covering Syria/Iraq, the Sahel, Libya and the Mediterranean, Ukraine, "
        "the Horn of Africa, Latin America and Asia, with hard negatives (the trigger words in other senses and "
        "related events)" + articles_note(m) + ". See data/README.md.",
        "",
        "## Training",
        "",
        f"learning rate {cfg.get('learning_rate')}, batch size {cfg.get('batch_size')}, up to {cfg.get('num_epochs')} epochs with "
        f"early stopping (patience {cfg.get('patience')}) on dev micro-F1, max length {cfg.get('max_length')} tokens, seed {cfg.get('seed')}. "
        "Weights shipped in fp16 safetensors; an ONNX int8 copy serves the default torch-free path.",
        "",
        "## Intended use and limitations",
        "",
        "- For triage and search over English news about conflict, detention and displacement; a human should "
        "check any result that matters.",
        context_limits(m),
        "- The corpus was written for this project, not sampled from real wire copy; on sentences of published "
        "news articles the model scores lower (\"Real news\" above). Other languages are not supported.",
        "- Scores are not probabilities of truth; see the calibration figures in reports/eval.md.",
        "",
    ]
    return "\n".join(meta + body)


def realnews_block(checkpoint_id: str | None, path: Path) -> str:
    """The real-news figures of `make realnews`, when they were measured on this very checkpoint."""
    from .evaluate_file import readme_block

    try:
        rn = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rn = None
    if not rn or rn.get("model", {}).get("checkpoint_id") != checkpoint_id:
        return "_Not measured for this checkpoint yet: run `make realnews` (needs the private real-news dev set)._"
    return readme_block(rn, path.stem)


def articles_note(m: dict[str, Any]) -> str:
    n = sum(m["data"][s].get("articles", 0) for s in ("train", "dev", "test"))
    if not n:
        return ""
    parts = ", ".join(f"{s} {m['data'][s].get('article_sentences', 0)}" for s in ("train", "dev", "test"))
    return f"; part of it is {n} short articles whose sentences are labelled in context (sentences: {parts})"


def echo_note(m: dict[str, Any]) -> str:
    echo = m["splits"]["test"].get("label_echo")
    if not echo:
        return ""
    return (f" It also repeats its neighbour's labels on sentences that report nothing: {_f(echo['share_with_a_label'])}% of the "
            f"{echo['n']} such test sentences got a label; `predict_document(..., use_context=False)` reads sentences alone.")


def context_limits(m: dict[str, Any]) -> str:
    sub = m["splits"]["test"].get("subsets", {}).get("needs_context")
    if m.get("context_mode"):
        fig = f" (micro F1 {_f(sub['micro_f1'])} on the {sub['n']} such test sentences)" if sub else ""
        how = ("a context head that reads each sentence's encoding beside the previous sentence's"
               if m["context_mode"] == "head" else "the previous sentence given as a text pair")
        return (f"- Context mode: trained with {how}, so `predict_document` can label a "
                f"sentence whose event is only clear from the sentence before it{fig}; `predict()` on a lone sentence "
                "gets no context, and references further back than one sentence are not seen."
                + echo_note(m))
    fig = f" (micro F1 {_f(sub['micro_f1'])} on the {sub['n']} such test sentences)" if sub else ""
    return ("- Sentence-level only: a sentence whose event is only clear from its neighbours may be missed"
            f"{fig}; `predict_document` labels each sentence of an article.")


def subsets_summary(m: dict[str, Any]) -> str:
    """Test by subset with intervals, and which backend the figures come from (README and card)."""
    test = m["splits"]["test"]
    subs = test.get("subsets", {})
    lines = ["| test subset | n | micro F1 | 95% interval resamples |", "|---|---:|---|---|"]
    for key, name in SUBSET_NAMES.items():
        sub = subs.get(key)
        if sub and "bootstrap" in sub:
            unit = "articles" if sub["bootstrap"].get("unit") == "article" else "sentences"
            lines.append(f"| {name} | {sub['n']} | {_f(sub['micro_f1'])} {_ci(sub['bootstrap']['micro_f1'])} | {unit} |")
    return "\n".join(lines) + "\n\n" + backend_note(m)


def backend_note(m: dict[str, Any]) -> str:
    default = m["default_backend"]
    note = f"Model figures: `{default}`, the backend `predict()` uses by default."
    ref = m["backends"].get("torch-fp32")
    own = m["backends"].get(default, {})
    if ref is not None and default != "torch-fp32" and own.get("label_agreement_with_torch") is not None:
        note += (f" The fp32 torch checkpoint scores {_f(ref['micro_f1'])} micro F1 on test; the two give identical "
                 f"label sets on {100 * own['label_agreement_with_torch']:.2f}% of test sentences "
                 f"(largest score difference {own['max_abs_score_diff_vs_torch']:.3f}).")
    note += (" Dev figures in training logs are torch fp32 and on dev, where thresholds were tuned, so they "
             "differ from these.")
    return note


def labels_table(m: dict[str, Any] | None = None) -> str:
    """Name and one-line definition per label: of the evaluated checkpoint, or the shipped one."""
    names, defs = (_labels(m), _definitions(m)) if m else (list(SHIPPED.names), dict(SHIPPED.definitions))
    rows = [f"| `{lab}` | {defs.get(lab, '')} |" for lab in names]
    return "\n".join(["| label | one-line definition |", "|---|---|", *rows])


def replace_marked(text: str, name: str, content: str) -> str:
    """Replace the block between <!-- name:start --> and <!-- name:end --> (unchanged when absent)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{content.strip()}\n{end}"
    return re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)


def replace_block(path: Path, name: str, content: str) -> None:
    """replace_marked on a Markdown file; a missing file or block is left alone."""
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        new = replace_marked(text, name, content)
        if new != text:
            path.write_text(new, encoding="utf-8")


def update_readme(m: dict[str, Any], readme: Path) -> None:
    if not readme.is_file():
        return
    text = readme.read_text(encoding="utf-8")
    text = replace_marked(text, "metrics", f"{summary_table(m)}\n\n{subsets_summary(m)}\n\n_Generated by `make evaluate` from reports/metrics.json._")
    text = replace_marked(text, "labels", labels_table(m))
    fa = faithfulness_md(m)
    if fa:
        text = replace_marked(text, "evidence", "\n".join(fa[4:]) + "\n\n_Generated by `make evaluate` from reports/metrics.json (test split)._")
    readme.write_text(text, encoding="utf-8")


def write_all(metrics_path: Path, reports_dir: Path, card_path: Path, readme: Path | None = Path("README.md")) -> None:
    m = json.loads(Path(metrics_path).read_text(encoding="utf-8"))
    reports_dir.mkdir(parents=True, exist_ok=True)
    plots(m, reports_dir)
    (reports_dir / "eval.md").write_text(eval_md(m), encoding="utf-8")
    if card_path.parent.is_dir():
        card_path.write_text(model_card(m, reports_dir / "realnews-dev.json"), encoding="utf-8")
    if readme is not None:
        update_readme(m, readme)
