#!/bin/sh
# Entrypoint of swarmdeck-base/registry, behaving like the official registry:2 image's
# /entrypoint.sh: a config file argument means "serve it"; registry subcommands and options
# go to the registry program (Debian's docker-registry, also reachable as "registry").
set -e

case "$1" in
	*.yaml|*.yml) set -- registry serve "$@" ;;
	serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac

exec "$@"
