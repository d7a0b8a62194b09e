#!/usr/bin/env bash
# Copies the console's front-end packages (pinned in package.json / package-lock.json and
# installed by `npm ci`) into the package's static folder. The copies are build output:
# ignored by git (src/swarmdeck/console/static/vendor/.gitignore), never committed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/swarmdeck/console/static/vendor
for f in node_modules/htmx.org/dist/htmx.min.js node_modules/uplot/dist/uPlot.iife.min.js; do
  if [ ! -f "$f" ]; then
    echo "build-static: $f is missing: run \`npm ci\` first" >&2
    exit 1
  fi
done
mkdir -p "$VENDOR"
install -m 0644 node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
install -m 0644 node_modules/uplot/dist/uPlot.iife.min.js "$VENDOR/uPlot.iife.min.js"
install -m 0644 node_modules/uplot/dist/uPlot.min.css "$VENDOR/uPlot.min.css"
echo "build-static: uplot $(node -p 'require("./node_modules/uplot/package.json").version') -> $VENDOR"
echo "build-static: htmx $(node -p 'require("./node_modules/htmx.org/package.json").version') -> $VENDOR"
