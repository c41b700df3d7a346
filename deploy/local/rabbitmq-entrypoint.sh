#!/bin/bash
# The official image's RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, for
# RabbitMQ 3.10 from Debian, which reads them from its configuration only.
# They take effect on a node's first boot (an empty database), as there.
set -euo pipefail
{
    echo "# Written by rabbitmq-entrypoint.sh from the environment."
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
    # The default user connects from other containers, not only loopback.
    echo "loopback_users = none"
} >"$RABBITMQ_CONFIG_FILE"
exec "$@"
