#!/usr/bin/env bash
# Run the RabbitMQ CLI against the node started by scripts/up.sh, with the
# same environment (HOME with the node's Erlang cookie, node name, state
# dirs). Arguments are passed through.
#
#   scripts/rabbitmqctl.sh status
#   scripts/rabbitmqctl.sh list_queues name type messages
#   scripts/rabbitmqctl.sh rabbitmq-diagnostics check_port_connectivity
#   scripts/rabbitmqctl.sh rabbitmq-queues quorum_status my-queue
#
# In cluster mode, TALLY_RABBITMQ_NODE=2 (or 3) talks to that node.
#
# A first argument naming another CLI tool (rabbitmq-diagnostics,
# rabbitmq-plugins, rabbitmq-queues, rabbitmq-streams, rabbitmq-upgrade)
# selects it instead of rabbitmqctl.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rmq_select_node "${TALLY_RABBITMQ_NODE:-1}"

tool=rabbitmqctl
case ${1:-} in
    rabbitmqctl | rabbitmq-diagnostics | rabbitmq-plugins | rabbitmq-queues | rabbitmq-streams | rabbitmq-upgrade)
        tool=$1
        shift
        ;;
esac
[[ -x "$RMQ_SBIN/$tool" ]] || die "$RMQ_SBIN/$tool not found (run scripts/install-deps.sh)"

rmq_ensure_cookie

# Every RabbitMQ CLI invocation starts an epmd when none runs (even for
# `help`, and despite -start_epmd false). If that happens while our node is
# down, stop that stray epmd again afterwards.
epmd_was_up=0
if epmd -names >/dev/null 2>&1; then
    epmd_was_up=1
fi

rc=0
(
    rmq_env
    exec "$RMQ_SBIN/$tool" "$@"
) || rc=$?

if ((epmd_was_up == 0)) && ! rmq_pid >/dev/null && epmd -names >/dev/null 2>&1; then
    if ! epmd -names 2>/dev/null | grep -q '^name '; then
        epmd -kill >/dev/null 2>&1 || true
    fi
fi
exit "$rc"
