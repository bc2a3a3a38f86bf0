#!/usr/bin/env bash
# otelbpf overhead benchmark: what does the agent cost a busy HTTP server?
#
# A service answers "hello" on 127.0.0.1 under wrk, in these modes interleaved round by round:
#   baseline          nothing attached
#   floor             `otelbpf floor`: empty eBPF programs on exactly the tracepoints `run` uses
#   otelbpf           `otelbpf run --output none`, every span (and the metrics) exported over
#                     OTLP/HTTP to a discarding sink (bench/lib/otlp_sink.py)
#   otelbpf-noexport  `otelbpf run --output none` with no OTLP endpoint: capture, spans and
#                     metrics are built, nothing leaves the agent but the Prometheus endpoint
#   otelbpf-compare   with --compare PATH: the otelbpf mode run by another build of the agent
#                     (before/after a change, measured in the same rounds)
# Each round runs every mode once (order rotated each round), so slow drifts of this noisy
# machine hit all modes alike. Reported: median req/s per mode, the per-round ratio to the
# same round's baseline (median, min..max, IQR), CPU per request (service, agent, sink), eBPF
# run time per request, events lost and spans produced vs requests served.
#
# Usage: sudo bench/overhead.sh [--service nginx|python|go] [--export otlp|none|both] [--close] [--tls]
#          [--rounds N] [--duration S] [--connections C] [--threads T] [--workers W]
#          [--agent-args "ARGS"] [--otelbpf PATH] [--compare PATH] [--out DIR] [--no-bpf-stats]
#   --service nginx   nginx "hello" (default; --workers sets worker_processes)
#   --service python  Python's http.server (ThreadingHTTPServer, bench/lib/python_hello.py)
#   --service go      Go's net/http (bench/lib/go_hello.go, built with golang-go)
#   --export otlp     otelbpf mode exports to the sink (default)
#   --export none     otelbpf-noexport mode only
#   --export both     both modes, so the report shows the price of export
#   --close           every mode again with `Connection: close` (a connection per request)
#   --compare PATH    add the otelbpf-compare mode: the agent binary at PATH, same settings
#   --tls             nginx or go over TLS (HTTPS; wrk keeps its TLS connections): the cost of
#                     the OpenSSL uprobes (SSL_read/SSL_write) or of the Go crypto/tls ones
#                     (bpf/tls_go.bpf.h) on top of the syscall hooks
# Env: SERVICE, EXPORT, ROUNDS, DURATION, CONNECTIONS, OTELBPF (same as the options).
# OTEL_BSP_* and other OTEL_* variables in the environment reach the agent unchanged.
# Examples:
#   sudo bench/overhead.sh                                    # nginx, keep-alive, ~3 min
#   sudo bench/overhead.sh --service python --export both --close
#   sudo bench/overhead.sh --rounds 2 --duration 1            # smoke run of the script
# Prints figures only; never asserts on them.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

ROUNDS=${ROUNDS:-12}
DURATION=${DURATION:-2}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-1}
SERVICE=${SERVICE:-nginx}
EXPORT=${EXPORT:-otlp}
OTELBPF=${OTELBPF:-$BENCH_DEFAULT_OTELBPF}
AGENT_ARGS=""
WITH_CLOSE=0
TLS=""
BPF_STATS=1
OUT=""
COMPARE=""
SETTLE=0.5  # seconds between agent ready and load, and between load end and the last reading

while (($#)); do
  case $1 in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --close) WITH_CLOSE=1; shift ;;
    --tls) TLS=tls; shift ;;
    --service) SERVICE=$2; shift 2 ;;
    --export) EXPORT=$2; shift 2 ;;
    --compare) COMPARE=$2; shift 2 ;;
    *) bench_common_option "$@"; shift "$BENCH_OPT_USED" ;;
  esac
done

[[ $SERVICE == nginx || $SERVICE == python || $SERVICE == go ]] ||
  { echo "--service: nginx, python or go, not '$SERVICE'" >&2; bench_usage 2; }
[[ $EXPORT == otlp || $EXPORT == none || $EXPORT == both ]] || { echo "--export: otlp, none or both, not '$EXPORT'" >&2; bench_usage 2; }
bench_require_root
bench_require_tools wrk bpftool python3 sysctl curl
[[ $SERVICE == nginx ]] && bench_require_tools nginx
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF (build it: scripts/build.sh, or pass --otelbpf PATH)"
[[ -z $COMPARE || -x $COMPARE ]] || bench_die "--compare: no agent binary at $COMPARE"
[[ -z $COMPARE || $EXPORT != none ]] || bench_die "--compare needs the otelbpf mode (--export otlp or both)"

WORK=$(mktemp -d /tmp/otelbpf-overhead.XXXXXX)
bench_use_fresh_store "$WORK"
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
RESULTS="$OUT/rounds.tsv"
PROGS="$OUT/programs.tsv"  # per round and program: eBPF run time and runs
trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

MODES=(baseline floor)
[[ $EXPORT != none ]] && MODES+=(otelbpf)
[[ -n $COMPARE ]] && MODES+=(otelbpf-compare)
[[ $EXPORT != otlp ]] && MODES+=(otelbpf-noexport)
if ((WITH_CLOSE)); then
  for m in "${MODES[@]}"; do MODES+=("$m-close"); done
fi

bench_warn_foreign_bpf
FOREIGN_TP=$(bpftool prog show -j 2>/dev/null | python3 "$BENCH_LIB_DIR/bpf_stats.py" tracepoints)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- The service and the OTLP sink live for the whole run (idle in the modes that do not use them).
SERVICE_PORT=$(bench_free_port)
if [[ $SERVICE == nginx ]]; then
  bench_start_nginx "$WORK/nginx" "$SERVICE_PORT" "$WORKERS" 4096 "$TLS"
  # Workers serve the requests; the master only forks them.
  read -r -a SERVICE_PIDS <<<"$(bench_nginx_workers "$NGINX_PID")"
  ((${#SERVICE_PIDS[@]})) || bench_die "nginx has no workers"
elif [[ $SERVICE == go ]]; then
  WORKERS=1  # one process; goroutines on as many threads as there are CPUs
  bench_start_go_hello "$WORK/go" "$SERVICE_PORT" "$TLS"
  SERVICE_PIDS=("$GOHELLO_PID")
else
  [[ -n $TLS ]] && bench_die "--tls: with --service nginx or go"
  WORKERS=1  # one process, one thread per connection
  bench_start_python_hello "$WORK/python_hello.log" "$SERVICE_PORT"
  SERVICE_PIDS=("$PYHELLO_PID")
fi
URL="http${TLS:+s}://127.0.0.1:$SERVICE_PORT/"
[[ $(curl -sk "$URL") == hello ]] || bench_die "$SERVICE does not answer hello on $URL"

bench_start_sink "$WORK/sink.log"
# Our own Prometheus port: the default 9464 may belong to someone else's agent, and a taken
# port would silently make some rounds cheaper (the endpoint is disabled with a warning).
PROM_PORT=$(bench_free_port)

((BPF_STATS)) && bench_enable_bpf_stats

service_ticks() {
  local t=0 w
  for w in "${SERVICE_PIDS[@]}"; do t=$((t + $(bench_cpu_ticks "$w"))); done
  echo "$t"
}

run_wrk() {  # close? -> prints "rps requests errors wrk_cpu_us"
  python3 - "$1" "$THREADS" "$CONNECTIONS" "$DURATION" "$URL" "$WORK/wrk.log" <<'PY'
import re, resource, subprocess, sys
close, threads, conns, duration, url, log = sys.argv[1:]
cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s"]
if close == "1":
    cmd += ["-H", "Connection: close"]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
after = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(log, "a") as f:
    f.write(out)
cpu_us = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1e6
rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
req = re.search(r"(\d+) requests in", out)
errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errs += int(non2xx.group(1)) if non2xx else 0
print(rps.group(1) if rps else 0, req.group(1) if req else 0, errs, int(cpu_us))
PY
}

# nginx_ticks is the service's CPU (nginx workers or the Python server).
bench_rounds_headers "$RESULTS" "$PROGS"

# Warm-up (discarded): caches, the service, wrk, CPU frequency.
run_wrk 0 >/dev/null

TICK_HZ=$(getconf CLK_TCK)
NMODES=${#MODES[@]}
bench_log "rounds=$ROUNDS duration=${DURATION}s modes=${MODES[*]} results=$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  for ((s = 0; s < NMODES; s++)); do
    mode=${MODES[(s + r - 1) % NMODES]}
    close=0
    [[ $mode == *-close ]] && close=1
    kind=${mode%-close}
    AGENT_PID=""
    alog="$WORK/agent-r$r-$mode.log"
    case $kind in
      floor) bench_start_agent "$alog" 60 "$OTELBPF" floor ;;
      otelbpf | otelbpf-compare)
        binary=$OTELBPF
        [[ $kind == otelbpf-compare ]] && binary=$COMPARE
        # shellcheck disable=SC2086
        bench_start_agent "$alog" 60 env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
          OTEL_EXPORTER_PROMETHEUS_PORT="$PROM_PORT" "$binary" run --output none $AGENT_ARGS ;;
      otelbpf-noexport)
        # No endpoint at all (also none inherited from the caller's environment).
        # shellcheck disable=SC2086
        bench_start_agent "$alog" 60 env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
          -u OTEL_EXPORTER_OTLP_METRICS_ENDPOINT OTEL_EXPORTER_PROMETHEUS_PORT="$PROM_PORT" \
          "$OTELBPF" run --output none $AGENT_ARGS ;;
    esac
    sleep "$SETTLE"
    bench_recheck_bpf_stats "round $r $mode"
    bench_round_begin "$WORK" service_ticks
    read -r rps requests errors wrk_us <<<"$(run_wrk "$close")"
    n1=$(service_ticks)
    sleep "$SETTLE"  # the agent drains what is still queued
    bench_round_end "$WORK" "$PROGS" "$r" "$mode" "$requests"
    counters=0  # the floor agent prints no exit counters
    [[ $kind == otelbpf* ]] && counters=1
    bench_round_agent_exit "$alog" "round $r: the $mode agent" "$counters"
    bench_round_row "$RESULTS" "$r" "$s" "$mode" "$rps" "$requests" "$errors" $((n1 - ROUND_N0)) "$wrk_us"
    bench_log "round $r/$ROUNDS $mode: $rps req/s"
  done
done

bench_restore_bpf_stats

python3 "$BENCH_LIB_DIR/summarize_overhead.py" "$RESULTS" \
  --tick-hz "$TICK_HZ" --kernel "$(uname -r)" --cpus "$(nproc)" --workers "$WORKERS" --service "$SERVICE${TLS:+ over TLS}" \
  --wrk "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s" --rounds "$ROUNDS" --bpf-stats "$BPF_STATS" \
  --agent-args="$AGENT_ARGS" --foreign-tracepoints "$FOREIGN_TP" --programs "$PROGS" \
  --loadavg "start $LOAD_START, end $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
bench_log "raw rounds: $RESULTS; logs: $WORK"
