#!/usr/bin/env bash
# make image: builds deploy/Dockerfile with podman on a machine that reaches
# no container registry (only Debian's mirror): a Debian base made with
# debootstrap, a builder from deploy/toolchain/Containerfile with this
# machine's Swift toolchain and package mirror mounted, then the project's
# image, tagged tally:<version> (BuildInfo.version). Prints each step's time.
#
#   IMAGE_TAG=tally:dev make image      another tag
#   REBUILD_BASE=1 make image           remake the base and builder images
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

toolchain=/opt/swift
mirror=/opt/swift-packages
[[ -x "$toolchain/usr/bin/swift" ]] || die "no Swift toolchain at $toolchain"
[[ -d "$mirror" ]] || die "no Swift package mirror at $mirror"
version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/TallyCore/Build/BuildInfo.swift)
[[ -n "$version" ]] || die "no version in Sources/TallyCore/Build/BuildInfo.swift"
tag="${IMAGE_TAG:-tally:$version}"
base=localhost/tally-base:bookworm
builder=localhost/tally-builder:$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)

# shellcheck source=scripts/podman-settings.sh
source "$here/podman-settings.sh"
podman_ready
podman=(podman)
limits=("${podman_limits[@]}")

timed() {
    local what=$1 started=$SECONDS
    shift
    "$@"
    log "$what: $((SECONDS - started)) s"
}

if [[ "${REBUILD_BASE:-0}" == 1 ]] || ! "${podman[@]}" image exists "$base"; then
    # The Debian mirror apt uses: deb822 (URIs:) or one-line sources.
    mirror_url=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | sed -nE 's#^URIs:\s*(\S*/debian)/?$#\1#p; s#^deb(\s+\[[^]]*\])?\s+(\S*/debian)/?\s.*#\2#p' | head -1 || true)
    mirror_url=${mirror_url:-http://deb.debian.org/debian}
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    log "base image $base: debootstrap bookworm from $mirror_url"
    timed "debootstrap" debootstrap --variant=minbase bookworm "$rootfs" "$mirror_url" >/dev/null
    timed "import $base" bash -c "tar -C '$rootfs' --exclude=./var/cache/apt/archives --exclude=./var/lib/apt/lists -c . | ${podman[*]} import - '$base' >/dev/null"
fi

if [[ "${REBUILD_BASE:-0}" == 1 ]] || ! "${podman[@]}" image exists "$builder"; then
    log "builder image $builder (deploy/toolchain/Containerfile)"
    timed "builder" "${podman[@]}" build "${limits[@]}" --build-arg BASE_IMAGE="$base" \
        -f deploy/toolchain/Containerfile -t "$builder" deploy/toolchain
fi

log "image $tag (deploy/Dockerfile; toolchain and package mirror mounted read-only)"
timed "image" "${podman[@]}" build "${limits[@]}" \
    -v "$toolchain:$toolchain:ro" -v "$mirror:$mirror:ro" \
    --build-arg BUILD_IMAGE="$builder" --build-arg RUN_IMAGE="$base" \
    --build-arg RUN_PACKAGES="librabbitmq4 libhiredis0.14 libsqlite3-0 libcurl4 ca-certificates tzdata bash" \
    -f deploy/Dockerfile -t "$tag" .

# It runs: every executable answers --version with this release, as non-root.
for executable in tally tally-worker tally-aggregator; do
    answer=$("${podman[@]}" run --rm "${limits[@]}" "$tag" "$executable" --version)
    [[ "$answer" == "$version" ]] || die "$executable --version in $tag answered '$answer', not $version"
done
[[ "$("${podman[@]}" run --rm "${limits[@]}" "$tag" id -u)" == 10001 ]] || die "$tag does not run as uid 10001"
log "$tag built: $("${podman[@]}" image inspect "$tag" --format '{{.Size}}' | numfmt --to=iec) ; tally, tally-worker, tally-aggregator answer --version $version as uid 10001"
