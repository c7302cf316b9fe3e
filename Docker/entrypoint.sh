#!/usr/bin/env bash
# The image's entrypoint: with no arguments (or `serve ...`), migrates DATABASE_URL and serves;
# anything else runs as a crm subcommand, e.g. `docker compose run crm key create --admin`.
set -euo pipefail
if (($# == 0)) || [[ $1 == serve ]]; then
    (($#)) && shift
    crm migrate
    exec crm serve "$@"
fi
exec crm "$@"
