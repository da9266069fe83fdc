# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 8000
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test test-browser install install-dev translations migrate demo lint clean bench bench-quick wrk

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(COMPILED)

migrate: install translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) seed-demo --if-empty

run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)"
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:app

test: install-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-browser: install-dev translations
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

# The benchmark (bench/run.py): gunicorn under wrk on SQLite, and on PostgreSQL when DATABASE_URL names one.
# BENCH_ARGS passes options, e.g. `make bench BENCH_ARGS="--responses 200000"`.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

wrk:
	@command -v wrk >/dev/null 2>&1 || { echo "wrk not found: installing Debian's wrk."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk </dev/null; }

bench: install translations wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: install translations wrk
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) translations/*/LC_MESSAGES/*.mo
