# Short entry points for everyday work. Each target does what the README's commands do, in the
# same virtual environment (.venv), so `make build` and `make test` are those two commands.
#   make build          install (pinned by constraints.txt) and run the build
#   make test           all tests, fast and slow, with the archived texts in $(SOURCES)
#   make test-fast      the everyday run: everything but the slow end-to-end tests
#   make test-slow      only the slow end-to-end tests (fresh venv, browser, full builds)
#   make lint / format  ruff check and format check / ruff format and fix
#   make release-manifest   keep this release's manifest: dist/manifest.json -> releases/<version>.json
#   make clean          remove build outputs (dist/, the package's _data/, caches); keeps .venv

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Where the archived source texts are (checked against every excerpt): ../shared/sources when it
# exists; empty (the check is skipped, and the tests say so) when it does not.
SOURCES ?= $(wildcard $(abspath $(CURDIR)/../shared/sources))
VERSION = $(shell $(PYTHON) -c "import runpy; print(runpy.run_path('src/ca_militancy/__about__.py')['__version__'])")
LINT_PATHS = .

.PHONY: build test test-fast test-slow lint format release-manifest clean

# Re-install when the dependencies change; the stamp file records the last install.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -c constraints.txt -e ".[build,test]"
	touch $@

build: $(VENV)/.installed
	$(PY) scripts/build.py

test: $(VENV)/.installed
	CA_MILITANCY_SOURCES="$(SOURCES)" $(PY) -m pytest

test-fast: $(VENV)/.installed
	CA_MILITANCY_SOURCES="$(SOURCES)" $(PY) -m pytest -m "not slow"

test-slow: $(VENV)/.installed
	CA_MILITANCY_SOURCES="$(SOURCES)" $(PY) -m pytest -m slow

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: $(VENV)/.installed
	$(VENV)/bin/ruff format $(LINT_PATHS)
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)

# Copies the built manifest into releases/ (kept for ever: the ids test reads every one of them).
# Refuses when dist/ holds another version or when this version's manifest is already kept.
release-manifest:
	@test -f dist/manifest.json || { echo "dist/manifest.json is missing: run 'make build' first" >&2; exit 1; }
	@built=$$($(PYTHON) -c "import json; print(json.load(open('dist/manifest.json'))['version'])"); \
	  test "$$built" = "$(VERSION)" || { echo "dist/ holds version $$built, __about__.py says $(VERSION): rebuild" >&2; exit 1; }
	@test ! -e releases/$(VERSION).json || { echo "releases/$(VERSION).json exists: a released manifest is never replaced" >&2; exit 1; }
	cp dist/manifest.json releases/$(VERSION).json
	@echo "now: git add releases/$(VERSION).json && git commit && git tag v$(VERSION)"

clean:
	rm -rf dist build src/ca_militancy/_data .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
