#!/usr/bin/env bash
# Installs everything Teamflow needs on a fresh machine, from the project's own files. Idempotent.
#   - Debian packages: chromium + chromium-driver (browser tests), kcat (Kafka client tests)
#   - Python packages: this project and its test extras (pyproject.toml), editable
#   - Apache Kafka broker jars from Maven Central (infra/kafka/pom.xml), cached under infra/kafka/lib
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
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

echo "[setup] installing Python packages (pyproject.toml)"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

echo "[setup] fetching the Kafka broker jars (cached after the first run)"
bash infra/kafka/broker.sh fetch
echo "[setup] done"
