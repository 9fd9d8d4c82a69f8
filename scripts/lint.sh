#!/usr/bin/env bash
# The static checks, configured in pyproject.toml: ruff (pyflakes, pycodestyle, isort,
# bugbear, pyupgrade) and mypy (strict for minikube_py/api and minikube_py/client,
# normal checking elsewhere). Both run even when the first fails; the exit code is
# non-zero if either found something. Needs the test extra: scripts/setup.sh installs it.
#   scripts/lint.sh            check the whole tree
#   scripts/lint.sh PATH...    ruff and mypy on those files or directories only
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
for tool in ruff mypy; do
  if [ ! -x ".venv/bin/$tool" ]; then
    echo "lint: .venv/bin/$tool is missing: run scripts/setup.sh" >&2
    exit 2
  fi
done
status=0
echo "== ruff"
.venv/bin/ruff check "${@:-.}" || status=1
echo "== mypy"
.venv/bin/mypy "$@" || status=1
exit "$status"
