#!/usr/bin/env bash
# Install the Debian packages tally's local servers and build need, if any is
# missing. Idempotent: prints only "deps ok" when everything is present.
# Never starts the distro services (policy-rc.d guard while installing):
# scripts/up.sh runs the servers itself, with state in the repo.
set -euo pipefail

PACKAGES=(
    rabbitmq-server
    redis-server
    redis-tools
    librabbitmq-dev
    libhiredis-dev
    pkg-config
    python3-venv
    curl
    openssl
    chromium  # the headless browser that renders the account report in make test
    prometheus  # promtool: make test checks the alert rules and runs their unit tests (deploy/prometheus/alerts.test.yml)
    python3-aiosmtpd  # the real SMTP server the report mailer sends to in make test (scripts/smtp-sink.py)
    gcc  # builds the tally Redis module (redis-module/, scripts/build-redis-module.sh)
    libc6-dev
)

log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf '==> ERROR: %s\n' "$*" >&2
    exit 1
}

installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        installed "$p" || printf '%s\n' "$p"
    done
}

command -v dpkg-query >/dev/null || die "dpkg-query not found: this script supports Debian/Ubuntu only"

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
    echo "deps ok"
    exit 0
fi

SUDO=()
if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root, no sudo"
    SUDO=(sudo)
fi

# Keep apt from starting rabbitmq-server / redis-server (they would grab
# ports 5672/6379 and use /var/lib state). A policy-rc.d that exits 101
# makes invoke-rc.d and deb-systemd-invoke skip starting services. If one
# exists already we leave it alone; ours is removed again on exit.
POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if ((created_policy)); then
        "${SUDO[@]}" rm -f "$POLICY"
    fi
}
trap cleanup EXIT
if [[ ! -e "$POLICY" ]]; then
    log "installing a temporary $POLICY (exit 101) so no service auto-starts"
    printf '#!/bin/sh\n# temporary, from tally scripts/install-deps.sh\nexit 101\n' |
        "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    created_policy=1
fi

log "installing missing packages: ${missing[*]}"
log "apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2

mapfile -t still < <(missing_packages)
((${#still[@]} == 0)) || die "still missing after apt-get install: ${still[*]}"
echo "deps ok (installed: ${missing[*]})"
