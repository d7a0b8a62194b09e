#!/bin/sh
# Entrypoint of swarmdeck-base/haproxy, behaving like the official haproxy image's
# docker-entrypoint.sh: options alone run haproxy, and haproxy always runs in master-worker
# mode (-W) in the foreground (-db).
set -e

if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi

if [ "$1" = 'haproxy' ]; then
	shift
	set -- haproxy -W -db "$@"
fi

exec "$@"
