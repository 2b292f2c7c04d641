# Regie — two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export REGIE_DATABASE_URL ?= sqlite:///instance/regie.db

.PHONY: install run test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(BIN)/regie init-db
	$(BIN)/regie deploy
	REGIE_DEMO=1 $(BIN)/regie users demo
	REGIE_DEMO=1 $(BIN)/regie serve

test: install
	$(BIN)/pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check engine web tests bench

bench: install
	$(BIN)/python bench/bench_complete.py

clean:
	rm -rf $(VENV) instance .pytest_cache
