#!/usr/bin/env bash
# N app workers behind nginx, on one machine, without root (docs/DEPLOY.md, "Several workers").
#
#   scripts/serve.sh --workers N --port P [--db PATH] [--run-dir DIR] [--address ADDR]
#
# - starts N `streamlit run serve.py` processes (the hosted entry point, with its guard), each
#   on its own loopback port, all on the same database file (opened read-only; an import
#   swaps it atomically and every worker's caches are keyed on the file's stamp, so every
#   worker sees an import at once);
# - waits until each answers /_stcore/health (a worker that exits or stays silent for 120 s
#   stops the whole start, with its log);
# - generates an nginx config into the run directory (pid, logs, temp paths there too) and runs
#   `nginx -p RUN_DIR -c RUN_DIR/nginx.conf` in the foreground on ADDR:P (default 127.0.0.1):
#     * sticky sessions: a cookie `net_worker` (set by nginx on the first response, random)
#       is hashed to choose the worker (`hash ... consistent`), so a browser's page, its
#       websocket (/_stcore/stream), its uploads and its downloads all reach the worker that
#       holds its session, also behind one NAT address (ip_hash would send a whole hospital
#       to one worker);
#     * websockets: /_stcore/stream with Upgrade/Connection headers, read timeout 1 h;
#     * passive health checks: a worker that fails 3 times within 10 s (connection refused,
#       timeout) is taken out for 10 s and its sessions' next requests go to the next worker;
#     * /_stcore/metrics is never public (404);
# - on SIGINT or SIGTERM (or when any worker or nginx exits) stops nginx and every worker and
#   waits for them: no process is left behind. The run directory is removed unless --run-dir
#   named it (then its logs stay: run-dir/logs/access.log shows the worker per request).
#
# Writes RUN_DIR/workers ("pid port" per worker) and RUN_DIR/nginx.pid, and prints
# "ready http://ADDR:P" once nginx answers.
set -euo pipefail

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

WORKERS=2
PORT=8080
ADDRESS=127.0.0.1
DB=""
RUN_DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS="${2:?}"; shift 2 ;;
    --port) PORT="${2:?}"; shift 2 ;;
    --db) DB="${2:?}"; shift 2 ;;
    --run-dir) RUN_DIR="${2:?}"; shift 2 ;;
    --address) ADDRESS="${2:?}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "error: unknown argument $1" >&2; usage ;;
  esac
done
[[ "$WORKERS" =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] && [ "$WORKERS" -le 64 ] \
  || { echo "error: --workers must be 1-64, not '$WORKERS'" >&2; exit 2; }
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] \
  || { echo "error: --port must be a TCP port, not '$PORT'" >&2; exit 2; }
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || NGINX="$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || true)"
[ -n "$NGINX" ] || { echo "error: nginx not found (scripts/install-system-packages.sh installs it)" >&2; exit 2; }
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "$DB" ]; then
  DB="$(cd "$(dirname "$DB")" && pwd)/$(basename "$DB")"
  [ -f "$DB" ] || { echo "error: no database file at $DB (python -m core build --db $DB)" >&2; exit 2; }
  export NET_EXPLORER_DB="$DB"
fi
KEEP_RUN_DIR=1
if [ -z "$RUN_DIR" ]; then
  RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/net-serve.XXXXXX")"
  KEEP_RUN_DIR=0
fi
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/temp"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
: >"$RUN_DIR/workers"

PIDS=()
NGINX_PID=""
STOPPING=0
stop_all() {
  [ "$STOPPING" -eq 1 ] && return
  STOPPING=1
  trap '' INT TERM
  if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # up to 15 s for a clean exit, then SIGKILL what is left (nginx's own workers are its children)
  for _ in $(seq 1 150); do
    alive=0
    for pid in "${PIDS[@]}" $NGINX_PID; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  if [ -n "$NGINX_PID" ]; then pkill -KILL -P "$NGINX_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}" $NGINX_PID; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$KEEP_RUN_DIR" -eq 0 ]; then rm -rf "$RUN_DIR"; fi
}
on_signal() {
  echo "serve.sh: stopping (signal)" >&2
  stop_all
  exit 0
}
trap on_signal INT TERM
trap stop_all EXIT

# ------------------------------------------------------------------ workers
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
read -r -a PORTS <<<"$(free_ports "$WORKERS")"
cd "$ROOT"
for i in $(seq 0 $((WORKERS - 1))); do
  p="${PORTS[$i]}"
  "$PYTHON" -m streamlit run serve.py --server.address 127.0.0.1 --server.port "$p" \
    --server.headless true --browser.gatherUsageStats false \
    >"$RUN_DIR/logs/worker-$i.log" 2>&1 </dev/null &
  PIDS+=("$!")
  echo "$! $p" >>"$RUN_DIR/workers"
done

health() { "$PYTHON" - "$1" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 and r.read().strip() == b"ok" else 1)
except OSError:
    sys.exit(1)
EOF
}
deadline=$((SECONDS + 120))
for i in $(seq 0 $((WORKERS - 1))); do
  until health "http://127.0.0.1:${PORTS[$i]}/_stcore/health"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      echo "error: worker $i exited during start-up; its log:" >&2
      tail -n 40 "$RUN_DIR/logs/worker-$i.log" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: worker $i did not answer /_stcore/health within 120 s; its log:" >&2
      tail -n 40 "$RUN_DIR/logs/worker-$i.log" >&2
      exit 1
    fi
    sleep 0.25
  done
done

# ------------------------------------------------------------------ nginx
SERVERS=""
for p in "${PORTS[@]}"; do
  SERVERS+="        server 127.0.0.1:$p max_fails=3 fail_timeout=10s;"$'\n'
done
cat >"$RUN_DIR/nginx.conf" <<EOF
# Generated by scripts/serve.sh; nothing outside this directory is read or written.
daemon off;
master_process on;
worker_processes 1;
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/logs/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $RUN_DIR/temp/client;
    proxy_temp_path $RUN_DIR/temp/proxy;
    fastcgi_temp_path $RUN_DIR/temp/fastcgi;
    uwsgi_temp_path $RUN_DIR/temp/uwsgi;
    scgi_temp_path $RUN_DIR/temp/scgi;
    types { text/html html; }
    default_type application/octet-stream;
    server_tokens off;
    log_format net '\$time_iso8601 \$status "\$request_method \$uri" worker=\$upstream_addr '
                   'sticky=\$net_sticky rt=\$request_time';
    access_log $RUN_DIR/logs/access.log net;

    # Sticky sessions: the worker is chosen by a random cookie nginx sets on first contact.
    map \$cookie_net_worker \$net_sticky {
        ""      \$request_id;
        default \$cookie_net_worker;
    }
    map \$cookie_net_worker \$net_sticky_cookie {
        ""      "net_worker=\$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }
    map \$http_upgrade \$net_connection {
        default upgrade;
        ""      close;
    }
    upstream net_explorer {
        hash \$net_sticky consistent;
$SERVERS    }

    server {
        listen $ADDRESS:$PORT;
        client_max_body_size 51m;   # Streamlit's own limit is 50 MB (.streamlit/config.toml)
        add_header Set-Cookie \$net_sticky_cookie always;

        location = /_stcore/metrics { return 404; }
        location = /_stcore/stream {
            proxy_pass http://net_explorer;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$net_connection;
            proxy_set_header Host \$http_host;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_next_upstream off;   # a session's websocket is never retried elsewhere
        }
        location / {
            proxy_pass http://net_explorer;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
            proxy_set_header Connection "";
            proxy_read_timeout 600s;
            proxy_request_buffering on;
            proxy_next_upstream error timeout;
        }
    }
}
EOF
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" 2>"$RUN_DIR/logs/nginx-test.log" \
  || { cat "$RUN_DIR/logs/nginx-test.log" >&2; exit 1; }
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" 2>>"$RUN_DIR/logs/error.log" &
NGINX_PID=$!
HEALTH_HOST="$ADDRESS"; [ "$ADDRESS" = "0.0.0.0" ] && HEALTH_HOST=127.0.0.1
until health "http://$HEALTH_HOST:$PORT/_stcore/health"; do
  kill -0 "$NGINX_PID" 2>/dev/null || { echo "error: nginx exited:" >&2; cat "$RUN_DIR/logs/error.log" >&2; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { echo "error: nginx did not answer on port $PORT" >&2; exit 1; }
  sleep 0.2
done
echo "$NGINX_PID" >"$RUN_DIR/nginx.master"
echo "serve.sh: $WORKERS workers (ports ${PORTS[*]}) behind nginx; run dir $RUN_DIR" >&2
echo "ready http://$ADDRESS:$PORT"

# Until a signal, or until nginx or a worker exits (then everything stops: no half service).
set +e
wait -n "${PIDS[@]}" "$NGINX_PID"
echo "serve.sh: a worker or nginx exited; stopping" >&2
exit 1
