#!/bin/sh
# Entrypoint of swarmdeck-base/redis, behaving like the official redis image's
# docker-entrypoint.sh: options alone run redis-server; as root it fixes the ownership of
# the data directory and drops to the redis user (setpriv instead of gosu); without a
# config file that sets protected-mode it passes --protected-mode no, so other containers
# can connect.
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$(umask)" = '0022' ]; then
	umask 0077
fi

if [ "$1" = 'redis-server' ]; then
	configFile=
	if [ -f "$2" ]; then
		configFile="$2"
		if grep -q '^protected-mode' "$configFile"; then
			exec "$@"
		fi
	fi
	shift
	if [ -n "$configFile" ]; then
		shift
		set -- "$configFile" --protected-mode no "$@"
	else
		set -- --protected-mode no "$@"
	fi
	set -- redis-server "$@"
fi

exec "$@"
