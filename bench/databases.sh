#!/usr/bin/env bash
# otelbpf database benchmark: what does the agent cost database traffic? (bench/overhead.sh for HTTP)
#
# The script starts, on 127.0.0.1 ephemeral ports in a temp dir, and stops at exit:
#   redis       redis-server, no persistence (save "", appendonly no)
#   postgres    PostgreSQL (initdb + postgres as the `postgres` user via runuser, binaries from
#               /usr/lib/postgresql/<ver>/bin, trust auth on 127.0.0.1, fsync=off), `pgbench -i -s 1` once
# Loads (each in every mode, round by round):
#   redis       redis-benchmark -q -t set,get -n N -c C -P 1          throughput in ops/s (SET and GET)
#   postgres    pgbench -n -M prepared -S -c C -T S                    throughput in tps (1 SELECT each)
#               (-n: no vacuum before each run, so every measured query is a benchmark transaction)
# Modes, interleaved round by round (order rotated each round, so this noisy machine's drifts hit
# both alike):
#   baseline    nothing attached
#   otelbpf     `otelbpf run --output none`, every span (and the metrics) exported over OTLP/HTTP
#               to the discarding sink of bench/overhead.sh (bench/lib/otlp_sink.py)
# Reported per load (bench/lib/summarize_overhead.py, the HTTP bench's summary relabelled): median
# throughput per mode, the per-round ratio to the same round's baseline (median, min..max, IQR),
# CPU per operation (server, client, agent, sink: utime+stime from /proc, the client's from
# rusage), eBPF run time per operation (kernel.bpf_stats_enabled), events lost and spans produced
# vs operations (from the agent's exit counters). The server's CPU: redis-server's process
# (all threads); for postgres the postmaster, its living children and its reaped children
# (cutime+cstime: the pgbench backends exit at the end of each run).
#
# Usage: sudo bench/databases.sh [--loads redis,postgres] [--rounds N] [--duration S]
#          [--connections C] [--redis-clients C] [--pg-clients C] [--requests N]
#          [--agent-args "ARGS"] [--otelbpf PATH] [--pg-version V] [--out DIR] [--no-bpf-stats]
#   --loads L          comma-separated: redis, postgres (default both)
#   --rounds N         rounds, each running every mode of every load once (default 12)
#   --duration S       seconds per run: pgbench -T S; redis-benchmark -n is sized from a warm-up
#                      run so that a baseline run lasts about S (default 3)
#   --connections C    both loads' clients (default: redis 50, postgres 8)
#   --redis-clients C  redis-benchmark -c C;  --pg-clients C: pgbench -c C (one backend each)
#   --requests N       redis-benchmark -n N (per test: SET and GET each run N) instead of sizing
#   --otelbpf PATH     the agent binary (default: build/otelbpf of this checkout)
#   --pg-version V     PostgreSQL major version under /usr/lib/postgresql (default: the highest)
#   --out DIR          where rounds (redis.tsv, postgres.tsv) and summaries go (default: the temp dir)
# Env: ROUNDS, DURATION, OTELBPF (same as the options). OTEL_* variables reach the agent unchanged.
# Examples:
#   sudo bench/databases.sh                                   # both loads, 12 rounds, ~8 min
#   sudo bench/databases.sh --rounds 2 --duration 2           # smoke run of the script
#   sudo bench/databases.sh --loads postgres --pg-clients 4
# Prints figures only; never asserts on them.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

ROUNDS=${ROUNDS:-12}
DURATION=${DURATION:-3}
OTELBPF=${OTELBPF:-$BENCH_DEFAULT_OTELBPF}
LOADS=redis,postgres
REDIS_CLIENTS=50
PG_CLIENTS=8
REDIS_N=0
PG_VERSION=""
AGENT_ARGS=""
BPF_STATS=1
OUT=""
SETTLE=0.5  # seconds between agent ready and load, and between load end and the last reading

while (($#)); do
  case $1 in
    --loads) LOADS=$2; shift 2 ;;
    --connections) REDIS_CLIENTS=$2; PG_CLIENTS=$2; shift 2 ;;
    --redis-clients) REDIS_CLIENTS=$2; shift 2 ;;
    --pg-clients) PG_CLIENTS=$2; shift 2 ;;
    --requests) REDIS_N=$2; shift 2 ;;
    --pg-version) PG_VERSION=$2; shift 2 ;;
    *) bench_common_option "$@"; shift "$BENCH_OPT_USED" ;;
  esac
done

IFS=, read -r -a LOAD_LIST <<<"$LOADS"
for l in "${LOAD_LIST[@]}"; do
  [[ $l == redis || $l == postgres ]] || { echo "--loads: redis and/or postgres, not '$l'" >&2; bench_usage 2; }
done
bench_require_root
bench_require_tools bpftool python3 sysctl
[[ ,$LOADS, == *,redis,* ]] && bench_require_tools redis-server redis-benchmark
if [[ ,$LOADS, == *,postgres,* ]]; then
  bench_require_tools pgbench runuser
  id postgres >/dev/null 2>&1 || bench_die "no 'postgres' user to run the server as"
  if [[ -z $PG_VERSION ]]; then
    PG_VERSION=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -1)
  fi
  PGBIN=/usr/lib/postgresql/$PG_VERSION/bin
  [[ -n $PG_VERSION && -x $PGBIN/postgres && -x $PGBIN/initdb ]] || bench_die "no PostgreSQL under /usr/lib/postgresql/${PG_VERSION:-<ver>}/bin"
fi
[[ -x $OTELBPF ]] || bench_die "no agent binary at $OTELBPF (build it: cmake -S /work/main -B /work/main/build && make -C /work/main/build -j2 otelbpf)"

WORK=$(mktemp -d /tmp/otelbpf-databases.XXXXXX)
bench_use_fresh_store "$WORK"
chmod 755 "$WORK"  # the postgres user keeps its data dir and socket below
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
PGDATA=""

db_cleanup() {
  if [[ -n $PGDATA && -f $PGDATA/postmaster.pid ]]; then
    (cd "$WORK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1) || true
  fi
  bench_cleanup
  [[ -n $PGDATA ]] && rm -rf "$PGDATA"  # ~25 MB; the logs stay
  return 0
}
trap 'db_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

MODES=(baseline otelbpf)

bench_warn_foreign_bpf
FOREIGN_TP=$(bpftool prog show -j 2>/dev/null | python3 "$BENCH_LIB_DIR/bpf_stats.py" tracepoints)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Servers and the OTLP sink live for the whole run (idle in the modes or loads not running).
if [[ ,$LOADS, == *,redis,* ]]; then
  REDIS_PORT=$(bench_free_port)
  mkdir -p "$WORK/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
    --dir "$WORK/redis" --logfile "$WORK/redis/redis.log" >/dev/null 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  bench_wait_listening "$REDIS_PORT" 10 || { cat "$WORK/redis/redis.log" >&2; bench_die "redis-server did not start"; }
fi

if [[ ,$LOADS, == *,postgres,* ]]; then
  PG_PORT=$(bench_free_port)
  mkdir -p "$WORK/pg"
  chown postgres: "$WORK/pg"
  PGDATA=$WORK/pg/data
  pg_as() { (cd "$WORK" && runuser -u postgres -- "$@"); }
  pg_as "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-sync >"$WORK/pg/initdb.log" 2>&1 ||
    { tail -20 "$WORK/pg/initdb.log" >&2; bench_die "initdb failed"; }
  cat >>"$PGDATA/postgresql.conf" <<CONF
# bench/databases.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/pg'
max_connections = $((PG_CLIENTS + 20))
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
CONF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PGDATA/pg_hba.conf"
  pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/postgres.log" -w -t 60 start >/dev/null ||
    { tail -20 "$WORK/pg/postgres.log" >&2; bench_die "postgres did not start"; }
  PG_PID=$(head -1 "$PGDATA/postmaster.pid")
  PGCONN=(-h 127.0.0.1 -p "$PG_PORT" -U postgres)
  pgbench -i -s 1 -q "${PGCONN[@]}" postgres >"$WORK/pg/pgbench-init.log" 2>&1 ||
    { tail -20 "$WORK/pg/pgbench-init.log" >&2; bench_die "pgbench -i failed"; }
fi

bench_start_sink "$WORK/sink.log"
# Our own Prometheus port: the default 9464 may belong to someone else's agent.
PROM_PORT=$(bench_free_port)

((BPF_STATS)) && bench_enable_bpf_stats

# utime+stime+cutime+cstime of the postmaster plus utime+stime of its living children: the
# backends serving pgbench exit (and are reaped into cutime/cstime) when pgbench disconnects.
pg_ticks() {
  local stat f t kids k
  stat=$(cat "/proc/$PG_PID/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  t=$((f[11] + f[12] + f[13] + f[14]))
  kids=$(cat "/proc/$PG_PID/task/$PG_PID/children" 2>/dev/null || true)
  for k in $kids; do t=$((t + $(bench_cpu_ticks "$k"))); done
  echo "$t"
}

server_ticks() {  # load
  if [[ $1 == redis ]]; then bench_cpu_ticks "$REDIS_PID"; else pg_ticks; fi
}

# load -> prints "rate ops errors client_cpu_us" (client CPU from rusage: the load tool only)
run_load() {
  local cmd
  if [[ $1 == redis ]]; then
    cmd=(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -q -t "set,get" -n "$REDIS_N" -c "$REDIS_CLIENTS" -P 1)
  else
    cmd=(pgbench "${PGCONN[@]}" -n -M prepared -S -c "$PG_CLIENTS" -T "$DURATION" postgres)
  fi
  python3 - "$1" "$WORK/$1-load.log" "${cmd[@]}" <<'PY'
import re, resource, subprocess, sys
load, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
out = p.stdout
with open(log, "a") as f:
    f.write(" ".join(cmd) + "\n" + out + "\n")
cpu_us = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1e6
errors = 0 if p.returncode == 0 else 1
if load == "redis":
    # -q prints progress lines ending in \r, then "SET: 91324.20 requests per second, p50=..."
    rps = {}
    for line in re.split(r"[\r\n]+", out):
        m = re.match(r"\s*(SET|GET): ([\d.]+) requests per second", line)
        if m:
            rps[m.group(1)] = float(m.group(2))
        elif "error" in line.lower():
            errors += 1
    n = int(cmd[cmd.index("-n") + 1])
    if len(rps) == 2 and all(rps.values()):
        # Both tests, N operations each: the rate of the 2N operations over their summed time.
        rate, ops = 2 / (1 / rps["SET"] + 1 / rps["GET"]), 2 * n
    else:
        rate, ops, errors = 0, 0, errors + 1
else:
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    rate = float(tps.group(1)) if tps else 0
    ops = int(done.group(1)) if done else 0
    errors += int(failed.group(1)) if failed else 0
print(f"{rate:.2f}", ops, errors, int(cpu_us))
PY
}

# Same columns as bench/overhead.sh's rounds.tsv, so its summarizer reads them: rps is the
# throughput (ops/s or tps), requests the operations, nginx_ticks the server's CPU and
# wrk_cpu_us the load generator's.
for l in "${LOAD_LIST[@]}"; do
  bench_rounds_headers "$OUT/$l.tsv" "$OUT/$l-programs.tsv"
done

# Warm-up (discarded): caches, the servers, the clients, CPU frequency. For redis it also sizes
# -n so that a baseline run lasts about --duration.
for l in "${LOAD_LIST[@]}"; do
  if [[ $l == redis ]]; then
    sized=$REDIS_N
    ((sized > 0)) || REDIS_N=50000
    read -r rate _ <<<"$(run_load redis)"
    if ((sized == 0)); then
      REDIS_N=$(python3 -c "print(max(10000, int($rate * $DURATION / 2 / 1000) * 1000))")
    fi
    bench_log "redis warm-up: $rate ops/s; redis-benchmark -n $REDIS_N"
  else
    read -r rate _ <<<"$(run_load postgres)"
    bench_log "postgres warm-up: $rate tps"
  fi
done

TICK_HZ=$(getconf CLK_TCK)
NMODES=${#MODES[@]}
bench_log "rounds=$ROUNDS duration=${DURATION}s loads=${LOAD_LIST[*]} modes=${MODES[*]} out=$OUT"
for ((r = 1; r <= ROUNDS; r++)); do
  for l in "${LOAD_LIST[@]}"; do
    for ((s = 0; s < NMODES; s++)); do
      mode=${MODES[(s + r - 1) % NMODES]}
      AGENT_PID=""
      alog="$WORK/agent-$l-r$r-$mode.log"
      if [[ $mode == otelbpf ]]; then
        # shellcheck disable=SC2086
        bench_start_agent "$alog" 60 env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
          OTEL_EXPORTER_PROMETHEUS_PORT="$PROM_PORT" "$OTELBPF" run --output none $AGENT_ARGS
      fi
      sleep "$SETTLE"
      bench_recheck_bpf_stats "round $r $l $mode"
      bench_round_begin "$WORK" server_ticks "$l"
      read -r rate ops errors client_us <<<"$(run_load "$l")"
      sleep "$SETTLE"  # the agent drains what is still queued; postgres reaps the backends
      n1=$(server_ticks "$l")
      bench_round_end "$WORK" "$OUT/$l-programs.tsv" "$r" "$mode" "$ops"
      bench_round_agent_exit "$alog" "round $r $l: the agent" 1
      bench_round_row "$OUT/$l.tsv" "$r" "$s" "$mode" "$rate" "$ops" "$errors" $((n1 - ROUND_N0)) "$client_us"
      bench_log "round $r/$ROUNDS $l $mode: $rate $([[ $l == redis ]] && echo ops/s || echo tps)"
    done
  done
done

bench_restore_bpf_stats

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
for l in "${LOAD_LIST[@]}"; do
  if [[ $l == redis ]]; then
    labels=(--service redis --client redis-benchmark --rate ops/s --unit op --noun operation --workers 1
      --wrk "redis-benchmark -q -t set,get -n $REDIS_N -c $REDIS_CLIENTS -P 1")
  else
    labels=(--service postgres --client pgbench --rate tps --unit tx --noun transaction --workers "$PG_CLIENTS"
      --wrk "pgbench -n -M prepared -S -c $PG_CLIENTS -T $DURATION (scale 1, PostgreSQL $PG_VERSION)")
  fi
  python3 "$BENCH_LIB_DIR/summarize_overhead.py" "$OUT/$l.tsv" --title "otelbpf database overhead: $l" "${labels[@]}" \
    --tick-hz "$TICK_HZ" --kernel "$(uname -r)" --cpus "$(nproc)" --rounds "$ROUNDS" --bpf-stats "$BPF_STATS" \
    --agent-args="$AGENT_ARGS" --foreign-tracepoints "$FOREIGN_TP" --programs "$OUT/$l-programs.tsv" \
    --loadavg "start $LOAD_START, end $LOAD_END" | tee "$OUT/$l-summary.txt"
done
bench_log "raw rounds: $OUT/{${LOADS}}.tsv; logs: $WORK"
