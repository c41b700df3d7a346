# shellcheck shell=bash
# Podman on these machines (../shared/CONTAINERS.md has the measurements),
# for scripts/image.sh and scripts/compose-test.sh. Sourced, never executed.
#
# podman_ready: installs podman, runc and debootstrap from Debian if missing,
# and points podman at a containers.conf of the project's own
# ($repo/.state/containers.conf, through CONTAINERS_CONF, so that podman
# started by podman-compose reads it too; /etc is left alone):
# - runc: crun refuses the hybrid cgroups of these VMs;
# - ulimits the machine allows: root lacks CAP_SYS_RESOURCE, so podman's
#   default nofile=1048576 is refused. nofile at most `ulimit -Hn`, nproc at
#   most min(`ulimit -Hu`, pid_max), each at most the recipe's figure.
# Sets podman_limits (the same ulimits as flags, for `podman build`).

podman_ready() {
    local missing=() package
    for package in podman runc debootstrap; do
        dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -q '^installed$' || missing+=("$package")
    done
    if ((${#missing[@]})); then
        printf '==> installing %s (Debian)\n' "${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    local nofile nproc pid_max
    nofile=$(ulimit -Hn); [[ "$nofile" == unlimited ]] && nofile=20000; ((nofile > 20000)) && nofile=20000
    nproc=$(ulimit -Hu); [[ "$nproc" == unlimited ]] && nproc=32768
    pid_max=$(cat /proc/sys/kernel/pid_max); ((nproc > pid_max)) && nproc=$pid_max; ((nproc > 32768)) && nproc=32768
    mkdir -p "$repo/.state"
    cat >"$repo/.state/containers.conf" <<CONF
# Written by scripts/podman-settings.sh; read by podman through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
CONF
    export CONTAINERS_CONF="$repo/.state/containers.conf"
    podman_limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
}
