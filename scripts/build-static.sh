#!/usr/bin/env bash
# Copies the console's front-end packages (pinned in package.json / package-lock.json and
# installed by `npm ci`) into the package's static folder. The copies are build output:
# ignored by git (src/swarmdeck/console/static/vendor/.gitignore), never committed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/swarmdeck/console/static/vendor
if [ ! -f node_modules/htmx.org/dist/htmx.min.js ]; then
  echo "build-static: node_modules/htmx.org is missing: run \`npm ci\` first" >&2
  exit 1
fi
mkdir -p "$VENDOR"
install -m 0644 node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
echo "build-static: htmx $(node -p 'require("./node_modules/htmx.org/package.json").version') -> $VENDOR"
