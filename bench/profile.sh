#!/usr/bin/env bash
# Where does the agent's CPU go? Runs the overhead benchmark's nginx "hello" under wrk with
# `otelbpf run` exporting every span to the discarding OTLP sink, records the agent with
# `perf record -g` for the middle of the load, and prints the hottest symbols (self and
# children) so docs/performance.md can quote them.
#
# Usage: sudo bench/profile.sh [--duration S] [--connections C] [--agent-args "ARGS"]
#          [--otelbpf PATH] [--out DIR] [--top N]
#   --top N    symbols printed per table (default 30)
# The perf data stays in OUT (perf.data) for `perf report -i OUT/perf.data`.
# Needs perf (Debian: linux-perf), wrk, nginx. Prints figures only; never asserts on them.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-50}
OTELBPF=${OTELBPF:-$BENCH_DEFAULT_OTELBPF}
AGENT_ARGS=""
OUT=""
TOP=30
ROUNDS=1     # accepted by bench_common_option, unused here
BPF_STATS=0

while (($#)); do
  case $1 in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --top) TOP=$2; shift 2 ;;
    *) bench_common_option "$@"; shift "$BENCH_OPT_USED" ;;
  esac
done

bench_require_root
bench_require_tools wrk nginx perf python3 curl
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF"

WORK=$(mktemp -d /tmp/otelbpf-profile.XXXXXX)
bench_use_fresh_store "$WORK"
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

PORT=$(bench_free_port)
bench_start_nginx "$WORK/nginx" "$PORT" 1 4096
bench_start_sink "$WORK/sink.log"
PROM_PORT=$(bench_free_port)
# shellcheck disable=SC2086
bench_start_agent "$OUT/agent.log" 60 env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
  OTEL_EXPORTER_PROMETHEUS_PORT="$PROM_PORT" "$OTELBPF" run --output none $AGENT_ARGS
sleep 0.5

wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$PORT/" >"$OUT/wrk.log" 2>&1 &
WRK_PID=$!
BENCH_PIDS+=("$WRK_PID")
sleep 1
before=$(bench_cpu_ticks "$AGENT_PID")
perf record -F 999 -g --call-graph dwarf,16384 -p "$AGENT_PID" -o "$OUT/perf.data" \
  -- sleep $((DURATION - 2)) >"$OUT/perf-record.log" 2>&1 || true
after=$(bench_cpu_ticks "$AGENT_PID")
wait "$WRK_PID" || true
bench_stop_pid "$AGENT_PID" 20

rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.log")
echo "== otelbpf agent profile =="
echo "date=$(date -u +%FT%RZ) load=\"wrk -t1 -c$CONNECTIONS -d${DURATION}s\" req/s=$rps agent_args=\"$AGENT_ARGS\""
echo "agent cpu during the recording: $(((after - before) * 1000 / $(getconf CLK_TCK))) ms in $((DURATION - 2)) s"
echo
echo "-- hottest symbols, self time (perf report --no-children) --"
perf report -i "$OUT/perf.data" --no-children --stdio --sort symbol -g none --percent-limit 0.5 2>/dev/null |
  grep -v "^#" | grep -v "^$" | sed "s/[[:space:]-]*$//" | cut -c1-150 | head -n "$TOP"
echo
echo "-- hottest symbols, with what they call (perf report --children) --"
perf report -i "$OUT/perf.data" --children --stdio --sort symbol -g none --percent-limit 2 2>/dev/null |
  grep -v "^#" | grep -v "^$" | sed "s/[[:space:]-]*$//" | cut -c1-150 | head -n "$TOP"
echo "# perf data: $OUT/perf.data (perf report -i $OUT/perf.data)"
