# kalshi-edge: the two commands are `make demo` and `make test`. Both create or reuse .venv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
# pytest workers: 2 cores on the reference machine; override with `make test JOBS=4`.
JOBS   ?= 2

export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export GX_ANALYTICS_ENABLED := False

.PHONY: help install test demo lint airflow bench clean
.PHONY: sdk-venv
.PHONY: backfill
.PHONY: airflow-celery airflow-celery-stop test-distributed

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || \
		{ echo "error: Python 3.11 is required (tried '$(PYTHON)'; set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the pins or the package metadata change.
$(STAMP): $(PY) requirements.txt requirements-dev.txt pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## create/update .venv with everything installed

# Kalshi's official SDK at today's spec, in its own venv (tests/kalshi/test_sdk_334_shapes.py drives it
# against the simulator). It declares Python >= 3.13 but runs on 3.11: download for 3.13, install ignoring that.
SDK_VERSION := 3.34.0
SDK_VENV    := .venv-sdk
SDK_STAMP   := $(SDK_VENV)/.installed-$(SDK_VERSION)

$(SDK_STAMP): requirements-sdk.txt
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet -r requirements-sdk.txt
	rm -rf $(SDK_VENV)/wheels
	$(SDK_VENV)/bin/python -m pip download --quiet --no-deps --python-version 3.13 --only-binary=:all: \
		-d $(SDK_VENV)/wheels kalshi-python-sync==$(SDK_VERSION)
	$(SDK_VENV)/bin/python -m pip install --quiet --no-deps --ignore-requires-python $(SDK_VENV)/wheels/*.whl
	@touch $(SDK_STAMP)

sdk-venv: $(SDK_STAMP) ## the official Kalshi SDK $(SDK_VERSION) in .venv-sdk (for its shape test)

test: $(STAMP) $(SDK_STAMP) ## run the whole test suite
	$(PY) -m pytest -n $(JOBS) --dist loadfile -q

demo: $(STAMP) ## run the main job end to end, offline, on data/sample and the local simulator
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) -m kalshi_edge.demos

lint: $(STAMP) ## ruff (with the Airflow AIR rules)
	$(BIN)/ruff check include dags plugins tests tests_browser tests_distributed benchmarks

airflow: $(STAMP) ## Airflow 3 standalone on http://127.0.0.1:8080 (SQLite under .airflow/)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/airflow_standalone.sh

backfill: $(STAMP) ## queue an Airflow backfill: make backfill DAG=btc_bars_backfill FROM=2026-01-20 TO=2026-03-06
	@test -n "$(DAG)" -a -n "$(FROM)" -a -n "$(TO)" || { echo "error: give DAG=<dag_id> FROM=YYYY-MM-DD TO=YYYY-MM-DD"; exit 2; }
	$(BIN)/kalshi-edge airflow backfill create --dag-id "$(DAG)" --from-date "$(FROM)" --to-date "$(TO)"

.PHONY: test-browser
# Root installs directly; anyone else through sudo (Debian's packages, never a downloaded browser).
APT_SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

test-browser: $(STAMP) ## headless Chromium logs into Airflow and checks the dashboard (not part of make test)
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing Debian's chromium + chromium-driver"; \
		$(APT_SUDO) apt-get update -qq && $(APT_SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi
	$(PY) -m pytest tests_browser -q

# CeleryExecutor stack on loopback (PostgreSQL + Redis from apt, api-server, scheduler,
# dag-processor, triggerer, 2 Celery workers); config from airflow.env, shared with docker-compose.yaml.
airflow-celery: $(STAMP) ## the CeleryExecutor stack on 127.0.0.1 (Postgres, Redis, 2 workers; state in .airflow-celery/)
	bash scripts/airflow_celery.sh start

airflow-celery-stop: ## stop exactly what `make airflow-celery` started
	bash scripts/airflow_celery.sh stop

# Separate suite (not part of `make test`): starts its own stack under .airflow-celery-test/ and
# always stops it, pass or fail.
test-distributed: $(STAMP) ## integration tests on a real CeleryExecutor stack (~10 min)
	AIRFLOW_CELERY_DIR=$(CURDIR)/.airflow-celery-test $(PY) -m pytest tests_distributed -p no:cacheprovider -q -x --durations=0; \
		rc=$$?; AIRFLOW_CELERY_DIR=$(CURDIR)/.airflow-celery-test bash scripts/airflow_celery.sh stop >/dev/null 2>&1 || true; exit $$rc

bench: $(STAMP) ## run every benchmark, write data/bench/results.json
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) -m benchmarks.run

clean: ## remove the venv, the local Airflow home and generated data (keeps data/sample)
	rm -rf $(VENV) $(SDK_VENV) .airflow data/lake data/quarantine data/reports data/bench data/warehouse.duckdb*
