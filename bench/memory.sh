#!/usr/bin/env bash
# otelbpf memory benchmark: resident memory of the agent and kernel memory of its eBPF maps.
#
# One agent (`otelbpf run --output none`, spans exported over OTLP/HTTP to a discarding sink,
# as in bench/overhead.sh) watches nginx "hello" on 127.0.0.1 through these phases:
#   idle       ready, nothing happening (after SETTLE seconds)
#   wrk-load   wrk -t1 -c50 for DURATION seconds (RSS sampled every 0.2 s; max reported)
#   after-load idle again
#   held       a Python client holds N (default 10000) keep-alive connections open, one request
#              answered on each: the agent tracks 2N connections (nginx SERVER + client CLIENT)
#   held-idle  the same connections 3 s later: idle for two of the agent's housekeeping passes,
#              they rest (ConnectionParser::Rest) and the freed heap is given back
#   released   the client closed them all (SETTLE seconds later)
# RSS = VmRSS of the agent (/proc/PID/status), split into anon (its heap), file (libraries and
# mapped eBPF maps) and the ring buffer's mapping; peak = VmHWM. Map memory = bytes_memlock of
# every map the agent holds (bpftool map show -j, matched through /proc/PID/fdinfo).
# Targets: RSS <= 40 MiB with 10k connections, maps <= 64 MiB. Prints figures, never asserts.
#
# Usage: sudo bench/memory.sh [--connections N] [--duration S] [--agent-args "ARGS"]
#          [--otelbpf PATH] [--out DIR]
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

HOLD=${HOLD:-10000}
DURATION=${DURATION:-5}
OTELBPF=${OTELBPF:-$BENCH_DEFAULT_OTELBPF}
AGENT_ARGS=""
OUT=""
SETTLE=2

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
while (($#)); do
  case $1 in
    --connections) HOLD=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --agent-args) AGENT_ARGS=$2; shift ;;
    --otelbpf) OTELBPF=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
  shift
done

bench_require_root
bench_require_tools nginx wrk bpftool python3
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF"

WORK=$(mktemp -d /tmp/otelbpf-memory.XXXXXX)
bench_use_fresh_store "$WORK"
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

# Both ends of N connections live on this machine: nginx and the client each need N fds (each
# process has its own limit, so N + some spare fits under a hard limit of 20000).
NOFILE=$((HOLD + 1024))
HARD=$(ulimit -Hn)
if [[ $HARD != unlimited ]] && ((NOFILE > HARD)); then
  ulimit -Hn "$NOFILE" 2>/dev/null || bench_die "need $NOFILE open files per process; the hard limit is $HARD (and no CAP_SYS_RESOURCE to raise it)"
fi
ulimit -n "$NOFILE"
bench_warn_foreign_bpf

NGINX_PORT=$(bench_free_port)
bench_start_nginx "$WORK/nginx" "$NGINX_PORT" 1 $((HOLD + 1024))
URL="http://127.0.0.1:$NGINX_PORT/"

bench_start_sink "$WORK/sink.log"

ALOG="$WORK/agent.log"
# shellcheck disable=SC2086
bench_start_agent "$ALOG" 60 env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
  "$OTELBPF" run --output none $AGENT_ARGS

declare -A RSS ANON FILE BPFMAP PEAK
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
phase() {  # name
  kill -0 "$AGENT_PID" 2>/dev/null || { tail -5 "$ALOG" >&2; bench_die "the agent exited before phase $1 (killed by someone else?)"; }
  read -r "RSS[$1]" "ANON[$1]" "FILE[$1]" "BPFMAP[$1]" "PEAK[$1]" <<<"$(python3 "$BENCH_LIB_DIR/rss.py" "$AGENT_PID")"
  bench_log "$1: agent RSS $(mib "${RSS[$1]}") MiB, anon $(mib "${ANON[$1]}") MiB (peak RSS so far $(mib "${PEAK[$1]}") MiB)"
}

sleep "$SETTLE"
phase idle
read -r MAP_BYTES MAP_COUNT <<<"$(bench_bpf_map_memory "$AGENT_PID" "$OUT/maps.txt")"

# --- wrk load; sample RSS while it runs.
wrk -t1 -c50 -d"${DURATION}s" "$URL" >"$WORK/wrk.log" 2>&1 &
WRK_PID=$!
BENCH_PIDS+=("$WRK_PID")
MAX_LOAD=0 MAX_LOAD_ANON=0
while kill -0 "$WRK_PID" 2>/dev/null; do
  read -r r a _ <<<"$(python3 "$BENCH_LIB_DIR/rss.py" "$AGENT_PID")"
  ((r > MAX_LOAD)) && MAX_LOAD=$r
  ((a > MAX_LOAD_ANON)) && MAX_LOAD_ANON=$a
  sleep 0.2
done
wait "$WRK_PID" || true
bench_stop_pid "$WRK_PID" 1  # already gone: just forgets it
RPS=$(sed -n 's/^Requests\/sec: *//p' "$WORK/wrk.log")
phase load-end
RSS[wrk-load]=$MAX_LOAD ANON[wrk-load]=$MAX_LOAD_ANON FILE[wrk-load]=${FILE[load-end]}
BPFMAP[wrk-load]=${BPFMAP[load-end]} PEAK[wrk-load]=${PEAK[load-end]}
sleep "$SETTLE"
phase after-load

# --- N connections held open.
python3 "$BENCH_LIB_DIR/hold_connections.py" "$NGINX_PORT" "$HOLD" >"$WORK/hold.log" 2>&1 &
HOLD_PID=$!
BENCH_PIDS+=("$HOLD_PID")
for _ in $(seq 1200); do
  grep -q '^held' "$WORK/hold.log" && break
  kill -0 "$HOLD_PID" 2>/dev/null || { cat "$WORK/hold.log" >&2; bench_die "connection holder died"; }
  sleep 0.1
done
HELD_LINE=$(grep '^held' "$WORK/hold.log" || echo "held 0 ok=0 failed=$HOLD")
bench_log "$HELD_LINE"
sleep "$SETTLE"
phase held
read -r MAP_BYTES_HELD _ <<<"$(bench_bpf_map_memory "$AGENT_PID")"
sleep 3
phase held-idle

bench_stop_pid "$HOLD_PID" 30
sleep "$SETTLE"
phase released

bench_stop_pid "$AGENT_PID" 60
CONNS=$(grep -o 'connections=[0-9]*' "$ALOG" | tail -1 | cut -d= -f2)
REJECTED=$(grep -o 'rejected=[0-9]*' "$ALOG" | tail -1 | cut -d= -f2)
SPANS=$(grep -o ' spans=[0-9]*' "$ALOG" | tail -1 | cut -d= -f2)
RBFULL=$(grep -o 'ringbuf_full=[0-9]*' "$ALOG" | tail -1 | cut -d= -f2)

verdict() {  # value_kib target_mib
  awk -v v="$1" -v t="$2" 'BEGIN { print (v / 1024 <= t) ? "meets" : "MISSES" }'
}
{
  echo
  echo "== otelbpf memory =="
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ) kernel=$(uname -r) cpus=$(nproc) held_connections=$HOLD agent_args=\"$AGENT_ARGS\""
  echo
  printf '%-12s %9s %10s %10s %12s %13s %10s\n' phase "RSS MiB" "anon MiB" "file MiB" "ringbuf MiB" "RSS-ringbuf" "peak MiB"
  for p in idle wrk-load after-load held held-idle released; do
    printf '%-12s %9s %10s %10s %12s %13s %10s\n' "$p" "$(mib "${RSS[$p]}")" "$(mib "${ANON[$p]}")" \
      "$(mib "${FILE[$p]}")" "$(mib "${BPFMAP[$p]}")" "$(mib $((RSS[$p] - BPFMAP[$p])))" "$(mib "${PEAK[$p]}")"
  done
  echo "(anon = heap+stacks of the agent; file = shared libraries + mapped eBPF maps; ringbuf = the"
  echo " ring buffer mapped into the agent (data pages mapped twice by libbpf): kernel memory, also in"
  echo " the map figure below. wrk-load RSS/anon = max of 0.2 s samples.)"
  echo
  echo "held: $HELD_LINE (agent tracks both ends: ~$((HOLD * 2)) connections)"
  echo "wrk-load: wrk -t1 -c50 -d${DURATION}s, ${RPS:-?} req/s; RSS is the max of 0.2 s samples"
  echo "agent exit: connections=${CONNS:-?} rejected=${REJECTED:-?} spans=${SPANS:-?} ringbuf_full=${RBFULL:-?}"
  echo "rss_at_${HOLD}_connections_mib=$(mib "${RSS[held]}") target=40 $(verdict "${RSS[held]}" 40)" \
    "(without the ring-buffer mapping: $(mib $((RSS[held] - BPFMAP[held]))) $(verdict $((RSS[held] - BPFMAP[held])) 40);" \
    "anon only: $(mib "${ANON[held]}"))"
  echo "rss_at_${HOLD}_idle_connections_mib=$(mib "${RSS[held-idle]}") target=40 $(verdict "${RSS[held-idle]}" 40)" \
    "(anon only: $(mib "${ANON[held-idle]}"); the connections idle 3 s longer, so they rest)"
  echo "anon_growth_per_held_connection_bytes=$(( (ANON[held] - ANON[after-load]) * 1024 / (HOLD > 0 ? HOLD : 1) ))" \
    "(per tracked connection: $(( (ANON[held] - ANON[after-load]) * 1024 / (HOLD > 0 ? 2 * HOLD : 1) )); from after-load to held)"
  echo "ebpf_maps_mib=$(awk -v b="$MAP_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') maps=$MAP_COUNT" \
    "(with connections held: $(awk -v b="$MAP_BYTES_HELD" 'BEGIN { printf "%.1f", b / 1048576 }'))" \
    "target=64 $(verdict $((MAP_BYTES / 1024)) 64)"
  echo "per map (name type max_entries bytes_memlock):"
  sed 's/^map /  /' "$OUT/maps.txt"
} | tee "$OUT/summary.txt"
bench_log "logs: $WORK"
