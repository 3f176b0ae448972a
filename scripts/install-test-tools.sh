#!/usr/bin/env bash
# Install the non-Python tools the test suite drives, into folders the tests know.
#
# Idempotent: a tool already installed is left alone, so CI may run this on every build. Tests
# that need a tool skip with a clear reason when it is missing, so a failed install here never
# fails the build by itself.
#
#   comunica-sparql (npm @comunica/query-sparql v4; runs on Node >= 18) -> .venv/test-tools/node
#   Chromium (Debian's package, /usr/bin/chromium) + Playwright for Python, for the browser test
#
# Usage: scripts/install-test-tools.sh [PREFIX]   (default PREFIX: <repo>/.venv/test-tools, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX="${1:-$PWD/.venv/test-tools}"
COMUNICA_VERSION="4"
PYTHON="${PYTHON:-$PWD/.venv/bin/python}"

say() { echo "install-test-tools: $*" >&2; }

install_comunica() {
    if ! command -v npm >/dev/null 2>&1; then
        say "npm not found; the comunica-sparql client test will be skipped"
        return
    fi
    local node_dir="$PREFIX/node"
    local bin="$node_dir/node_modules/.bin/comunica-sparql"
    if [ -x "$bin" ] && node -e "process.exit(require('$node_dir/node_modules/@comunica/query-sparql/package.json').version.startsWith('$COMUNICA_VERSION.') ? 0 : 1)"; then
        say "comunica-sparql already installed in $node_dir"
        return
    fi
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error \
        "@comunica/query-sparql@^$COMUNICA_VERSION"
    say "comunica-sparql installed in $node_dir"
}

# Playwright drives the system browser (executable_path=/usr/bin/chromium); no browser is ever
# downloaded (`playwright install` is never run). Without either, the browser test skips.
install_browser() {
    if [ ! -x /usr/bin/chromium ]; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
        else
            say "/usr/bin/chromium is missing; as root: apt-get install -y chromium"
        fi
    fi
    if [ -x "$PYTHON" ] && ! "$PYTHON" -c "import playwright" 2>/dev/null; then
        "$PYTHON" -m pip install --quiet "playwright>=1.40"
    fi
}

install_comunica || say "comunica-sparql could not be installed; its test will be skipped"
install_browser || say "the browser could not be installed; the browser test will be skipped"
