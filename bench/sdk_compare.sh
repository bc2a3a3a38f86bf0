#!/usr/bin/env bash
# otelbpf against the OpenTelemetry SDK a user would otherwise add: the same small Node.js `http`
# service (bench/lib/node_hello.js) under wrk, in these modes interleaved round by round:
#   baseline  the service untouched, nothing attached
#   sdk       the service with the official OpenTelemetry JS SDK loaded (`node --require
#             bench/lib/node-sdk/otel_sdk.js`: NodeSDK + HTTP instrumentation + OTLP/HTTP protobuf
#             exporter, batch processor defaults), exporting to the discarding OTLP sink
#   otelbpf   the service untouched, `otelbpf run --exe node --output none` exporting to the sink
# Both tracing modes produce one SERVER span per request. Reported per mode: median req/s, the
# per-round ratio to the same round's baseline (median), and CPU per request of the service,
# the agent and the sink (and their total), with the cpu ratio (baseline total / mode total).
#
# Usage: sudo bench/sdk_compare.sh [--rounds N] [--duration S] [--connections C]
#          [--otelbpf PATH] [--out DIR]
# Needs node and npm (the SDK is installed from the npm registry into bench/lib/node-sdk on
# first use, versions pinned by its package-lock.json), wrk, python3. Prints figures only.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

ROUNDS=${ROUNDS:-8}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-20}
OTELBPF=${OTELBPF:-$BENCH_DEFAULT_OTELBPF}
AGENT_ARGS=""
OUT=""
BPF_STATS=0
while (($#)); do
  case $1 in
    --connections) CONNECTIONS=$2; shift 2 ;;
    *) bench_common_option "$@"; shift "$BENCH_OPT_USED" ;;
  esac
done

bench_require_root
bench_require_tools wrk node npm python3
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF"
SDK_DIR="$BENCH_DIR/lib/node-sdk"
if [[ ! -d $SDK_DIR/node_modules ]]; then
  bench_log "installing the OpenTelemetry JS SDK into $SDK_DIR (npm ci)"
  (cd "$SDK_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1) || bench_die "npm ci failed in $SDK_DIR"
fi

WORK=$(mktemp -d /tmp/otelbpf-sdk-compare.XXXXXX)
bench_use_fresh_store "$WORK"
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
ROWS="$OUT/rounds.tsv"
printf 'round\tmode\trps\trequests\tservice_ticks\tagent_ticks\tsink_ticks\n' >"$ROWS"
trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

bench_start_sink "$WORK/sink.log"
ENDPOINT="http://127.0.0.1:$SINK_PORT"
MODES=(baseline sdk otelbpf)

run_mode() {  # round mode
  local r=$1 mode=$2 port node_args=() agent="" prom
  port=$(bench_free_port)
  [[ $mode == sdk ]] && node_args=(--require "$SDK_DIR/otel_sdk.js")
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$ENDPOINT/v1/traces" OTEL_METRICS_EXPORTER=none \
    OTEL_LOGS_EXPORTER=none node "${node_args[@]}" "$BENCH_DIR/lib/node_hello.js" "$port" \
    >"$WORK/node-$r-$mode.log" 2>&1 &
  local node_pid=$!
  BENCH_PIDS+=("$node_pid")
  bench_wait_listening "$port" 20 || bench_die "node_hello did not start ($mode)"
  if [[ $mode == otelbpf ]]; then
    prom=$(bench_free_port)
    # shellcheck disable=SC2086
    bench_start_agent "$WORK/agent-$r.log" 60 env OTEL_EXPORTER_OTLP_ENDPOINT="$ENDPOINT" \
      OTEL_EXPORTER_PROMETHEUS_PORT="$prom" "$OTELBPF" run --exe node --output none $AGENT_ARGS
    agent=$AGENT_PID
  fi
  wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1  # warm-up (JIT)
  local s0 a0=0 k0 s1 a1=0 k1
  s0=$(bench_cpu_ticks "$node_pid"); k0=$(bench_cpu_ticks "$SINK_PID")
  [[ -n $agent ]] && a0=$(bench_cpu_ticks "$agent")
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$port/" >"$WORK/wrk-$r-$mode.log" 2>&1
  s1=$(bench_cpu_ticks "$node_pid"); k1=$(bench_cpu_ticks "$SINK_PID")
  [[ -n $agent ]] && a1=$(bench_cpu_ticks "$agent")
  local rps requests
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$r-$mode.log")
  requests=$(awk '/requests in/ {print $1}' "$WORK/wrk-$r-$mode.log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$mode" "$rps" "$requests" $((s1 - s0)) \
    $((a1 - a0)) $((k1 - k0)) >>"$ROWS"
  bench_log "round $r/$ROUNDS $mode: $rps req/s"
  [[ -n $agent ]] && bench_stop_pid "$agent" 20
  bench_stop_pid "$node_pid" 10
}

for ((r = 1; r <= ROUNDS; r++)); do
  for ((i = 0; i < ${#MODES[@]}; i++)); do
    run_mode "$r" "${MODES[(i + r) % ${#MODES[@]}]}"
  done
done

python3 - "$ROWS" "$(getconf CLK_TCK)" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
tck = float(sys.argv[2])
by = {}
for r in rows:
    by.setdefault(r["round"], {})[r["mode"]] = r
def us(r, key):
    return float(r[key]) / tck * 1e6 / max(float(r["requests"]), 1)
print(f"== otelbpf vs the OpenTelemetry SDK (Node.js http 'hello') ==")
print(f"rounds={sys.argv[3]} duration={sys.argv[4]}s load=\"wrk -t1 -c{sys.argv[5]}\"")
print(f"{'mode':10} {'req/s med':>10} {'ratio med':>10} {'service us/req':>15} {'agent us/req':>13} "
      f"{'sink us/req':>12} {'total us/req':>13} {'cpu ratio':>10}")
for mode in ("baseline", "sdk", "otelbpf"):
    rps, ratio, svc, agent, sink, total, cpu = [], [], [], [], [], [], []
    for rnd in by.values():
        if mode not in rnd or "baseline" not in rnd: continue
        m, b = rnd[mode], rnd["baseline"]
        rps.append(float(m["rps"])); ratio.append(float(m["rps"]) / float(b["rps"]))
        t = us(m, "service_ticks") + us(m, "agent_ticks") + us(m, "sink_ticks")
        tb = us(b, "service_ticks") + us(b, "agent_ticks") + us(b, "sink_ticks")
        svc.append(us(m, "service_ticks")); agent.append(us(m, "agent_ticks"))
        sink.append(us(m, "sink_ticks")); total.append(t); cpu.append(tb / t if t else 0)
    med = statistics.median
    print(f"{mode:10} {med(rps):>10.0f} {med(ratio):>10.3f} {med(svc):>15.2f} {med(agent):>13.2f} "
          f"{med(sink):>12.2f} {med(total):>13.2f} {med(cpu):>10.3f}")
print("ratio = req/s / the same round's baseline req/s; us/req = utime+stime / requests served;")
print("cpu ratio = baseline total us/req / mode total us/req, per round (median).")
PY
echo "# raw rounds: $ROWS; logs: $WORK"
