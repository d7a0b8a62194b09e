#!/usr/bin/env bash
# Sets up swarmdeck on Debian 12 (as root): the Debian packages it drives (Docker Engine, the
# registry, Redis, debootstrap, qemu, wrk …), a virtualenv in .venv with swarmdeck, friendlyhello and
# the test tools, and a running Docker engine. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  docker.io          # dockerd, containerd, runc and a docker CLI
  docker-registry    # the CNCF distribution registry, for the test bed
  redis-server       # real Redis for the app's tests and the benchmark
  debootstrap        # offline base images (swarmdeck image bootstrap)
  busybox-static     # the test bed's tiny image
  wrk                # HTTP load for bench/
  chromium           # headless browser for the console's browser tests
  slapd ldap-utils   # a real OpenLDAP server (started by the directory-login tests) and ldapadd
  iproute2 util-linux openssl ca-certificates
  openssh-server openssh-client  # sshd in node B's namespace: the console's ssh:// endpoint tests
  python3-venv
  git                # the console fetches stacks from Git with it; the Git stack tests serve repositories with git http-backend
  postgresql         # a private PostgreSQL server for the console's store tests (tests/support/postgres.py)
  qemu-system-x86 qemu-utils e2fsprogs  # Debian VMs for `swarmdeck machine` and the vm tests (with debootstrap, openssh-client)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check \
  -e '.[test]' -e ./apps/friendlyhello -r bench/requirements.txt

# The console's front-end packages: pinned in package-lock.json, copied into its static folder.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
bash scripts/build-static.sh

# The engine: the installed package does not start it where there is no systemd.
if ! docker info >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    mkdir -p /var/log/swarmdeck
    echo "setup: starting dockerd (log: /var/log/swarmdeck/dockerd.log)"
    nohup dockerd >>/var/log/swarmdeck/dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/swarmdeck/dockerd.log" >&2; exit 1; }
fi
echo "setup: ready ($(docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'))"
