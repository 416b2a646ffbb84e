#!/usr/bin/env bash
# The project's test command (README "Run the tests"; CI runs exactly this via .ci/run).
# Installs everything from the project's own files, then lints and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python -m ruff check .
python -m ruff format --check .
# Everything, slow and e2e tests included (the fast inner loop is
# `python -m pytest -m "not e2e and not slow"`; markers in pyproject.toml and tests/conftest.py).
python -m pytest -q
