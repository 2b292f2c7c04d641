# Regie — two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export REGIE_DATABASE_URL ?= sqlite:///instance/regie.db
HOST ?= 127.0.0.1           # make run HOST=0.0.0.0 PORT=8080
PORT ?= 5000

.PHONY: install assets run test lint bench mutate clean

install: $(VENV)/.installed assets

# The bpmn-js viewer for the case page, from the npm registry, copied into web/static/vendor (git-ignored).
VENDOR := web/static/vendor/bpmn-js
assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json web/assets/modeler-entry.js
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --omit-lockfile-registry-resolved --loglevel=error \
	  && mkdir -p $(VENDOR) \
	  && cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/ \
	  && cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js $(VENDOR)/ \
	  && mkdir -p web/static/vendor/camunda-bpmn-moddle \
	  && cp node_modules/camunda-bpmn-moddle/resources/camunda.json web/static/vendor/camunda-bpmn-moddle/ \
	  && mkdir -p web/static/vendor/dmn-js \
	  && cp node_modules/dmn-js/dist/dmn-modeler.production.min.js web/static/vendor/dmn-js/ \
	  && cp -r node_modules/dmn-js/dist/assets/. web/static/vendor/dmn-js/ \
	  && mkdir -p web/static/vendor/regie-modeler \
	  && { node_modules/.bin/esbuild web/assets/modeler-entry.js --bundle --minify --format=iife --log-level=warning \
	         --outfile=web/static/vendor/regie-modeler/modeler.js \
	       && cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css web/static/vendor/regie-modeler/ \
	       || echo "esbuild failed: the modeler runs without the full Camunda properties panel"; } \
	  && cp -r node_modules/bpmn-js/dist/assets/. $(VENDOR)/ \
	  && touch $@; \
	else echo "npm not found: the case page names the current step in words instead of a diagram"; fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(BIN)/regie init-db
	$(BIN)/regie deploy
	REGIE_DEMO=1 $(BIN)/regie users demo
	REGIE_DEMO=1 $(BIN)/regie demo
	REGIE_DEMO=1 $(BIN)/regie serve --host $(HOST) --port $(PORT)

test: lint
	$(BIN)/pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check engine web tests bench migrations
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/bench_complete.py
	$(BIN)/python bench/bench_http.py

# Mutation testing of the chain and input-limit guards (README, "Tests that can fail"); minutes, not part of make test.
mutate: install
	$(BIN)/python -m pip install --quiet "mutmut>=3.3,<4"
	$(BIN)/mutmut run --max-children 2; $(BIN)/mutmut results

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules web/static/vendor
