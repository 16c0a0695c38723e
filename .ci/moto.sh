#!/usr/bin/env bash
# Starts or stops a local moto_server (the AWS API emulator) for the live-import tests.
#   .ci/moto.sh start   starts it on 127.0.0.1 on a free port; writes the URL to $MOTO_URL_FILE
#                       (default target/moto.url) and the pid to $MOTO_URL_FILE.pid; prints the URL.
#   .ci/moto.sh stop    stops the server started by `start` (by its pid).
# Then: export ECS2EKS_MOTO_ENDPOINT="$(cat target/moto.url)"; cargo test --test integration live_import
set -euo pipefail
cd "$(dirname "$0")/.."
url_file="${MOTO_URL_FILE:-target/moto.url}"
pid_file="$url_file.pid"
log_file="$url_file.log"

case "${1:-}" in
start)
    mkdir -p "$(dirname "$url_file")"
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        cat "$url_file"
        exit 0
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # No real credentials or instance metadata may leak into the emulator's clients.
    env -u AWS_PROFILE AWS_EC2_METADATA_DISABLED=true \
        MOTO_IAM_LOAD_MANAGED_POLICIES=true \
        moto_server -H 127.0.0.1 -p "$port" >"$log_file" 2>&1 &
    echo $! >"$pid_file"
    for _ in $(seq 1 100); do
        if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
            echo "http://127.0.0.1:$port" >"$url_file"
            cat "$url_file"
            exit 0
        fi
        sleep 0.2
    done
    echo "moto_server did not start; see $log_file" >&2
    kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
    exit 1
    ;;
stop)
    if [[ -f "$pid_file" ]]; then
        kill "$(cat "$pid_file")" 2>/dev/null || true
        rm -f "$pid_file" "$url_file"
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
