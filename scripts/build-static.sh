#!/usr/bin/env bash
# Copies the console's front-end packages (pinned in package.json / package-lock.json and
# installed by `npm ci`) into the package's static folder. The copies are build output:
# ignored by git (src/swarmdeck/console/static/vendor/.gitignore), never committed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/swarmdeck/console/static/vendor
for needed in node_modules/htmx.org/dist/htmx.min.js node_modules/modern-normalize/modern-normalize.css; do
  if [ ! -f "$needed" ]; then
    echo "build-static: $needed is missing: run \`npm ci\` first" >&2
    exit 1
  fi
done
mkdir -p "$VENDOR"
install -m 0644 node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx.min.js"
install -m 0644 node_modules/modern-normalize/modern-normalize.css "$VENDOR/modern-normalize.css"
for pkg in htmx.org modern-normalize; do
  echo "build-static: $pkg $(node -p "require('./node_modules/$pkg/package.json').version") -> $VENDOR"
done
