#!/usr/bin/env bash
# The container's entry point: gunicorn on loopback behind nginx on :8000 (deploy/nginx.conf).
# HUP reloads gunicorn (a new model; keys files are re-read without one); TERM stops both. If either
# process dies, the other is stopped too and the container exits with its status.
set -uo pipefail
cd "$(dirname "$0")/.."
export BOTLENS_BIND="${BOTLENS_BIND:-127.0.0.1:8001}" BOTLENS_PROXY_HOPS="${BOTLENS_PROXY_HOPS:-1}"
botlens serve &
gunicorn_pid=$!
nginx -c "$PWD/deploy/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
trap 'kill -HUP "$gunicorn_pid"' HUP
trap 'kill -TERM "$gunicorn_pid" "$nginx_pid" 2>/dev/null' TERM INT
while kill -0 "$gunicorn_pid" 2>/dev/null && kill -0 "$nginx_pid" 2>/dev/null; do
    wait -n "$gunicorn_pid" "$nginx_pid"
done
kill -TERM "$gunicorn_pid" "$nginx_pid" 2>/dev/null
wait
