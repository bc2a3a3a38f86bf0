# shellcheck shell=bash
# Shared helpers for bench/overhead.sh and bench/memory.sh (sourced, not run).
# Every process started here is recorded in BENCH_PIDS and killed by bench_cleanup.

BENCH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_PIDS=()
BENCH_SAVED_BPF_STATS=""

bench_log() { printf '# %s\n' "$*" >&2; }
bench_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

bench_require_root() {
  [[ $(id -u) -eq 0 ]] || bench_die "run as root (eBPF needs it)"
}

bench_require_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || bench_die "missing tool: $t"; done
}

# A free TCP port on 127.0.0.1 (racy by nature; fine for a benchmark).
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_wait_listening() {  # port timeout_s
  local port=$1 deadline=$((SECONDS + ${2:-10}))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Stops one recorded process (TERM, then KILL after a grace period) and waits for it.
bench_stop_pid() {  # pid [grace_s]
  local pid=$1 grace=${2:-10} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}

bench_cleanup() {
  local p
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    p=${BENCH_PIDS[i]}
    kill -TERM "$p" 2>/dev/null || true
  done
  sleep 0.3
  for p in "${BENCH_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && { sleep 2; kill -KILL "$p" 2>/dev/null || true; }
    wait "$p" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [[ -n $BENCH_SAVED_BPF_STATS ]]; then
    sysctl -q -w kernel.bpf_stats_enabled="$BENCH_SAVED_BPF_STATS" >/dev/null 2>&1 || true
    BENCH_SAVED_BPF_STATS=""
  fi
}

bench_enable_bpf_stats() {
  BENCH_SAVED_BPF_STATS=$(sysctl -n kernel.bpf_stats_enabled)
  sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null
}

# nginx answering "hello" on 127.0.0.1:PORT, no access log, long keep-alive.
# Writes DIR/nginx.conf and starts nginx in the foreground; sets NGINX_PID (the master).
bench_start_nginx() {  # dir port workers worker_connections
  local dir=$1 port=$2 workers=$3 wconn=${4:-4096}
  local nofile=$((wconn * 2 + 64)) hard
  hard=$(ulimit -Hn)
  [[ $hard != unlimited ]] && ((nofile > hard)) && nofile=$hard
  mkdir -p "$dir"
  local temps="client_body_temp_path $dir/client_body;" built m
  built=$(nginx -V 2>&1)
  for m in proxy fastcgi uwsgi scgi; do
    [[ $built == *"--without-http_${m}_module"* ]] || temps+=" ${m}_temp_path $dir/$m;"
  done
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile $nofile;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $wconn; multi_accept on; }
http {
    access_log off;
    $temps
    default_type text/plain;
    keepalive_timeout 120s;
    keepalive_requests 10000000;
    server {
        listen 127.0.0.1:$port backlog=4096;
        server_name localhost;
        location / { return 200 "hello"; }
    }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  bench_wait_listening "$port" 10 || { cat "$dir/error.log" >&2; bench_die "nginx did not start"; }
}

# Pids of nginx workers (children of the master).
bench_nginx_workers() {
  local pid=$1 kids="" i
  for ((i = 0; i < 100; i++)); do
    kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    [[ -n $kids ]] && break
    sleep 0.05
  done
  echo "$kids"
}

# Starts an agent command (otelbpf run|floor ...) with stderr to LOG and waits for
# "otelbpf is ready". Sets AGENT_PID.
bench_start_agent() {  # log timeout_s cmd...
  local log=$1 timeout=$2
  shift 2
  "$@" >/dev/null 2>"$log" &
  AGENT_PID=$!
  BENCH_PIDS+=("$AGENT_PID")
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    grep -q 'otelbpf is ready' "$log" 2>/dev/null && return 0
    kill -0 "$AGENT_PID" 2>/dev/null || { tail -20 "$log" >&2; bench_die "agent exited before it was ready: $*"; }
    sleep 0.05
  done
  tail -20 "$log" >&2
  bench_die "agent not ready after ${timeout}s: $*"
}

# utime+stime (clock ticks) of a whole process (all threads, living and dead).
bench_cpu_ticks() {  # pid
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }  # fields after "(comm) "
  local f
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))  # fields 14 and 15 (utime, stime), 0-based after dropping pid+comm
}

# VmRSS of a process in KiB.
bench_rss_kib() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# "run_time_ns run_cnt programs" summed over the eBPF programs held by PID; per-program
# counters go to FILE when given.
bench_bpf_prog_stats() {  # pid [file]
  bpftool prog show -j 2>/dev/null | python3 "$BENCH_LIB_DIR/bpf_stats.py" progs "$1" ${2:+"$2"}
}

# "bytes_memlock maps" summed over the maps held by PID; per-map lines go to FILE.
bench_bpf_map_memory() {  # pid [file]
  bpftool map show -j 2>/dev/null | python3 "$BENCH_LIB_DIR/bpf_stats.py" maps "$1" 2>"${2:-/dev/null}"
}

# Call before starting any agent. Warns when tracepoint programs are loaded: they tax every mode, floor included.
bench_warn_foreign_bpf() {
  local n
  n=$(bpftool prog show -j 2>/dev/null | python3 "$BENCH_LIB_DIR/bpf_stats.py" tracepoints)
  if [[ $n != 0 ]]; then
    bench_log "WARNING: $n tracepoint eBPF programs (not ours) are loaded right now;"
    bench_log "WARNING: they tax every mode (someone else's agent or test?). Figures are less clean."
  fi
}

# The discarding OTLP/HTTP sink (otlp_sink.py) on a free port; sets SINK_PID and SINK_PORT.
bench_start_sink() {  # log
  python3 "$BENCH_LIB_DIR/otlp_sink.py" 0 >"$1" 2>&1 &
  SINK_PID=$!
  BENCH_PIDS+=("$SINK_PID")
  for _ in $(seq 100); do grep -q 'sink ready' "$1" && break; sleep 0.05; done
  SINK_PORT=$(sed -n 's/^sink ready port=//p' "$1")
  [[ -n $SINK_PORT ]] || bench_die "OTLP sink did not start"
}

# The Python service (python_hello.py: http.server answering "hello") on 127.0.0.1:PORT;
# sets PYHELLO_PID. One process: its threads' CPU is all in /proc/PYHELLO_PID/stat.
bench_start_python_hello() {  # log port
  python3 "$BENCH_LIB_DIR/python_hello.py" "$2" >"$1" 2>&1 &
  PYHELLO_PID=$!
  BENCH_PIDS+=("$PYHELLO_PID")
  bench_wait_listening "$2" 10 || { cat "$1" >&2; bench_die "python_hello.py did not start"; }
}
