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
# Each round runs every mode once (order rotated each round), so slow drifts of this noisy
# machine hit all modes alike. Reported: median req/s per mode, the per-round ratio to the
# same round's baseline (median, min..max, IQR), CPU per request (service, agent, sink), eBPF
# run time per request, events lost and spans produced vs requests served.
#
# Usage: sudo bench/overhead.sh [--service nginx|python] [--export otlp|none|both] [--close]
#          [--rounds N] [--duration S] [--connections C] [--threads T] [--workers W]
#          [--agent-args "ARGS"] [--otelbpf PATH] [--out DIR] [--no-bpf-stats]
#   --service nginx   nginx "hello" (default; --workers sets worker_processes)
#   --service python  Python's http.server (ThreadingHTTPServer, bench/lib/python_hello.py)
#   --export otlp     otelbpf mode exports to the sink (default)
#   --export none     otelbpf-noexport mode only
#   --export both     both modes, so the report shows the price of export
#   --close           every mode again with `Connection: close` (a connection per request)
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
OTELBPF=${OTELBPF:-/work/build-bench/otelbpf}
AGENT_ARGS=""
WITH_CLOSE=0
BPF_STATS=1
OUT=""
SETTLE=0.5  # seconds between agent ready and load, and between load end and the last reading

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --close) WITH_CLOSE=1 ;;
    --service) SERVICE=$2; shift ;;
    --export) EXPORT=$2; shift ;;
    --agent-args) AGENT_ARGS=$2; shift ;;
    --otelbpf) OTELBPF=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-bpf-stats) BPF_STATS=0 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
  shift
done

[[ $SERVICE == nginx || $SERVICE == python ]] || { echo "--service: nginx or python, not '$SERVICE'" >&2; usage 2; }
[[ $EXPORT == otlp || $EXPORT == none || $EXPORT == both ]] || { echo "--export: otlp, none or both, not '$EXPORT'" >&2; usage 2; }
bench_require_root
bench_require_tools wrk bpftool python3 sysctl curl
[[ $SERVICE == nginx ]] && bench_require_tools nginx
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF (build it: cmake -S /work/main -B /work/build-bench && make -C /work/build-bench -j2 otelbpf)"

WORK=$(mktemp -d /tmp/otelbpf-overhead.XXXXXX)
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
RESULTS="$OUT/rounds.tsv"
PROGS="$OUT/programs.tsv"  # per round and program: eBPF run time and runs
trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

MODES=(baseline floor)
[[ $EXPORT != none ]] && MODES+=(otelbpf)
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
  bench_start_nginx "$WORK/nginx" "$SERVICE_PORT" "$WORKERS" 4096
  # Workers serve the requests; the master only forks them.
  read -r -a SERVICE_PIDS <<<"$(bench_nginx_workers "$NGINX_PID")"
  ((${#SERVICE_PIDS[@]})) || bench_die "nginx has no workers"
else
  WORKERS=1  # one process, one thread per connection
  bench_start_python_hello "$WORK/python_hello.log" "$SERVICE_PORT"
  SERVICE_PIDS=("$PYHELLO_PID")
fi
URL="http://127.0.0.1:$SERVICE_PORT/"
[[ $(curl -s "$URL") == hello ]] || bench_die "$SERVICE does not answer hello on $URL"

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

log_counter() {  # log key -> value (last occurrence) or -1
  local v
  v=$(grep -o "[ :]$2=[0-9]*" "$1" | tail -1 | sed 's/.*=//')
  echo "${v:--1}"
}

# nginx_ticks is the service's CPU (nginx workers or the Python server): the column keeps its
# first name so that older rounds.tsv files still summarize.
printf 'round\tslot\tmode\trps\trequests\terrors\tnginx_ticks\tagent_ticks\tsink_ticks\tbpf_ns\tbpf_cnt\tbpf_progs\tringbuf_full\tevents_sent\trecords\tspans\texported\tdropped_queue_full\tdropped_export_failed\tvalid\twrk_cpu_us\n' >"$RESULTS"

printf 'round\tmode\trequests\tprogram\trun_time_ns\trun_cnt\n' >"$PROGS"

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
      otelbpf)
        # shellcheck disable=SC2086
        bench_start_agent "$alog" 60 env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
          OTEL_EXPORTER_PROMETHEUS_PORT="$PROM_PORT" "$OTELBPF" run --output none $AGENT_ARGS ;;
      otelbpf-noexport)
        # No endpoint at all (also none inherited from the caller's environment).
        # shellcheck disable=SC2086
        bench_start_agent "$alog" 60 env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
          -u OTEL_EXPORTER_OTLP_METRICS_ENDPOINT OTEL_EXPORTER_PROMETHEUS_PORT="$PROM_PORT" \
          "$OTELBPF" run --output none $AGENT_ARGS ;;
    esac
    sleep "$SETTLE"
    # Someone else's benchmark or test may restore kernel.bpf_stats_enabled=0 mid-run (it is
    # machine-wide); run times would then read 0. Turn it back on, and say so.
    if ((BPF_STATS)) && [[ $(sysctl -n kernel.bpf_stats_enabled) != 1 ]]; then
      bench_log "WARNING: round $r $mode: kernel.bpf_stats_enabled was switched off by someone else; on again"
      sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null
    fi
    bpf0=(0 0 0)
    [[ -n $AGENT_PID ]] && read -r -a bpf0 <<<"$(bench_bpf_prog_stats "$AGENT_PID" "$WORK/progs.before")"
    n0=$(service_ticks)
    a0=0
    [[ -n $AGENT_PID ]] && a0=$(bench_cpu_ticks "$AGENT_PID")
    k0=$(bench_cpu_ticks "$SINK_PID")
    read -r rps requests errors wrk_us <<<"$(run_wrk "$close")"
    n1=$(service_ticks)
    sleep "$SETTLE"  # the agent drains what is still queued
    a1=0
    [[ -n $AGENT_PID ]] && a1=$(bench_cpu_ticks "$AGENT_PID")
    k1=$(bench_cpu_ticks "$SINK_PID")
    bpf1=(0 0 0)
    if [[ -n $AGENT_PID ]]; then
      read -r -a bpf1 <<<"$(bench_bpf_prog_stats "$AGENT_PID" "$WORK/progs.after")"
      python3 "$BENCH_LIB_DIR/bpf_stats.py" progs-diff "$WORK/progs.before" "$WORK/progs.after" |
        sed "s/^/$r\t$mode\t$requests\t/" >>"$PROGS"
    fi
    rb=-1 ev=-1 rec=-1 spans=-1 exp=-1 dq=-1 df=-1 valid=1
    if [[ -n $AGENT_PID ]] && ! kill -0 "$AGENT_PID" 2>/dev/null; then
      valid=0  # exited during the round (crash, or killed by someone else): the round is void
      bench_log "WARNING: round $r: the $mode agent exited during the round; round excluded. Log tail:"
      tail -3 "$alog" >&2
    fi
    if [[ -n $AGENT_PID ]]; then
      bench_stop_pid "$AGENT_PID" 60
      if [[ $kind == otelbpf* ]]; then
        rb=$(log_counter "$alog" ringbuf_full)
        ev=$(log_counter "$alog" events_sent)
        rec=$(log_counter "$alog" records)
        spans=$(log_counter "$alog" spans)
        exp=$(log_counter "$alog" exported)
        dq=$(log_counter "$alog" dropped_queue_full)
        df=$(log_counter "$alog" dropped_export_failed)
      fi
    fi
    printf '%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n' \
      "$r" "$s" "$mode" "$rps" "$requests" "$errors" $((n1 - n0)) $((a1 - a0)) $((k1 - k0)) \
      $((bpf1[0] - bpf0[0])) $((bpf1[1] - bpf0[1])) "${bpf1[2]}" "$rb" "$ev" "$rec" "$spans" "$exp" "$dq" "$df" "$valid" "$wrk_us" >>"$RESULTS"
    bench_log "round $r/$ROUNDS $mode: $rps req/s"
  done
done

if ((BPF_STATS)); then
  sysctl -q -w kernel.bpf_stats_enabled="$BENCH_SAVED_BPF_STATS" >/dev/null
  BENCH_SAVED_BPF_STATS=""
fi

python3 "$BENCH_LIB_DIR/summarize_overhead.py" "$RESULTS" \
  --tick-hz "$TICK_HZ" --kernel "$(uname -r)" --cpus "$(nproc)" --workers "$WORKERS" --service "$SERVICE" \
  --wrk "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s" --rounds "$ROUNDS" --bpf-stats "$BPF_STATS" \
  --agent-args="$AGENT_ARGS" --foreign-tracepoints "$FOREIGN_TP" --programs "$PROGS" \
  --loadavg "start $LOAD_START, end $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
bench_log "raw rounds: $RESULTS; logs: $WORK"
