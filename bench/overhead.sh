#!/usr/bin/env bash
# otelbpf overhead benchmark: what does the agent cost a busy HTTP server?
#
# nginx answers "hello" on 127.0.0.1 under wrk, in three modes interleaved round by round:
#   baseline  nothing attached
#   floor     `otelbpf floor`: empty eBPF programs on exactly the tracepoints `run` uses
#   otelbpf   `otelbpf run --output none`, every span exported over OTLP/HTTP to a discarding sink
# Each round runs every mode once (order rotated each round), so slow drifts of this noisy
# machine hit all modes alike. Reported: median req/s per mode, the per-round ratio to the
# same round's baseline (median, min..max, IQR), CPU per request (nginx, agent, sink), eBPF
# run time per request, events lost and spans produced vs requests served.
#
# Usage: sudo bench/overhead.sh [--rounds N] [--duration S] [--connections C] [--threads T]
#          [--workers W] [--close] [--agent-args "ARGS"] [--otelbpf PATH] [--out DIR]
#          [--no-bpf-stats]
# Env: ROUNDS, DURATION, CONNECTIONS, OTELBPF (same as the options). OTEL_BSP_* and other
# OTEL_* variables in the environment reach the agent unchanged.
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
    --agent-args) AGENT_ARGS=$2; shift ;;
    --otelbpf) OTELBPF=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-bpf-stats) BPF_STATS=0 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
  shift
done

bench_require_root
bench_require_tools nginx wrk bpftool python3 sysctl
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF (build it: cmake -S /work/main -B /work/build-bench && make -C /work/build-bench -j2 otelbpf)"

WORK=$(mktemp -d /tmp/otelbpf-overhead.XXXXXX)
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
RESULTS="$OUT/rounds.tsv"
PROGS="$OUT/programs.tsv"  # per round and program: eBPF run time and runs
trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

MODES=(baseline floor otelbpf)
((WITH_CLOSE)) && MODES+=(baseline-close floor-close otelbpf-close)

bench_warn_foreign_bpf
FOREIGN_TP=$(bpftool prog show -j 2>/dev/null | python3 "$BENCH_LIB_DIR/bpf_stats.py" tracepoints)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- nginx and the OTLP sink live for the whole run (idle in the modes that do not use them).
NGINX_PORT=$(bench_free_port)
bench_start_nginx "$WORK/nginx" "$NGINX_PORT" "$WORKERS" 4096
read -r -a NGINX_WORKERS <<<"$(bench_nginx_workers "$NGINX_PID")"
((${#NGINX_WORKERS[@]})) || bench_die "nginx has no workers"
URL="http://127.0.0.1:$NGINX_PORT/"
[[ $(curl -s "$URL") == hello ]] || bench_die "nginx does not answer hello on $URL"

python3 "$BENCH_LIB_DIR/otlp_sink.py" 0 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
BENCH_PIDS+=("$SINK_PID")
for _ in $(seq 100); do grep -q 'sink ready' "$WORK/sink.log" && break; sleep 0.05; done
SINK_PORT=$(sed -n 's/^sink ready port=//p' "$WORK/sink.log")
[[ -n $SINK_PORT ]] || bench_die "OTLP sink did not start"

((BPF_STATS)) && bench_enable_bpf_stats

nginx_ticks() {
  local t=0 w
  for w in "${NGINX_WORKERS[@]}"; do t=$((t + $(bench_cpu_ticks "$w"))); done
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

printf 'round\tslot\tmode\trps\trequests\terrors\tnginx_ticks\tagent_ticks\tsink_ticks\tbpf_ns\tbpf_cnt\tbpf_progs\tringbuf_full\tevents_sent\trecords\tspans\texported\tdropped_queue_full\tdropped_export_failed\tvalid\twrk_cpu_us\n' >"$RESULTS"

printf 'round\tmode\trequests\tprogram\trun_time_ns\trun_cnt\n' >"$PROGS"

# Warm-up (discarded): caches, nginx, wrk, CPU frequency.
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
          "$OTELBPF" run --output none $AGENT_ARGS ;;
    esac
    sleep "$SETTLE"
    bpf0=(0 0 0)
    [[ -n $AGENT_PID ]] && read -r -a bpf0 <<<"$(bench_bpf_prog_stats "$AGENT_PID" "$WORK/progs.before")"
    n0=$(nginx_ticks)
    a0=0
    [[ -n $AGENT_PID ]] && a0=$(bench_cpu_ticks "$AGENT_PID")
    k0=$(bench_cpu_ticks "$SINK_PID")
    read -r rps requests errors wrk_us <<<"$(run_wrk "$close")"
    n1=$(nginx_ticks)
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
      if [[ $kind == otelbpf ]]; then
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
  --tick-hz "$TICK_HZ" --kernel "$(uname -r)" --cpus "$(nproc)" --workers "$WORKERS" \
  --wrk "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s" --rounds "$ROUNDS" --bpf-stats "$BPF_STATS" \
  --agent-args "$AGENT_ARGS" --foreign-tracepoints "$FOREIGN_TP" --programs "$PROGS" \
  --loadavg "start $LOAD_START, end $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
bench_log "raw rounds: $RESULTS; logs: $WORK"
