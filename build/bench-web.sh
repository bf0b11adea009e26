#!/usr/bin/env bash
# Load-tests the web sample (issue 11) with wrk: the LocalExecutor transport against Kestrel's Sockets transport, with
# its default settings and with UnsafePreferInlineScheduling.
#
#   build/bench-web.sh [--transports "local sockets inline"] [--seconds 8] [--out docs/web-benchmark]
#                      [--server-cpu 1] [--client-cpu 0] [--connections "64 256"] [--rounds 1] [--no-install]
#
# Each server runs alone, pinned with taskset to the server CPU (so the LocalExecutor transport has one executor), with
# wrk (one thread) pinned to the client CPU, on loopback. Tests: /plaintext pipelined 16 deep (build/pipeline.lua),
# /plaintext, /json, each at every --connections count; every run is bounded (wrk -d, and `timeout` around it).
# Around each run the script reads the sample's /stats (requests on and off their core, GC.GetTotalAllocatedBytes,
# the executors' cross-thread work items) and the server's CPU time (utime + stime of every thread, /proc/PID/stat):
# CPU time per request hardly depends on what else the machine runs, so it compares transports on a busy machine.
# The CPU time is also split by thread (/proc/PID/task/*/stat, by the thread's name): the executors ("web-N"), the
# thread pool (".NET TP Worker": Kestrel's connection dispatch and, on Sockets, the app), the socket engine's epoll
# thread (".NET Sockets"), Kestrel's heartbeat ("Kestrel Timer"), the JIT (".NET Tiered Com") and the rest (the GC runs
# on the allocating thread; threads that exited during the run count here), which says what leaves the core.
# With --rounds N the transports take turns N times (A B C A B C ...), so a burst of load from other jobs hits one round
# rather than one transport; the report takes the median of the rounds. wrk reports a p99 of 0 for some pipelined runs
# (too few samples in its histogram); such values are left out. Results: raw.csv, conditions.txt, results.md and
# charts under --out.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TRANSPORTS="local sockets inline"
SECONDS_PER_RUN=8
OUT="$ROOT/docs/web-benchmark"
SERVER_CPU=1
CLIENT_CPU=0
CONNECTIONS="64 256"
ROUNDS=1
INSTALL=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --transports) TRANSPORTS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --out) OUT="$(realpath -m "$2")"; shift 2 ;;
    --server-cpu) SERVER_CPU="$2"; shift 2 ;;
    --client-cpu) CLIENT_CPU="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "[bench-web $(date +%H:%M:%S)] $*" >&2; }

if [[ $INSTALL == 1 ]] && ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
log "building the web sample (Release)"
dotnet build -c Release "$ROOT/samples/LocalExecutor.Web" -v q -nologo >/dev/null
DLL="$ROOT/samples/LocalExecutor.Web/bin/Release/net10.0/LocalExecutor.Web.dll"
log "server pinned to CPU $SERVER_CPU, wrk pinned to CPU $CLIENT_CPU (taskset), loopback, ${SECONDS_PER_RUN}s per run"

SERVER_PID=""
free_port() {
  local port=$1
  while ss -ltnH "sport = :$port" | grep -q .; do port=$((port + 1)); done
  echo "$port"
}

start_server() { # transport port
  local args=(--port "$2")
  case "$1" in
    local) args+=(--transport local) ;;
    sockets) args+=(--transport sockets) ;;
    inline) args+=(--transport sockets --inline) ;;
    *) echo "unknown transport '$1' (local, sockets, inline)" >&2; exit 2 ;;
  esac
  taskset -c "$SERVER_CPU" dotnet "$DLL" "${args[@]}" >"$LOGS/web-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$2/plaintext" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "transport $1 did not answer on port $2; its log:" >&2
  cat "$LOGS/web-$1.log" >&2
  stop_server
  return 1
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One line per live thread of PID: "tid|name|utime+stime ticks" (the name is in parentheses and may hold spaces).
thread_ticks() {
  local task
  for task in /proc/"$1"/task/*; do
    local stat name
    stat=$(cat "$task/stat" 2>/dev/null) || continue
    name=${stat#*(}; name=${name%)*}
    echo "${task##*/}|$name|$(echo "${stat##*) }" | awk '{ print $12 + $13 }')"
  done
}

# Ticks per thread category between two thread_ticks snapshots; the process's total minus the live threads' goes to
# "other" with the unnamed rest. Prints "executor,pool,sockets,heartbeat,jit,other".
split_ticks() { # before-file after-file total-ticks
  awk -F'|' -v total="$3" '
    NR == FNR { before[$1] = $3; next }
    {
      d = $3 - (($1 in before) ? before[$1] : 0)
      if ($2 ~ /^web-[0-9]+$/) c = "executor"
      else if ($2 ~ /^\.NET TP /) c = "pool"
      else if ($2 == ".NET Sockets") c = "sockets"
      else if ($2 == "Kestrel Timer") c = "heartbeat"
      else if ($2 ~ /^\.NET Tiered/) c = "jit"
      else c = "other"
      sum[c] += d; live += d
    }
    END { printf "%d,%d,%d,%d,%d,%d", sum["executor"], sum["pool"], sum["sockets"], sum["heartbeat"], sum["jit"], sum["other"] + (total - live) }
  ' "$1" "$2"
}
CLOCK_TICKS=$(getconf CLK_TCK)

stat_field() { # json field
  echo "$1" | sed -E "s/.*\"$2\":([0-9]+).*/\1/"
}

# wrk's latency to milliseconds: 250.00us, 1.20ms, 1.01s
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

run_wrk() { # port test connections seconds
  local url="http://127.0.0.1:$1" script=()
  case "$2" in
    plaintext-pipelined) url="$url/plaintext"; script=(-s "$ROOT/build/pipeline.lua") ;;
    plaintext) url="$url/plaintext" ;;
    json) url="$url/json" ;;
  esac
  local extra=()
  [[ ${#script[@]} -gt 0 ]] && extra=(-- 16)
  timeout $(($4 + 30)) taskset -c "$CLIENT_CPU" wrk -t1 -c "$3" -d "${4}s" --latency -H "Connection: keep-alive" "${script[@]}" "$url" "${extra[@]}" 2>&1
}

LOGS="$ROOT/artifacts/bench-logs"
mkdir -p "$OUT" "$LOGS"
RAW="$OUT/raw.csv"
echo "transport,test,connections,requests,rps,p50_ms,p99_ms,bytes_per_request,cpu_us_per_request,offcore_per_request,crossthread_per_request,load_1min,round,executor_us,pool_us,sockets_us,heartbeat_us,jit_us,other_us" >"$RAW"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine=$(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr)"
  echo "dotnet=$(dotnet --version), aspnetcore=$(dotnet --list-runtimes | awk '/AspNetCore/ { v = $2 } END { print v }')"
  echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "server_cpu=$SERVER_CPU client_cpu=$CLIENT_CPU (taskset) seconds=$SECONDS_PER_RUN rounds=$ROUNDS wrk_threads=1 pipeline_depth=16 nice=$(nice)"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "other_processes_using_cpu=$(ps -eo pcpu= | awk '$1 > 5 { n++ } END { print n + 0 }') (over 5% CPU, at start)"
} >"$OUT/conditions.txt"

port=$(free_port 5180)
for round in $(seq 1 "$ROUNDS"); do
for transport in $TRANSPORTS; do
  port=$(free_port "$port")
  log "$transport on port $port (round $round of $ROUNDS)"
  start_server "$transport" "$port" || { echo "$transport,,,,,,,,,,,failed-to-start" >>"$RAW"; continue; }
  run_wrk "$port" plaintext 64 3 >/dev/null || true # warm the JIT and tiered compilation
  run_wrk "$port" json 64 2 >/dev/null || true
  for test in plaintext-pipelined plaintext json; do
    for connections in $CONNECTIONS; do
      before=$(curl -s "http://127.0.0.1:$port/stats")
      load=$(cut -d' ' -f1 /proc/loadavg)
      ticks_before=$(cpu_ticks "$SERVER_PID") # the process's window holds the threads' (so "other" is not negative)
      thread_ticks "$SERVER_PID" >"$LOGS/threads-before.txt"
      result=$(run_wrk "$port" "$test" "$connections" "$SECONDS_PER_RUN" || true)
      thread_ticks "$SERVER_PID" >"$LOGS/threads-after.txt"
      ticks_after=$(cpu_ticks "$SERVER_PID")
      split=$(split_ticks "$LOGS/threads-before.txt" "$LOGS/threads-after.txt" $((ticks_after - ticks_before)))
      after=$(curl -s "http://127.0.0.1:$port/stats")
      echo "$result" >"$LOGS/web-$transport-$test-$connections-r$round.txt"
      requests=$(echo "$result" | awk '/requests in/ { print $1 }')
      rps=$(echo "$result" | awk '/Requests\/sec:/ { print $2 }')
      if [[ -z "$requests" || -z "$rps" ]]; then log "  $test -c $connections: wrk failed (see $LOGS)"; continue; fi
      errors=$(echo "$result" | awk '/Socket errors|Non-2xx/ { print }' | tr '\n' ' ')
      p50=$(to_ms "$(echo "$result" | awk '$1 == "50%" { print $2 }')")
      p99=$(to_ms "$(echo "$result" | awk '$1 == "99%" { print $2 }')")
      # Requests the server saw (on + off core) between the two /stats calls; the second call counts itself.
      served=$(( $(stat_field "$after" requestsOnCore) + $(stat_field "$after" requestsOffCore) - $(stat_field "$before" requestsOnCore) - $(stat_field "$before" requestsOffCore) - 1 ))
      off=$(( $(stat_field "$after" requestsOffCore) - $(stat_field "$before" requestsOffCore) ))
      allocated=$(( $(stat_field "$after" allocatedBytes) - $(stat_field "$before" allocatedBytes) ))
      hops=$(( $(stat_field "$after" crossThreadWorkItems) - $(stat_field "$before" crossThreadWorkItems) ))
      row=$(awk -v s="$served" -v a="$allocated" -v o="$off" -v h="$hops" -v t0="$ticks_before" -v t1="$ticks_after" -v hz="$CLOCK_TICKS" -v tr="$transport" \
        'BEGIN { if (s < 1) s = 1; printf "%.2f,%.3f,%.4f,%.4f", a / s, (t1 - t0) * 1e6 / hz / s, o / s, (tr == "local" ? h / s : 0) }')
      per_thread=$(echo "$split" | awk -F, -v s="$served" -v hz="$CLOCK_TICKS" \
        'BEGIN { if (s < 1) s = 1 } { for (i = 1; i <= NF; i++) printf "%s%.3f", (i > 1 ? "," : ""), $i * 1e6 / hz / s }')
      echo "$transport,$test,$connections,$served,$rps,$p50,$p99,$row,$load,$round,$per_thread" >>"$RAW"
      log "  $test -c $connections: $rps req/s, p50 $p50 ms, p99 $p99 ms; per request: $(echo "$row" | cut -d, -f2) us CPU (executor,pool,sockets,heartbeat,jit,other: $per_thread), $(echo "$row" | cut -d, -f1) B, off-core $(echo "$row" | cut -d, -f3), hops $(echo "$row" | cut -d, -f4) ${errors}"
    done
  done
  stop_server
done
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/conditions.txt"

log "rendering results.md and charts"
dotnet run -c Release --project "$ROOT/test/LocalExecutor.Benchmarks" -- --web-report "$RAW" --out "$OUT" >/dev/null
log "done: $OUT/results.md"
