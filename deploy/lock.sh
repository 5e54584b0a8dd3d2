#!/usr/bin/env bash
# Remakes the lock files from pyproject.toml's pins (`make lock`): every transitive dependency at one version,
# each with the hashes of its files on PyPI, so that the image and CI install exactly what was tested.
#   requirements.lock       what the service runs with (the image installs it)
#   requirements-test.lock  the same plus the test extras (`make setup`, and so CI, installs it)
# pip-tools runs from a throwaway venv of its own, never from the project's.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
# pip-compile resolves for the Python it runs on: the one pyproject.toml's requires-python names.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "lock: $PYTHON is not Python 3.11 (pyproject's requires-python); run make lock PYTHON=python3.11" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
TOOLS="${LOCK_TOOLS_VENV:-$work/pip-tools}"
if [ ! -x "$TOOLS/bin/pip-compile" ]; then
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet pip-tools==7.6.2
fi
compile() {  # compile OUTPUT [pip-compile options...]
  local output="$1"; shift
  CUSTOM_COMPILE_COMMAND="make lock" "$TOOLS/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
    --strip-extras --no-emit-index-url --no-emit-find-links --output-file "$output" "$@" pyproject.toml
}
# The test lock first; the runtime lock is then held to its versions, so both agree on every shared package.
compile requirements-test.lock --extra test
sed -n -E 's/^([A-Za-z0-9._-]+==[^ ]+).*/\1/p' requirements-test.lock > "$work/test-pins.txt"
compile requirements.lock --constraint "$work/test-pins.txt"
# The constraint file was a temporary one; its name in the "via" notes would change at every run.
sed -i '/#   -c .*test-pins\.txt$/d' requirements.lock
