#!/usr/bin/env bash
# Copies the console's front-end packages (pinned in package.json / package-lock.json and
# installed by `npm ci`) into the package's static folder. The copies are build output:
# ignored by git (src/swarmdeck/console/static/vendor/.gitignore), never committed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/swarmdeck/console/static/vendor
for needed in node_modules/htmx.org/dist/htmx.min.js node_modules/modern-normalize/modern-normalize.css \
  node_modules/@xterm/xterm/lib/xterm.js \
  node_modules/@xterm/xterm/css/xterm.css node_modules/@xterm/addon-fit/lib/addon-fit.js \
  node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css; do
  if [ ! -f "$needed" ]; then
    echo "build-static: $needed is missing: run \`npm ci\` first" >&2
    exit 1
  fi
done
mkdir -p "$VENDOR"
install -m 0644 node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
install -m 0644 node_modules/modern-normalize/modern-normalize.css "$VENDOR/modern-normalize.css"
# The exec console's terminal (xterm.js and its fit addon: UMD builds, loaded as plain scripts).
install -m 0644 node_modules/@xterm/xterm/lib/xterm.js "$VENDOR/xterm.js"
install -m 0644 node_modules/@xterm/xterm/css/xterm.css "$VENDOR/xterm.css"
install -m 0644 node_modules/@xterm/addon-fit/lib/addon-fit.js "$VENDOR/addon-fit.js"
# The live stats charts.
install -m 0644 node_modules/uplot/dist/uPlot.iife.min.js "$VENDOR/uPlot.iife.min.js"
install -m 0644 node_modules/uplot/dist/uPlot.min.css "$VENDOR/uPlot.min.css"
echo "build-static: htmx $(node -p 'require("./node_modules/htmx.org/package.json").version'), xterm $(node -p 'require("./node_modules/@xterm/xterm/package.json").version'), uplot $(node -p 'require("./node_modules/uplot/package.json").version'), modern-normalize $(node -p 'require("./node_modules/modern-normalize/package.json").version') -> $VENDOR"
