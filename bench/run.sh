#!/usr/bin/env bash
# Patchbay vs HAProxy benchmark (issue 2 item 8).
#
# Starts shared loopback backends (iperf3 server, nginx serving a tiny HTTP
# response, a Python echo/hold server for idle sessions), then Patchbay and
# HAProxy (TCP mode, same thread count) side by side in front of them, and
# measures for each proxy, in one run:
#   - throughput: iperf3, 1 and 4 streams, both directions (+ splice rows)
#   - new connections per second: wrk, HTTP with "Connection: close"
#   - small request/response round trip p50/p99: wrk --latency, keep-alive,
#     1 connection (unloaded) and N connections (loaded)
#   - resident memory per idle session: RSS slope over a ramp of idle sessions
# Prints a Markdown table and writes it to bench/results/<date>.md.
#
# Usage: bench/run.sh [--quick] [--patchbay-only|--haproxy-only] [--threads N] [--transport auto|epoll|io_uring|nio]
#                     [--jvm-opts "..."] [--idle-steps 1000,2000,...]
#                     [--duration S] [--warmup S] [--rounds R] [--latency-conns N]
#                     [--wait-quiet SECONDS] [--nice N] [--tests tput,rate,rtt,idle,sessloop]
#                     [--build] [--no-install]
#                     [--out DIR] [--jar PATH]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib

QUICK=0
WAIT_QUIET=0
NICE=0
TESTS=tput,rate,rtt,idle,sessloop
ROUNDS=
MODE=both
THREADS=1
TRANSPORT=auto
JVM_OPTS=""
IDLE_STEPS=""
DURATION=""
BUILD=0
INSTALL=1
OUT_DIR=$HERE/results
LAT_CONNS=32
RATE_CONNS=32
PORT_BASE=21000
JAR=$ROOT/target/patchbay.jar
ORIG_CMD="bench/run.sh $*"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --patchbay-only) MODE=patchbay ;;
    --haproxy-only) MODE=haproxy ;;
    --threads) THREADS=$2; shift ;;
    --transport) TRANSPORT=$2; shift ;;
    --jvm-opts) JVM_OPTS=$2; shift ;;
    --jvm-opts=*) JVM_OPTS=${1#*=} ;;
    --idle-steps) IDLE_STEPS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --latency-conns) LAT_CONNS=$2; shift ;;
    --port-base) PORT_BASE=$2; shift ;;
    --wait-quiet) WAIT_QUIET=$2; shift ;;
    --nice) NICE=$2; shift ;;
    --tests) TESTS=$2; shift ;;
    --build) BUILD=1 ;;
    --no-install) INSTALL=0 ;;
    --out) OUT_DIR=$2; shift ;;
    --jar) JAR=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [[ $QUICK == 1 ]]; then
  T_IPERF=${DURATION:-2}; T_WRK=${DURATION:-3}; T_RTT=${DURATION:-2}; T_WARM=${WARMUP:-2}; ROUNDS=${ROUNDS:-1}
  IDLE_STEPS=${IDLE_STEPS:-500,1000,1500,2000}; SETTLE=1
else
  T_IPERF=${DURATION:-3}; T_WRK=${DURATION:-5}; T_RTT=${DURATION:-3}; T_WARM=${WARMUP:-5}; ROUNDS=${ROUNDS:-3}
  IDLE_STEPS=${IDLE_STEPS:-500,1000,1500,2000,2500,3000,3500,4000}; SETTLE=2
fi

want_ha() { [[ $MODE != patchbay ]]; }
want_test() { [[ ,$TESTS, == *,$1,* ]]; }
want_pb() { [[ $MODE != haproxy ]]; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- ports
P_IPERF=$((PORT_BASE + 201))      # backends
P_HTTP=$((PORT_BASE + 80))
P_HOLD=$((PORT_BASE + 90))
HA_IPERF=$((PORT_BASE + 1201))     # HAProxy
HA_IPERF_SPLICE=$((PORT_BASE + 1202))
HA_HTTP=$((PORT_BASE + 1080))
HA_HOLD=$((PORT_BASE + 1090))
HA_CLI=$((PORT_BASE + 1099))
PB_IPERF=$((PORT_BASE + 2201))     # Patchbay
PB_IPERF_SPLICE=$((PORT_BASE + 2202))
PB_HTTP=$((PORT_BASE + 2080))
PB_HOLD=$((PORT_BASE + 2090))
PB_CLI=$((PORT_BASE + 2099))

# ---------------------------------------------------------------- tools
install_tools() {
  local need=()
  command -v iperf3 >/dev/null || need+=(iperf3)
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || need+=(nginx-light)
  command -v python3 >/dev/null || need+=(python3)
  command -v ss >/dev/null || need+=(iproute2)
  if want_ha; then command -v haproxy >/dev/null || need+=(haproxy); fi
  [[ ${#need[@]} -eq 0 ]] && return 0
  [[ $INSTALL == 1 ]] || die "missing tools: ${need[*]} (and --no-install given)"
  log "installing ${need[*]}"
  local sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  # debconf prompts and service autostart are both unwanted here
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  if ! $sudo apt-get install -y -qq "${need[@]}" >/dev/null; then
    # nginx-light is Debian 12's small nginx; later releases only ship nginx
    need=("${need[@]/nginx-light/nginx}")
    $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # the packages' own services are not ours: stop them if apt started them
  for s in haproxy nginx; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$s" 2>/dev/null; then
      $sudo systemctl stop "$s" || true
    fi
  done
}

build_patchbay() {
  if [[ $BUILD == 1 || ! -f $JAR ]]; then
    log "building Patchbay (mvn package)"
    (cd "$ROOT" && { mvn -B -q -o -DskipTests package || mvn -B -q -DskipTests package; }) >&2 \
      || die "Patchbay build failed"
  fi
  java -jar "$JAR" --version >/dev/null 2>&1 || die "$JAR does not run (java -jar $JAR --version failed); try --build"
}

install_tools
want_pb && build_patchbay

# On a shared machine: everything this script starts (backends, both proxies,
# load generators) inherits the same priority, so the comparison stays fair
if [[ $NICE != 0 ]]; then
  renice -n "$NICE" -p $$ >/dev/null || die "cannot renice to $NICE"
fi

# idle sessions need fds: client N + proxy 2N + backend N
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
max_step=${IDLE_STEPS##*,}
if (( 2 * max_step + 200 > FD_LIMIT )); then
  die "open-file limit $FD_LIMIT is too low for $max_step idle sessions (the proxy needs 2 per session)"
fi

# ---------------------------------------------------------------- processes
WORK=$(mktemp -d /tmp/patchbay-bench.XXXXXX)
RAW=$WORK/raw
mkdir -p "$RAW"
METRICS=$WORK/metrics.tsv
META=$WORK/meta.tsv
: >"$METRICS"; : >"$META"
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [[ $rc != 0 ]]; then
    log "failed (exit $rc); logs kept in $WORK"
  elif [[ -z ${KEEP_WORK:-} ]]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

metric() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$METRICS"; }
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
note() { log "NOTE: $*"; printf 'note\t%s\t%s\n' "$(date +%s%N)" "$*" >>"$METRICS"; }

port_in_use() { ss -Htln "sport = :$1" | grep -q .; }

wait_port() { # port timeout_s [pid]
  local i
  for i in $(seq $(( $2 * 10 ))); do
    port_in_use "$1" && return 0
    [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

start_bg() { # name cmd... ; sets LAST_PID
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # total user+system ticks of a process (all threads)
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  set -- $s
  echo $(( ${12} + ${13} ))
}
now_ms() { date +%s%3N; }

for p in $P_IPERF $P_HTTP $P_HOLD $HA_IPERF $HA_IPERF_SPLICE $HA_HTTP $HA_HOLD \
         $PB_IPERF $PB_IPERF_SPLICE $PB_HTTP $PB_HOLD; do
  port_in_use "$p" && die "port $p is in use (choose another --port-base)"
done

# --- backends
start_bg iperf3 iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
IPERF_PID=$LAST_PID

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
worker_rlimit_nofile $FD_LIMIT;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  server {
    listen 127.0.0.1:$P_HTTP backlog=4096;
    location / { default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
start_bg nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"

start_bg hold python3 "$LIB/idle.py" hold --port "$P_HOLD"
HOLD_PID=$LAST_PID

wait_port "$P_IPERF" 10 || die "iperf3 server did not start ($(cat "$WORK/iperf3.log"))"
wait_port "$P_HTTP" 10 || die "nginx did not start ($(cat "$WORK/nginx.log" "$WORK/nginx/error.log" 2>/dev/null))"
wait_port "$P_HOLD" 10 || die "hold backend did not start ($(cat "$WORK/hold.log"))"

# --- HAProxy
HA_PID=""
if want_ha; then
  # HAProxy reserves 2 fds per connection plus its pipes and listeners
  HA_MAXCONN=$(( (FD_LIMIT - 1000) / 2 ))
  (( HA_MAXCONN > 20000 )) && HA_MAXCONN=20000
  cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $THREADS
    maxconn $HA_MAXCONN
    maxpipes 256
    stats socket ipv4@127.0.0.1:$HA_CLI level operator

defaults
    mode tcp
    maxconn $HA_MAXCONN
    timeout connect 5s
    timeout client 10m
    timeout server 10m

frontend iperf
    bind 127.0.0.1:$HA_IPERF
    default_backend iperf
backend iperf
    server s1 127.0.0.1:$P_IPERF

frontend iperf_splice
    bind 127.0.0.1:$HA_IPERF_SPLICE
    option splice-request
    option splice-response
    default_backend iperf_splice
backend iperf_splice
    option splice-request
    option splice-response
    server s1 127.0.0.1:$P_IPERF

frontend http
    bind 127.0.0.1:$HA_HTTP
    default_backend http
backend http
    server s1 127.0.0.1:$P_HTTP

frontend hold
    bind 127.0.0.1:$HA_HOLD
    default_backend hold
backend hold
    server s1 127.0.0.1:$P_HOLD
EOF
  haproxy -c -q -f "$WORK/haproxy.cfg" || die "haproxy rejected its configuration"
  start_bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
  HA_PID=$LAST_PID
  wait_port "$HA_HOLD" 10 "$HA_PID" || die "haproxy did not start ($(cat "$WORK/haproxy.log"))"
fi

# --- Patchbay
PB_PID=""
write_patchbay_config() {
  cat >"$WORK/patchbay.ini" <<EOF
[patchbay]
threads=$THREADS
transport=$TRANSPORT
log_level=notice
access_log=off
admin_enabled=false

[iperf]
type=server
address=127.0.0.1
port=$P_IPERF
health_check=none

[http]
type=server
address=127.0.0.1
port=$P_HTTP
health_check=none

[hold]
type=server
address=127.0.0.1
port=$P_HOLD
health_check=none

[svc_iperf]
type=service
router=roundrobin
servers=iperf
splice=false

$( [[ $PB_SPLICE == 1 ]] && cat <<EOS
[svc_iperf_splice]
type=service
router=roundrobin
servers=iperf
splice=true

EOS
)
[svc_http]
type=service
router=roundrobin
servers=http
splice=false

[svc_hold]
type=service
router=roundrobin
servers=hold
splice=false

[l_iperf]
type=listener
service=svc_iperf
address=127.0.0.1
port=$PB_IPERF

$( [[ $PB_SPLICE == 1 ]] && cat <<EOS
[l_iperf_splice]
type=listener
service=svc_iperf_splice
address=127.0.0.1
port=$PB_IPERF_SPLICE

EOS
)
[l_http]
type=listener
service=svc_http
address=127.0.0.1
port=$PB_HTTP

[l_hold]
type=listener
service=svc_hold
address=127.0.0.1
port=$PB_HOLD

[cli]
type=stats_socket
address=127.0.0.1
port=$PB_CLI
level=operator
EOF
}

PB_STARTS=0
start_patchbay() {
  PB_STARTS=$((PB_STARTS + 1))
  # shellcheck disable=SC2086
  start_bg "patchbay.$PB_STARTS" java $JVM_OPTS -jar "$JAR" --config "$WORK/patchbay.ini"
  PB_PID=$LAST_PID
  wait_port "$PB_HOLD" 60 "$PB_PID" || die "Patchbay did not start ($(tail -20 "$WORK/patchbay.$PB_STARTS.log"))"
}

PB_SPLICE=1
if want_pb; then
  write_patchbay_config
  if ! java $JVM_OPTS -jar "$JAR" --check --config "$WORK/patchbay.ini" >"$WORK/check.log" 2>&1; then
    if grep -q 'splice' "$WORK/check.log"; then
      # this build does not offer splice=true: no Patchbay splice rows
      PB_SPLICE=0
      note "Patchbay rejects splice=true, so it has no splice rows: $(grep -m1 'splice' "$WORK/check.log" | sed 's/^ *//' | cut -c1-300)"
      write_patchbay_config
      java $JVM_OPTS -jar "$JAR" --check --config "$WORK/patchbay.ini" >"$WORK/check.log" 2>&1 \
        || die "Patchbay rejected its configuration: $(cat "$WORK/check.log")"
    else
      die "Patchbay rejected its configuration: $(cat "$WORK/check.log")"
    fi
  fi
  start_patchbay
fi

# Patchbay must survive every test; if it died, record it and start it again
check_alive() { # test-name
  if want_pb && ! kill -0 "$PB_PID" 2>/dev/null; then
    local rc=0
    wait "$PB_PID" 2>/dev/null || rc=$?
    note "Patchbay exited (status $rc) during '$1'; last log lines: $(tail -5 "$WORK/patchbay.$PB_STARTS.log" | tr '\n' ' ')"
    start_patchbay
  fi
  if want_ha && ! kill -0 "$HA_PID" 2>/dev/null; then
    die "HAProxy exited during '$1': $(tail -5 "$WORK/haproxy.log")"
  fi
}

pid_of() { case $1 in haproxy*) echo "$HA_PID" ;; patchbay*) echo "$PB_PID" ;; *) echo "" ;; esac; }

# run a client command while measuring the proxy's CPU
# usage: measured TARGET KEY CMD...   (stdout of CMD goes to $MEASURED_OUT)
measured() {
  local target=$1 key=$2; shift 2
  local pid; pid=$(pid_of "$target")
  local t0 c0 rc=0
  t0=$(now_ms); c0=$([[ -n $pid ]] && cpu_ticks "$pid" || echo 0)
  "$@" >"$MEASURED_OUT" 2>&1 || rc=$?
  if [[ -n $pid ]]; then
    local t1 c1
    t1=$(now_ms); c1=$(cpu_ticks "$pid")
    metric "cpu_$key" "$target" "$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v ms=$((t1 - t0)) \
      'BEGIN { if (ms > 0) printf "%.1f", 100 * c / hz / (ms / 1000); else print "nan" }')"
  fi
  return $rc
}

# ---------------------------------------------------------------- metadata
meta date "$(date -u +'%Y-%m-%d %H:%M UTC')"
meta command "\`$ORIG_CMD\`"
meta machine "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), open-file limit $FD_LIMIT"
meta kernel "$(uname -sr); $(. /etc/os-release && echo "$PRETTY_NAME")"
meta JDK "$(java -version 2>&1 | sed -n 2p)"
want_ha && meta HAProxy "$(haproxy -v | head -1 | awk '{print $3}') (\`nbthread $THREADS\`, TCP mode, no logging)"
if want_pb; then
  meta Patchbay "$(java -jar "$JAR" --version 2>&1 | head -1) at commit $(cd "$(dirname "$JAR")" && git rev-parse --short HEAD 2>/dev/null || echo '?') (\`threads=$THREADS\`, \`transport=$TRANSPORT\`$([[ $TRANSPORT == io_uring || $TRANSPORT == nio ]] && echo ': splice=true copies'), access_log=off, admin off)"
  ergo=$(java $JVM_OPTS -XX:+PrintFlagsFinal -version 2>/dev/null | awk '
    $2=="MaxHeapSize" {mx=$4} $2=="InitialHeapSize" {ini=$4}
    $2 ~ /^Use(G1|Serial|Parallel|Z|Shenandoah)GC$/ && $4=="true" {gc=$2}
    END {printf "%s, initial heap %d MiB, max heap %d MiB", gc, ini/1048576, mx/1048576}')
  meta "JVM options" "\`${JVM_OPTS:-(none)}\` → $ergo"
fi
meta tools "iperf3 $(iperf3 -v | head -1 | awk '{print $2}'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), nginx $(nginx -v 2>&1 | sed 's|.*/||') (1 worker) as HTTP backend, Python echo server for idle sessions"
meta durations "$ROUNDS round(s) ($TESTS), proxies in alternating order, median reported; per test: iperf3 ${T_IPERF}s (+1s omitted), wrk ${T_WRK}s (1 thread; round trips: $((ROUNDS * 3)) slices of ${T_RTT}s); warm-up ${T_WARM}s per proxy; idle steps $IDLE_STEPS"
meta "latency connections" "$LAT_CONNS"
[[ $NICE != 0 ]] && meta priority "nice $NICE for every process the script starts (both proxies, backends and clients alike)"

# On a shared machine other people's builds and tests steal the 2 cores: optionally
# wait (bounded) until they use under 15 % of a core, and record how much they used.
if (( WAIT_QUIET > 0 )); then
  log "waiting up to ${WAIT_QUIET}s for other processes to go quiet"
  if pct=$(python3 "$LIB/benchlib.py" quiet $$ 15 "$WAIT_QUIET"); then
    log "quiet (other processes: $pct % of a core)"
  else
    note "the machine did not go quiet within ${WAIT_QUIET}s (other processes: $pct % of a core); figures are noisier"
  fi
fi
# CPU used by processes that are not ours (other builds and tests on a shared machine)
start_bg monitor python3 "$LIB/benchlib.py" monitor $$ "$WORK/foreign-cpu.txt"
MONITOR_PID=$LAST_PID

# ---------------------------------------------------------------- tests
TARGETS=(direct)
want_ha && TARGETS+=(haproxy)
want_pb && TARGETS+=(patchbay)
PROXIES=("${TARGETS[@]:1}")

http_port() { case $1 in direct) echo "$P_HTTP" ;; haproxy) echo "$HA_HTTP" ;; patchbay) echo "$PB_HTTP" ;; esac; }
iperf_port() {
  case $1 in
    direct) echo "$P_IPERF" ;; haproxy) echo "$HA_IPERF" ;; patchbay) echo "$PB_IPERF" ;;
    haproxy_splice) echo "$HA_IPERF_SPLICE" ;; patchbay_splice) echo "$PB_IPERF_SPLICE" ;;
  esac
}

restart_iperf_server() {
  kill -TERM "$IPERF_PID" 2>/dev/null || true
  wait "$IPERF_PID" 2>/dev/null || true
  start_bg iperf3.$RANDOM iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
  IPERF_PID=$LAST_PID
  wait_port "$P_IPERF" 10 || die "iperf3 server did not restart"
}

# ---- memory per idle session: first, on the freshly started proxies
# (a JVM's RSS is a high-water mark of its heap: after the load tests it no longer
# moves with the session count).  Each proxy first carries a short churn of
# sessions (JIT warm-up), then 11 s of quiet (Patchbay holds closed channels for
# up to 10 s), then the ramp.  For Patchbay a second pass reads the live heap per
# session after full GCs (jcmd), which explains the RSS figure.
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
hold_port() { [[ $1 == haproxy ]] && echo "$HA_HOLD" || echo "$PB_HOLD"; }
HOLD_FD0=$(fd_count "$HOLD_PID")
wait_released() { # target pid fd0: the proxy must close both sides once the clients leave
  local t=$1 pid=$2 fd0=$3
  for _ in $(seq 100); do
    (( $(fd_count "$HOLD_PID") <= HOLD_FD0 && $(fd_count "$pid") <= fd0 + 2 )) && break
    sleep 0.1
  done
  local left_b=$(( $(fd_count "$HOLD_PID") - HOLD_FD0 )) left_p=$(( $(fd_count "$pid") - fd0 ))
  (( left_b > 0 )) && note "$t: $left_b backend connections still open 10 s after all idle clients closed"
  (( left_p > 2 )) && note "$t: holds $left_p more file descriptors than before the idle test, 10 s after all clients closed"
  return 0
}
if want_test idle; then
for t in "${PROXIES[@]}"; do
  log "idle sessions: churn through $t"
  timeout 120 python3 "$LIB/idle.py" churn --target "127.0.0.1:$(hold_port "$t")" --count 2000 >"$RAW/churn_$t.txt" 2>&1 \
    || note "churn through $t failed: $(tail -2 "$RAW/churn_$t.txt" | tr '\n' ' ')"
done
sleep 11
for t in "${PROXIES[@]}"; do
  pid=$(pid_of "$t")
  fd0=$(fd_count "$pid")
  log "idle sessions $t: $IDLE_STEPS"
  f="$RAW/idle_$t.txt"
  if timeout 300 python3 "$LIB/idle.py" ramp --target "127.0.0.1:$(hold_port "$t")" --pid "$pid" \
       --steps "$IDLE_STEPS" --settle "$SETTLE" >"$f" 2>&1; then
    read -r _ slope _ base < <(grep '^slope' "$f")
    metric idle_slope "$t" "$slope"
    metric idle_base "$t" "$base"
    metric idle_points "$t" "$(awk '/^sessions/ {printf "%s%s→%s", sep, $2, $4; sep=", "}' "$f")"
    metric idle_rss_max "$t" "$(awk '/^sessions/ {r = $4} END {printf "%.1f", r / 1024}' "$f")"
  else
    note "idle-session ramp through $t failed: $(tail -3 "$f" | tr '\n' ' ')"
  fi
  wait_released "$t" "$pid" "$fd0"
  check_alive "idle sessions $t"
done
if want_pb && command -v jcmd >/dev/null; then
  sleep 11
  log "idle sessions: live heap per session in Patchbay"
  fd0=$(fd_count "$PB_PID")
  if timeout 300 python3 "$LIB/idle.py" heap --target "127.0.0.1:$PB_HOLD" --pid "$PB_PID" \
       --sessions "$max_step" >"$RAW/heap_patchbay.txt" 2>&1; then
    metric idle_heap patchbay "$(awk '/^live_heap/ {printf "%.2f", $2 / 1024}' "$RAW/heap_patchbay.txt")"
  else
    note "live-heap pass through Patchbay failed: $(tail -3 "$RAW/heap_patchbay.txt" | tr '\n' ' ')"
  fi
  wait_released patchbay "$PB_PID" "$fd0"
  check_alive "idle sessions heap"
fi
fi  # idle

# warm-up: JIT for Patchbay; done for both proxies so both see the same sequence
for t in "${TARGETS[@]}"; do
  [[ $t == direct ]] && continue
  log "warm-up $t"
  timeout $((T_WARM + 10)) wrk -t1 -c"$LAT_CONNS" -d"${T_WARM}s" "http://127.0.0.1:$(http_port "$t")/" >/dev/null 2>&1 || true
  timeout $((T_WARM + 10)) wrk -t1 -c"$RATE_CONNS" -d"${T_WARM}s" -H 'Connection: close' "http://127.0.0.1:$(http_port "$t")/" >/dev/null 2>&1 || true
  timeout $((T_WARM + 15)) iperf3 -c 127.0.0.1 -p "$(iperf_port "$t")" -P 4 -t "$T_WARM" >/dev/null 2>&1 || restart_iperf_server
  check_alive "warm-up"
done

run_iperf() { # target streams up|down
  local t=$1 n=$2 dir=$3 key="tput_$2_$3" f="$RAW/iperf_$1_$2_$3.r$ROUND.json"
  local base=${t%_splice} rflag=()
  [[ $dir == down ]] && rflag=(-R)
  log "iperf3 $t $n stream(s) $dir"
  MEASURED_OUT=$f
  local rc=0
  measured "$base" "$key" timeout $((T_IPERF + 20)) \
    iperf3 -c 127.0.0.1 -p "$(iperf_port "$t")" -P "$n" -t "$T_IPERF" -O 1 -J "${rflag[@]}" || rc=$?
  if [[ $rc != 0 ]]; then
    # iperf3's server runs one test at a time and may still be closing the previous
    # one ("server is busy"): one retry, and the first failure is reported
    sed -i "\${/^cpu_$key\t$base\t/d}" "$METRICS"  # drop that attempt's CPU figure
    note "iperf3 $n stream(s) $dir through $t: first attempt failed (exit $rc: $(grep -o '"error":[^}]*' "$f" | head -c 200)); retried"
    [[ $rc == 124 ]] && restart_iperf_server
    sleep 1
    rc=0
    measured "$base" "$key" timeout $((T_IPERF + 20)) \
      iperf3 -c 127.0.0.1 -p "$(iperf_port "$t")" -P "$n" -t "$T_IPERF" -O 1 -J "${rflag[@]}" || rc=$?
  fi
  # measured() files CPU under the base target; move it to the splice target
  if [[ $t != "$base" ]]; then
    sed -i "\$s/\t$base\t/\t$t\t/" "$METRICS"
  fi
  local v; v=$(python3 "$LIB/benchlib.py" iperf "$f")
  metric "$key" "$t" "${v%% *}"
  if [[ $rc != 0 || ${v%% *} == nan ]]; then
    metric "err_$key" "$t" "failed"
    note "iperf3 $n stream(s) $dir through $t failed (exit $rc): $(head -c 300 "$f" | tr '\n' ' ')"
    restart_iperf_server
  fi
  check_alive "iperf3 $t $n $dir"
}

run_wrk() { # target key wrk-args...
  local t=$1 key=$2; shift 2
  local f="$RAW/wrk_${key}_$t.r$ROUND.txt"
  MEASURED_OUT=$f
  local rc=0
  measured "$t" "$key" timeout $((T_WRK + 20)) wrk -t1 -d"${T_WRK}s" --latency "$@" "http://127.0.0.1:$(http_port "$t")/" || rc=$?
  read -r rps p50 p99 errs < <(python3 "$LIB/benchlib.py" wrk "$f")
  [[ $rc != 0 ]] && note "wrk $key through $t exited with status $rc$([[ $rc == 124 ]] && echo ' (timed out: stall)')"
  [[ $errs != 0 ]] && note "wrk $key through $t: $errs errors: $(grep -E 'Socket errors|Non-2xx' "$f" | tr '\n' ' ')"
  WRK_RPS=$rps WRK_P50=$p50 WRK_P99=$p99
  metric "err_$key" "$t" "$errs"
  check_alive "wrk $key $t"
}

# Tests run in ROUNDS rounds; the order of the proxies alternates between
# rounds (drift on a shared 2-core VM hits both alike) and the report takes
# the median of the rounds.  The no-proxy baseline runs in the first round only.
order() { # round -> proxies in this round's order
  if (( $1 % 2 == 1 )) || (( ${#PROXIES[@]} < 2 )); then echo "${PROXIES[@]}"
  else echo "${PROXIES[1]} ${PROXIES[0]}"; fi
}

for ROUND in $(seq "$ROUNDS"); do
  want_test tput || want_test rate || break
  log "round $ROUND of $ROUNDS"
  # shellcheck disable=SC2207
  ORDER=($(order "$ROUND"))
  (( ROUND == 1 )) && ORDER=(direct "${ORDER[@]}")

  # throughput (the splice variant right after the plain one)
  want_test tput && for n in 1 4; do
    for dir in up down; do
      for t in "${ORDER[@]}"; do
        run_iperf "$t" "$n" "$dir"
        [[ $t == haproxy || ( $t == patchbay && $PB_SPLICE == 1 ) ]] && run_iperf "${t}_splice" "$n" "$dir"
      done
    done
  done

  # new connections per second
  if want_test rate; then
    for t in "${ORDER[@]}"; do
      log "connection rate $t"
      run_wrk "$t" connrate -c"$RATE_CONNS" -H 'Connection: close'
      metric connrate "$t" "$WRK_RPS"
    done
    # Patchbay keeps a closed session's channels for up to 10 s (its linger timer):
    # let that settle so it does not spill into the next test of either proxy
    sleep 11
  fi

done

# round trip latency: 1 connection (unloaded), LAT_CONNS connections (loaded).
# Tail latency is what a busy shared machine disturbs most, so it runs in 3x as
# many shorter slices, the proxies alternating, and the report takes the median.
if want_test rtt; then
  T_WRK_SAVED=$T_WRK
  T_WRK=$T_RTT
  for ROUND in $(seq $((ROUNDS * 3))); do
    # shellcheck disable=SC2207
    ORDER=($(order "$ROUND"))
    (( ROUND == 1 )) && ORDER=(direct "${ORDER[@]}")
    for t in "${ORDER[@]}"; do
      log "round trip $t, 1 and $LAT_CONNS connections (slice $ROUND of $((ROUNDS * 3)))"
      run_wrk "$t" rtt1 -c1
      metric rtt1_p50 "$t" "$WRK_P50"; metric rtt1_p99 "$t" "$WRK_P99"
      run_wrk "$t" rttN -c"$LAT_CONNS"
      metric rttN_p50 "$t" "$WRK_P50"; metric rttN_p99 "$t" "$WRK_P99"; metric rttN_rps "$t" "$WRK_RPS"
    done
  done
  T_WRK=$T_WRK_SAVED
fi

# data-plane latency while an operator dumps the sessions in a loop (issue 3): 1,000 idle sessions
# held open, round trips over LAT_CONNS connections measured without, then with, `show sess` running
# back to back on the proxy's stats socket
if want_test sessloop; then
  command -v socat >/dev/null || apt-get install -y -qq socat >/dev/null
  for t in "${PROXIES[@]}"; do
    cli=$([[ $t == haproxy ]] && echo "$HA_CLI" || echo "$PB_CLI")
    python3 -c '
import socket, sys, time
socks = []
for i in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"x"); s.recv(1); socks.append(s)
print("held", flush=True)
time.sleep(3600)
' "$(hold_port "$t")" 1000 >"$RAW/sessloop_hold_$t.txt" 2>&1 &
    holder=$!
    for _ in $(seq 60); do grep -q held "$RAW/sessloop_hold_$t.txt" 2>/dev/null && break; sleep 1; done
    T_WRK_SAVED=$T_WRK; T_WRK=$T_RTT
    for ROUND in $(seq "$ROUNDS"); do
      log "round trip with and without a show sess loop, $t (round $ROUND of $ROUNDS)"
      run_wrk "$t" sessoff -c"$LAT_CONNS"
      metric sessoff_p50 "$t" "$WRK_P50"; metric sessoff_p99 "$t" "$WRK_P99"
      : >"$RAW/sessloop_dumps_$t.txt"
      ( while :; do echo "show sess" | socat -t 5 stdio "tcp4-connect:127.0.0.1:$cli" | grep -c . >>"$RAW/sessloop_dumps_$t.txt" || true; done ) &
      loop=$!
      run_wrk "$t" sesson -c"$LAT_CONNS"
      kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null || true
      metric sesson_p50 "$t" "$WRK_P50"; metric sesson_p99 "$t" "$WRK_P99"
      metric sessloop_dumps "$t" "$(wc -l <"$RAW/sessloop_dumps_$t.txt")"
    done
    T_WRK=$T_WRK_SAVED
    kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
  done
fi

# anything alarming in Patchbay's own log
if want_pb; then
  for f in "$WORK"/patchbay.*.log; do
    n=$(grep -cE 'Exception|ERROR|WARN|OutOfMemory' "$f" || true)
    (( n > 0 )) && note "Patchbay log $(basename "$f") has $n warning/error lines, first: $(grep -m1 -E 'Exception|ERROR|WARN|OutOfMemory' "$f" | cut -c1-300)"
  done
fi

# ---------------------------------------------------------------- report
kill -TERM "$MONITOR_PID" 2>/dev/null || true
wait "$MONITOR_PID" 2>/dev/null || true
meta "other load during the run" "$(cat "$WORK/foreign-cpu.txt" 2>/dev/null || echo unknown) (CPU of processes not started by this script)"
mkdir -p "$OUT_DIR"
OUT_FILE=$OUT_DIR/$(date +%Y-%m-%d-%H%M%S).md
python3 "$LIB/benchlib.py" report "$METRICS" "$META" | tee "$OUT_FILE"
log "results written to $OUT_FILE"
