#!/usr/bin/env bash
# Installs everything Teamflow needs on a fresh machine, from the project's own files. Idempotent.
#   - Debian packages: chromium + chromium-driver (browser tests), kcat (Kafka client tests),
#     python3-venv where the interpreter cannot make a virtual environment without it
#   - a virtual environment inside the checkout (.venv, PEP 668: never the system interpreter)
#     holding this project, editable, with its test extras (pyproject.toml)
#   - Apache Kafka broker jars from Maven Central (infra/kafka/pom.xml), cached under infra/kafka/lib
# TEAMFLOW_PYTHON picks the interpreter that makes the environment (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${TEAMFLOW_PYTHON:-python3}

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
if [ ! -x .venv/bin/python ] && ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "[setup] missing ${need_apt[*]} and not root: install them with your package manager (browser/kcat tests skip without them)"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "[setup] making the virtual environment .venv ($("$python" --version))"
  "$python" -m venv .venv
fi
echo "[setup] installing Python packages into .venv (pyproject.toml)"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

echo "[setup] fetching the Kafka broker jars (cached after the first run)"
bash infra/kafka/broker.sh fetch
echo "[setup] done: run commands with .venv/bin/python (or 'source .venv/bin/activate')"
