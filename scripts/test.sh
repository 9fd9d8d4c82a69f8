#!/usr/bin/env bash
# Set everything up (idempotent), run the static checks and the whole test suite:
# unit tests, then integration tests against a real etcd, API server and kubectl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
# The static checks first (ruff and mypy, configured in pyproject.toml): a finding fails the run.
bash scripts/lint.sh
# The lab images are built before pytest collects: the e2e lab tests skip themselves
# when the images are absent, and on a fresh machine nothing else would build them first.
.venv/bin/minikube-py images build >/dev/null
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$code"
