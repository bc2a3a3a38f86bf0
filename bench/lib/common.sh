# shellcheck shell=bash
# Shared helpers for bench/overhead.sh, bench/databases.sh and bench/memory.sh (sourced, not run).
# Every process started here is recorded in BENCH_PIDS and killed by bench_cleanup.

BENCH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The agent the benchmarks run unless --otelbpf / OTELBPF says otherwise: this checkout's build
# (scripts/build.sh puts it there).
BENCH_DEFAULT_OTELBPF="$(cd "$BENCH_LIB_DIR/../.." && pwd)/build/otelbpf"
BENCH_PIDS=()
BENCH_SAVED_BPF_STATS=""

bench_log() { printf '# %s\n' "$*" >&2; }

# Prints the running script's usage (its header comment, line 2 to the first line that is not a
# comment) and exits with STATUS.
bench_usage() {  # [status]
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit "${1:-0}"
}

# The options bench/overhead.sh and bench/databases.sh share, for the catch-all branch of their
# option loops (called with the loop's "$@"): --rounds, --duration, --agent-args, --otelbpf,
# --out set ROUNDS, DURATION, AGENT_ARGS, OTELBPF, OUT; --no-bpf-stats sets BPF_STATS=0;
# --help prints the usage. Sets BENCH_OPT_USED to the arguments consumed (shift by it); an
# unknown option prints the usage and exits 2.
bench_common_option() {  # option [value...]
  BENCH_OPT_USED=2
  case $1 in
    --rounds) ROUNDS=$2 ;;
    --duration) DURATION=$2 ;;
    --agent-args) AGENT_ARGS=$2 ;;
    --otelbpf) OTELBPF=$2 ;;
    --out) OUT=$2 ;;
    --no-bpf-stats) BPF_STATS=0; BENCH_OPT_USED=1 ;;
    -h | --help) bench_usage 0 ;;
    *) echo "unknown option: $1" >&2; bench_usage 2 ;;
  esac
}
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

# nginx answering "hello" on 127.0.0.1:PORT, no access log, long keep-alive; with "tls" as
# 5th argument, over TLS with a certificate made now (OpenSSL's libssl: the TLS uprobes).
# Writes DIR/nginx.conf and starts nginx in the foreground; sets NGINX_PID (the master).
bench_start_nginx() {  # dir port workers worker_connections [tls]
  local dir=$1 port=$2 workers=$3 wconn=${4:-4096} tls=${5:-}
  local nofile=$((wconn * 2 + 64)) hard
  hard=$(ulimit -Hn)
  [[ $hard != unlimited ]] && ((nofile > hard)) && nofile=$hard
  mkdir -p "$dir"
  local temps="client_body_temp_path $dir/client_body;" built m
  built=$(nginx -V 2>&1)
  for m in proxy fastcgi uwsgi scgi; do
    [[ $built == *"--without-http_${m}_module"* ]] || temps+=" ${m}_temp_path $dir/$m;"
  done
  local listen="127.0.0.1:$port backlog=4096"
  if [[ $tls == tls ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
      -subj /CN=localhost >/dev/null 2>&1 || bench_die "openssl could not make a certificate"
    listen+=" ssl; ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem"
  fi
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
        listen $listen;
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

# Each benchmark's agents write a store of their own under its work directory: the default file
# outlives runs and grows, and what the agent does at start depends on its size. The caller's
# OTEL_EBPF_STORE (or --store in --agent-args) still wins.
bench_use_fresh_store() {  # work_dir
  export OTEL_EBPF_STORE=${OTEL_EBPF_STORE:-$1/store.db}
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
# The Go hello server (bench/lib/go_hello.go), built with Debian's golang-go into DIR; over TLS
# with a certificate made now when TLS is "tls".
bench_start_go_hello() {  # dir port [tls]
  local dir=$1 port=$2 tls=${3:-} args=()
  mkdir -p "$dir"
  command -v go >/dev/null || bench_die "--service go needs golang-go (scripts/setup.sh installs it)"
  GOCACHE="$dir/gocache" GO111MODULE=off go build -o "$dir/go_hello" "$BENCH_LIB_DIR/go_hello.go" \
    || bench_die "go build of go_hello.go failed"
  if [[ $tls == tls ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
      -subj /CN=localhost >/dev/null 2>&1 || bench_die "openssl could not make a certificate"
    args=("$dir/cert.pem" "$dir/key.pem")
  fi
  "$dir/go_hello" "$port" "${args[@]}" >"$dir/go_hello.log" 2>&1 &
  GOHELLO_PID=$!
  BENCH_PIDS+=("$GOHELLO_PID")
  bench_wait_listening "$port" 10 || { cat "$dir/go_hello.log" >&2; bench_die "go_hello did not start"; }
}

bench_start_python_hello() {  # log port
  python3 "$BENCH_LIB_DIR/python_hello.py" "$2" >"$1" 2>&1 &
  PYHELLO_PID=$!
  BENCH_PIDS+=("$PYHELLO_PID")
  bench_wait_listening "$2" 10 || { cat "$1" >&2; bench_die "python_hello.py did not start"; }
}

# --- One measured round (bench/overhead.sh, bench/databases.sh): the readings around a load.
# The agent is AGENT_PID (empty in a mode without agent), the OTLP sink SINK_PID; BPF_STATS=1
# when kernel.bpf_stats_enabled is in use.

# Value of KEY=N in the agent's LOG (the exit counters it prints), last occurrence, or -1.
bench_log_counter() {  # log key
  local v
  v=$(grep -o "[ :]$2=[0-9]*" "$1" | tail -1 | sed 's/.*=//')
  echo "${v:--1}"
}

# Writes the header lines of a rounds file (one row per round and mode, bench_round_row) and of
# its programs file (eBPF run time and runs per round, mode and program, bench_round_end).
# nginx_ticks is the service's CPU and wrk_cpu_us the load generator's: the columns keep their
# first names so that older rounds.tsv files still summarize (bench/lib/summarize_overhead.py).
bench_rounds_headers() {  # rounds_tsv programs_tsv
  printf 'round\tslot\tmode\trps\trequests\terrors\tnginx_ticks\tagent_ticks\tsink_ticks\tbpf_ns\tbpf_cnt\tbpf_progs\tringbuf_full\tevents_sent\trecords\tspans\texported\tdropped_queue_full\tdropped_export_failed\tvalid\twrk_cpu_us\n' >"$1"
  printf 'round\tmode\trequests\tprogram\trun_time_ns\trun_cnt\n' >"$2"
}

# kernel.bpf_stats_enabled is machine-wide: someone else's benchmark or test may switch it off
# mid-run, and eBPF run times would then read 0. With BPF_STATS=1, turns it back on and says so
# (WHERE names the round in the warning).
bench_recheck_bpf_stats() {  # where
  if ((BPF_STATS)) && [[ $(sysctl -n kernel.bpf_stats_enabled) != 1 ]]; then
    bench_log "WARNING: $1: kernel.bpf_stats_enabled was switched off by someone else; on again"
    sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null
  fi
}

# Puts kernel.bpf_stats_enabled back as bench_enable_bpf_stats found it (BPF_STATS=1 only).
bench_restore_bpf_stats() {
  if ((BPF_STATS)); then
    sysctl -q -w kernel.bpf_stats_enabled="$BENCH_SAVED_BPF_STATS" >/dev/null
    BENCH_SAVED_BPF_STATS=""
  fi
}

# Start of a measured window, read in this order: the agent's eBPF programs (run time ns, runs,
# programs; per program to DIR/progs.before), the service's CPU ticks (printed by CMD...), the
# agent's and the sink's CPU ticks. Without an agent its figures are 0.
# Sets ROUND_BPF0=(ns runs progs), ROUND_N0, ROUND_A0, ROUND_K0.
bench_round_begin() {  # dir cmd...
  local dir=$1
  shift
  ROUND_BPF0=(0 0 0)
  [[ -n $AGENT_PID ]] && read -r -a ROUND_BPF0 <<<"$(bench_bpf_prog_stats "$AGENT_PID" "$dir/progs.before")"
  ROUND_N0=$("$@")
  ROUND_A0=0
  [[ -n $AGENT_PID ]] && ROUND_A0=$(bench_cpu_ticks "$AGENT_PID")
  ROUND_K0=$(bench_cpu_ticks "$SINK_PID")
}

# End of the window (after the load and the settle time): the agent's and the sink's CPU ticks,
# then the agent's eBPF programs (per program to DIR/progs.after), whose per-program run time and
# runs over the window are appended to PROGRAMS_TSV after "round mode requests".
# Sets ROUND_A1, ROUND_K1, ROUND_BPF1=(ns runs progs).
bench_round_end() {  # dir programs_tsv round mode requests
  local dir=$1 progs=$2
  ROUND_A1=0
  [[ -n $AGENT_PID ]] && ROUND_A1=$(bench_cpu_ticks "$AGENT_PID")
  ROUND_K1=$(bench_cpu_ticks "$SINK_PID")
  ROUND_BPF1=(0 0 0)
  if [[ -n $AGENT_PID ]]; then
    read -r -a ROUND_BPF1 <<<"$(bench_bpf_prog_stats "$AGENT_PID" "$dir/progs.after")"
    python3 "$BENCH_LIB_DIR/bpf_stats.py" progs-diff "$dir/progs.before" "$dir/progs.after" |
      sed "s/^/$3\t$4\t$5\t/" >>"$progs"
  fi
}

# Whether the agent survived the round, and what it counted. An agent that exited during the
# round (crash, or killed by someone else) voids it: valid=0 and a warning "WHO exited ..." with
# the tail of LOG. The agent is then stopped and, with COUNTERS=1, its exit counters read from
# LOG (-1 when absent or without agent).
# Sets ROUND_VALID and ROUND_COUNTERS=(ringbuf_full events_sent records spans exported
# dropped_queue_full dropped_export_failed).
bench_round_agent_exit() {  # log who counters
  local log=$1 k
  ROUND_COUNTERS=(-1 -1 -1 -1 -1 -1 -1)
  ROUND_VALID=1
  if [[ -n $AGENT_PID ]] && ! kill -0 "$AGENT_PID" 2>/dev/null; then
    ROUND_VALID=0
    bench_log "WARNING: $2 exited during the round; round excluded. Log tail:"
    tail -3 "$log" >&2
  fi
  if [[ -n $AGENT_PID ]]; then
    bench_stop_pid "$AGENT_PID" 60
    if (($3)); then
      ROUND_COUNTERS=()
      for k in ringbuf_full events_sent records spans exported dropped_queue_full dropped_export_failed; do
        ROUND_COUNTERS+=("$(bench_log_counter "$log" "$k")")
      done
    fi
  fi
}

# Appends one row to a rounds file (columns: bench_rounds_headers) from the round's figures and
# the ROUND_* readings of bench_round_begin, bench_round_end and bench_round_agent_exit.
# SERVICE_TICKS is the service's CPU over the window, CLIENT_CPU_US the load generator's.
bench_round_row() {  # rounds_tsv round slot mode rate requests errors service_ticks client_cpu_us
  printf '%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n' \
    "$2" "$3" "$4" "$5" "$6" "$7" "$8" $((ROUND_A1 - ROUND_A0)) $((ROUND_K1 - ROUND_K0)) \
    $((ROUND_BPF1[0] - ROUND_BPF0[0])) $((ROUND_BPF1[1] - ROUND_BPF0[1])) "${ROUND_BPF1[2]}" \
    "${ROUND_COUNTERS[@]}" "$ROUND_VALID" "$9" >>"$1"
}
