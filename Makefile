# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10: take the first python3.10 that really runs.
PYTHON310 := $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MODEL_STAMP := models/.trained
# Everything the trained model depends on.
MODEL_INPUTS := config.yml domain.yml $(shell find nlu_data catalogue bot/nlu bot/matching -type f -not -name '*.pyc' 2>/dev/null) bot/text.py
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install browser voice-tools train run shell test lint test-python test-data test-stories eval bench lock clean

help:
	@echo "make run     instala, entrena si hace falta e inicia el asistente (REST en :5005)"
	@echo "make shell   conversa con el asistente en la terminal"
	@echo "make test    todas las pruebas (ruff, mypy, pytest, validación de datos, conversaciones)"
	@echo "make train   entrena el modelo si los datos cambiaron"
	@echo "make eval    intención y trámite en los conjuntos reservados y escenarios de varias vueltas (eval/)"
	@echo "make bench   benchmark de rendimiento"

$(INSTALLED): requirements.txt constraints.txt
	@test -n "$(PYTHON310)" || { echo "Se necesita Python 3.10 (python3.10) para Rasa 3.6."; exit 1; }
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip check
	@touch $@

install: $(INSTALLED)

$(MODEL_STAMP): $(INSTALLED) $(MODEL_INPUTS)
	@mkdir -p models
	$(PY) -m bot catalogue validate
	$(PY) -m rasa train --data nlu_data --config config.yml --domain domain.yml \
		--out models --fixed-model-name asistente
	@touch $@

train: $(MODEL_STAMP)

run: $(MODEL_STAMP)
	$(PY) -m bot run

shell: $(MODEL_STAMP)
	$(PY) -m bot shell

test: lint $(MODEL_STAMP) browser voice-tools test-data test-python test-stories

# Browser tests drive Debian's Chromium with Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Instalando Chromium de Debian para las pruebas de navegador…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Voice note tests, `make eval` and `make bench` speak Spanish offline with Debian's espeak-ng.
voice-tools:
	@command -v espeak-ng >/dev/null 2>&1 || { \
		echo "Instalando espeak-ng de Debian para las pruebas de notas de voz…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null; }

# Lint, format and types: configuration in pyproject.toml.
lint: $(INSTALLED)
	$(PY) -m ruff check bot actions channels tests
	$(PY) -m ruff format --check bot actions channels tests
	$(PY) -m mypy

test-data: $(INSTALLED)
	$(PY) -m bot catalogue validate
	$(PY) -m rasa data validate --data nlu_data --domain domain.yml --config config.yml --fail-on-warnings

# pytest on 2 workers (pytest-xdist); --dist loadfile keeps each test file in one worker, with its
# module fixtures (a whole assistant, the stand-ins). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
test-python: $(MODEL_STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

test-stories: $(MODEL_STAMP)
	$(PY) -m rasa test core --stories tests/conversations --model models/asistente.tar.gz \
		--endpoints endpoints.yml --fail-on-prediction-errors --out results/stories --no-plot

eval: $(MODEL_STAMP) voice-tools
	$(PY) -m bot eval

bench: $(MODEL_STAMP) voice-tools
	$(PY) -m bot bench

lock: $(INSTALLED)
	( echo "# Exact versions of every package, tested together (pip check clean). Regenerate with: make lock"; \
	  $(PY) -m pip freeze --exclude-editable ) > constraints.txt

clean:
	rm -rf models results var .pytest_cache
