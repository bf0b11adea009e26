#!/usr/bin/env bash
# Load-tests the RESP sample against Redis 7 and Garnet with redis-benchmark (issue 8, "Benchmarks").
#
#   build/bench-redis.sh [--servers "reactor sockets threadpool redis garnet"] [--seconds 6] [--out docs/redis-benchmark]
#                        [--server-cpu 0] [--client-cpu 1] [--cores 1] [--no-install]
#
# Each server runs alone, pinned with taskset to the server CPU, with redis-benchmark pinned to the client CPU, on
# loopback. For each server: SET then GET, unpipelined and with -P 16, at 16 and 256 connections. Every run is bounded:
# a short calibration run sizes -n for about --seconds, and `timeout` caps it. Results: raw.csv and results.md under
# --out, charts beside them. For our server, INFO's total_allocated_bytes / total_commands_processed before and after
# each run give the bytes allocated per request (the whole process, GC counters of the runtime). The key space is
# prefilled first, so the measured SETs overwrite existing keys with same-size values.
#
# Servers: sockets (our server on .NET sockets), threadpool (the thread-pool twin), reactor (our server on the
# per-core reactor), redis (redis-server), garnet (the garnet-server .NET tool).
#
# The server's CPU time per request (user + system, every thread of the server process, from /proc/PID/stat) is
# recorded too: unlike req/s it hardly depends on what else the machine runs, so it compares servers even on a busy
# machine, with the share of it spent in the kernel (system time). For our server the cross-thread hops per request come from INFO's executors section: work items the
# executors received from another thread (a .NET socket's completion posted to the core, a shard batch sent from or
# back to another core) over the commands processed. With --cores 1 nothing crosses cores, so on the reactor every
# hop would be one a socket operation made.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SERVERS="reactor sockets threadpool redis garnet"
SECONDS_PER_RUN=6
OUT="$ROOT/docs/redis-benchmark"
SERVER_CPU=0
CLIENT_CPU=1
CORES=1
INSTALL=1
GARNET_VERSION=2.2.8
TOOLS="$ROOT/artifacts/bench-tools"
TESTS="set get"
PIPELINES="1 16"
CLIENTS="16 256"
KEYSPACE=100000

while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) SERVERS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --server-cpu) SERVER_CPU="$2"; shift 2 ;;
    --client-cpu) CLIENT_CPU="$2"; shift 2 ;;
    --cores) CORES="$2"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "[bench-redis $(date +%H:%M:%S)] $*" >&2; }

# --- tools ---------------------------------------------------------------------------------------------------------
if [[ $INSTALL == 1 ]] && ! { command -v redis-benchmark && command -v redis-server; } >/dev/null 2>&1; then
  log "installing redis-tools and redis-server"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-tools redis-server >/dev/null
fi
command -v redis-benchmark >/dev/null || { echo "redis-benchmark is missing (apt-get install redis-tools)" >&2; exit 1; }
GARNET="$TOOLS/garnet-server"
if [[ " $SERVERS " == *" garnet "* && ! -x "$GARNET" ]]; then
  log "installing garnet-server $GARNET_VERSION into $TOOLS"
  dotnet tool install garnet-server --version "$GARNET_VERSION" --tool-path "$TOOLS" >/dev/null
fi
log "building the RESP sample (Release)"
dotnet build -c Release "$ROOT/samples/LocalExecutor.Redis" -v q -nologo >/dev/null
DLL="$ROOT/samples/LocalExecutor.Redis/bin/Release/net10.0/LocalExecutor.Redis.dll"

# --- servers -------------------------------------------------------------------------------------------------------
SERVER_PID=""
free_port() {
  local port=$1
  while ss -ltnH "sport = :$port" | grep -q .; do port=$((port + 1)); done
  echo "$port"
}

start_server() { # name port
  local name=$1 port=$2
  case "$name" in
    sockets|reactor) taskset -c "$SERVER_CPU" dotnet "$DLL" --port "$port" --cores "$CORES" --transport "$name" >"$LOGS/$name.log" 2>&1 & ;;
    threadpool) taskset -c "$SERVER_CPU" dotnet "$DLL" --port "$port" --cores "$CORES" --threadpool >"$LOGS/$name.log" 2>&1 & ;;
    redis) taskset -c "$SERVER_CPU" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$LOGS/$name.log" 2>&1 & ;;
    garnet) taskset -c "$SERVER_CPU" "$GARNET" --port "$port" --bind 127.0.0.1 -m 1g -i 64m -q >"$LOGS/$name.log" 2>&1 & ;;
    *) echo "unknown server '$name' (sockets, threadpool, reactor, redis, garnet)" >&2; exit 2 ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if [[ "$(redis-cli -p "$port" PING 2>/dev/null)" == "PONG" ]]; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "server $name did not answer PING on port $port; its log:" >&2
  cat "$LOGS/$name.log" >&2
  stop_server
  return 1
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true # background jobs of a script ignore SIGINT; every server stops gracefully on SIGTERM
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

cpu_ticks() { # pid: user + system clock ticks of every thread of the process
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}
system_ticks() { # pid: the system (kernel) part of those: system calls and, on loopback, most of the TCP stack's work
  awk '{ print $15 }' "/proc/$1/stat"
}
CLOCK_TICKS=$(getconf CLK_TCK)

info_counters() { # port: "allocated_bytes commands hops" from one INFO (one command of its own in the counts, not three)
  redis-cli -p "$1" INFO stats executors 2>/dev/null | tr -d '\r' | awk -F: '
    $1 == "total_allocated_bytes" { a = $2 } $1 == "total_commands_processed" { c = $2 }
    $1 == "executor_cross_thread_work_items" { h = $2 } END { print a, c, h }'
}

# One redis-benchmark run; prints its CSV data line.
bench() { # port test pipeline clients requests
  local limit=$((SECONDS_PER_RUN * 5 + 30))
  timeout "$limit" taskset -c "$CLIENT_CPU" redis-benchmark -p "$1" -t "$2" -P "$3" -c "$4" -n "$5" -r "$KEYSPACE" --csv 2>/dev/null \
    | grep -i "^\"$2\"" | tail -1
}

# --- runs ----------------------------------------------------------------------------------------------------------
LOGS="$ROOT/artifacts/bench-logs"
mkdir -p "$OUT" "$LOGS"
RAW="$OUT/raw.csv"
echo "server,test,pipeline,clients,requests,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms,bytes_per_request,load_1min,cpu_us_per_request,hops_per_request,system_cpu_share" >"$RAW"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine=$(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr)"
  echo "dotnet=$(dotnet --version)"
  echo "redis=$(redis-server --version | awk '{print $3}')"
  echo "redis_benchmark=$(redis-benchmark --version | awk '{print $2}')"
  echo "garnet=$GARNET_VERSION"
  echo "server_cpu=$SERVER_CPU client_cpu=$CLIENT_CPU cores=$CORES seconds=$SECONDS_PER_RUN keyspace=$KEYSPACE value_bytes=3"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/conditions.txt"

port=$(free_port 6390)
for server in $SERVERS; do
  port=$(free_port "$port")
  log "$server on port $port (CPU $SERVER_CPU), redis-benchmark on CPU $CLIENT_CPU"
  start_server "$server" "$port" || { echo "$server,,,,,,,,,,,,,failed-to-start" >>"$RAW"; continue; }
  # Prefill the key space (and warm the JIT): the measured SETs overwrite existing keys, as in a steady state.
  timeout 120 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -t set -n $((KEYSPACE * 5)) -r "$KEYSPACE" -P 16 -c 16 -q >/dev/null 2>&1 || true
  for pipeline in $PIPELINES; do
    for clients in $CLIENTS; do
      for test in $TESTS; do
        # Calibrate: a short run sizes -n for about SECONDS_PER_RUN seconds at this server's speed.
        calibration=$(( pipeline == 1 ? 20000 : 200000 ))
        line=$(bench "$port" "$test" "$pipeline" "$clients" "$calibration" || true)
        rps=$(echo "$line" | cut -d, -f2 | tr -d '"')
        if [[ -z "$rps" ]]; then log "  $test -P $pipeline -c $clients: calibration failed"; continue; fi
        requests=$(awk -v r="$rps" -v s="$SECONDS_PER_RUN" -v m="$calibration" 'BEGIN { n = int(r * s); if (n < m) n = m; if (n > 50000000) n = 50000000; print n }')
        allocated_before=""; commands_before=""; hops_before=""
        if [[ $server == sockets || $server == threadpool || $server == reactor ]]; then
          read -r allocated_before commands_before hops_before < <(info_counters "$port")
          # The thread-pool twin has no executors (its line reads 0), so it gets no hops column.
          if [[ $server == threadpool ]]; then hops_before=""; fi
        fi
        load=$(cut -d' ' -f1 /proc/loadavg)
        ticks_before=$(cpu_ticks "$SERVER_PID"); system_before=$(system_ticks "$SERVER_PID")
        line=$(bench "$port" "$test" "$pipeline" "$clients" "$requests" || true)
        ticks_after=$(cpu_ticks "$SERVER_PID"); system_after=$(system_ticks "$SERVER_PID")
        if [[ -z "$line" ]]; then log "  $test -P $pipeline -c $clients: run failed or timed out"; continue; fi
        per_request=""; hops_per_request=""
        if [[ -n "$allocated_before" ]]; then
          read -r allocated_after commands_after hops_after < <(info_counters "$port")
          per_request=$(awk -v a="$allocated_before" -v b="$allocated_after" -v c="$commands_before" -v d="$commands_after" 'BEGIN { if (d > c) printf "%.2f", (b - a) / (d - c) }')
          if [[ -n "$hops_before" ]]; then
            hops_per_request=$(awk -v a="$hops_before" -v b="$hops_after" -v c="$commands_before" -v d="$commands_after" 'BEGIN { if (d > c) printf "%.3f", (b - a) / (d - c) }')
          fi
        fi
        fields=$(echo "$line" | tr -d '"' | cut -d, -f2-)
        cpu_per_request=$(awk -v a="$ticks_before" -v b="$ticks_after" -v n="$requests" -v hz="$CLOCK_TICKS" 'BEGIN { printf "%.3f", (b - a) * 1e6 / hz / n }')
        system_share=$(awk -v a="$ticks_before" -v b="$ticks_after" -v c="$system_before" -v d="$system_after" 'BEGIN { if (b > a) printf "%.2f", (d - c) / (b - a) }')
        echo "$server,$test,$pipeline,$clients,$requests,$fields,$per_request,$load,$cpu_per_request,$hops_per_request,$system_share" >>"$RAW"
        log "  $test -P $pipeline -c $clients: $(echo "$fields" | cut -d, -f1) req/s, p50 $(echo "$fields" | cut -d, -f4) ms, p99 $(echo "$fields" | cut -d, -f6) ms, $cpu_per_request us CPU/request${per_request:+, $per_request B/request}${hops_per_request:+, $hops_per_request hops/request}"
      done
    done
  done
  stop_server
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/conditions.txt"

log "rendering results.md and charts"
dotnet run -c Release --project "$ROOT/test/LocalExecutor.Benchmarks" -- --redis-report "$RAW" --out "$OUT" >/dev/null
log "done: $OUT/results.md"
