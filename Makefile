# Pipeline stages for event-classifier. `make help` lists them.
# Every target creates .venv and installs what it needs (torch first: a bare `torch`
# requirement would otherwise pull several GB of CUDA packages).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= configs/train.yaml
RESUME ?=
TORCH_VERSION ?= 2.13.0

.PHONY: help install data-check train evaluate export bench ablation test test-fast clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: CONFIG=$(CONFIG)  RESUME=1 (continue an interrupted make train)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==$(TORCH_VERSION)
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with training and test extras

data-check: $(STAMP) ## validate data/*.jsonl and print corpus statistics
	$(PY) -m event_classifier.train.datacheck --data-dir data --update-datasheet
	$(PY) -m event_classifier.train.agreement --data-dir data

train: $(STAMP) ## fine-tune on data/ (CONFIG=..., RESUME=1), write model/checkpoint, export ONNX
	$(PY) -m event_classifier.cli train --config $(CONFIG) $(if $(RESUME),--resume,)
	@if [ "$(CONFIG)" = "configs/train.yaml" ]; then $(MAKE) --no-print-directory export; fi

export: $(STAMP) ## write model/onnx (ONNX fp32 + int8) from model/checkpoint
	$(PY) -m event_classifier.train.export --checkpoint model/checkpoint

evaluate: $(STAMP) ## metrics.json, eval.md, plots, model card; fails below configs/gate.yaml
	$(PY) -m event_classifier.train.evaluate --checkpoint model/checkpoint --reports reports --gate configs/gate.yaml

bench: $(STAMP) ## throughput / latency / cold start / memory; writes reports/bench.{md,json}
	$(PY) -m event_classifier.train.bench

ablation: $(STAMP) ## train configs/ablation.yaml (context off/on) and compare it with the shipped model on dev
	$(PY) -m event_classifier.cli train --config configs/ablation.yaml
	$(PY) -m event_classifier.train.compare shipped=model/checkpoint ablation=.runs/ablation/checkpoint --reports reports --readme README.md

test: $(STAMP) ## run all tests, slow ones included (as CI does)
	$(PY) -m pytest -q

test-fast: $(STAMP) ## tests without the slow ones
	$(PY) -m pytest -q -m "not slow"

clean: ## remove Trainer runs, caches and build output (keeps .venv and the checkpoint)
	rm -rf .runs build dist *.egg-info .pytest_cache .hypothesis
