# Handoff: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
export HANDOFF_DEBUG ?= 1
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PYTEST_ARGS ?=

.PHONY: run test check bench install install-browser fmt clean screenshots

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; fi

install-browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

run: install
	mkdir -p var
	$(UV) run handoff serve --demo

test: install install-browser
	mkdir -p var
	HANDOFF_TESTING=1 $(UV) run pytest $(PYTEST_ARGS)

# the README's pictures (docs/screenshots/): the browser tests, each page photographed as it is tested
screenshots: install install-browser
	mkdir -p var
	HANDOFF_TESTING=1 HANDOFF_DOC_SCREENSHOTS=1 $(UV) run pytest -q -p no:randomly -m browser tests/web

check: install
	$(UV) run ruff check src tests bench
	$(UV) run mypy

# bench/api_urls.py is a URL module bench/api.py loads, not a benchmark
BENCHES = $(filter-out bench/api_urls.py,$(wildcard bench/*.py))

bench: install
	for b in $(BENCHES); do echo "== $$b"; $(UV) run python $$b || exit 1; done

fmt:
	$(UV) run ruff check --fix src tests bench
	$(UV) run ruff format src tests bench

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
