#!/bin/sh
# Many devices, one fotad: N simulated devices (fota-sim run, all at once)
# download the same 64 KiB image from one fotad on loopback, and, in the same
# run, nginx serves the same file to N HTTP clients at once, the reference a
# user would otherwise pick. Prints fotad's and nginx's CPU seconds per GiB
# and memory side by side. Builds nothing; see bench/README.md.
#
#   bench/fleet.sh [--size BYTES] [--window N] [--chunk BYTES] [--no-nginx] [--keep]
#                  BIN_DIR [N ...]
#
# BIN_DIR holds fota, fotad and fota-sim (build/bin); N defaults to
# 1000 5000 10000. nginx (Debian's /usr/sbin/nginx) and python3 make the
# reference; without nginx (or with --no-nginx) its columns say "-".
# --window and --chunk go to fota-sim run (default: its own, the STM32
# port's 8 x 512 bytes in flight). Exit 0 with the table; 1 when a device or
# client failed or the limits do not allow N; 2 on a usage error.
set -eu
. "$(dirname "$0")/../tests/integration/common.sh"
FAIL_PREFIX="bench: "
FAIL_LOGS="log out"
FAIL_TAIL=20

SIZE=65536
SIM_OPTS=""
NGINX_WANTED=1
KEEP=0
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
    sed -n '8,16s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --size) [ $# -ge 2 ] || usage; SIZE=$2; shift 2 ;;
    --window | --chunk) [ $# -ge 2 ] || usage; SIM_OPTS="$SIM_OPTS $1 $2"; shift 2 ;;
    --no-nginx) NGINX_WANTED=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    --*) echo "fleet.sh: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || usage
BIN=$(cd "$1" && pwd)
shift
COUNTS=${*:-1000 5000 10000}
for v in "$SIZE" $COUNTS; do
    case $v in ''|*[!0-9]*|0) echo "fleet.sh: '$v' is not a positive number" >&2; exit 2 ;; esac
done
for f in "$BIN/fota" "$BIN/fotad" "$BIN/fota-sim"; do
    [ -x "$f" ] || { echo "fleet.sh: no $f (build first; see bench/README.md)" >&2; exit 1; }
done
NGINX=""
if [ "$NGINX_WANTED" = 1 ]; then
    for f in /usr/sbin/nginx "$(command -v nginx || true)"; do
        [ -n "$f" ] && [ -x "$f" ] && NGINX=$f && break
    done
    command -v python3 >/dev/null || NGINX=""
fi
MAX_N=0
for n in $COUNTS; do
    [ "$n" -gt "$MAX_N" ] && MAX_N=$n
done

# ---- limits: fotad and nginx hold a socket per device or client; fota-sim a
# socket and a flash file per device, so a fleet is split among several
# fota-sim processes when one cannot open that many files.
want=$((2 * MAX_N + 256))
soft=$(ulimit -n)
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    want=$hard
fi
if [ "$want" -lt $((MAX_N + 256)) ]; then
    echo "fleet.sh: $MAX_N devices need $((MAX_N + 256)) open files; the hard limit is" \
        "$hard (raise it, e.g. in /etc/security/limits.conf, or run fewer)" >&2
    exit 1
fi
if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then
    ulimit -n "$want"
    echo "bench: raised the open-file limit (ulimit -n) from $soft to $want for $MAX_N devices"
fi
PER_SIM=$(((want - 64) / 2))

T_START=$(date +%s.%N)
bench_work fota-fleet
# The devices' flash files (512 KiB each) go to a RAM file system when it
# has room for the largest fleet twice over: on a disk, writing gigabytes of
# them costs more time than the run.
SIMROOT=$WORK
FLASH_KB=$((MAX_N * 512))
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm_free=$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')
    mem_free=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)
    if [ "${shm_free:-0}" -gt $((2 * FLASH_KB)) ] && [ "${mem_free:-0}" -gt $((2 * FLASH_KB)) ]; then
        SIMROOT=$(mktemp -d /dev/shm/fota-fleet.XXXXXX)
        EXTRA_WORK=$SIMROOT
    fi
fi
disk_free=$(df -Pk "$SIMROOT" | awk 'NR == 2 { print $4 }')
[ "$disk_free" -gt $((FLASH_KB + 65536)) ] ||
    fail "$SIMROOT has $disk_free KiB free; $MAX_N flash files take $FLASH_KB KiB"


TICK=$(getconf CLK_TCK)

# cpu_s PID: "TOTAL USER SYSTEM", the CPU seconds of PID (one thread) so
# far. TOTAL from /proc/PID/schedstat in nanoseconds when the kernel has it
# (a clock tick is 10 ms: 1 to 3 ticks for nginx's smaller runs), else
# user + system; USER and SYSTEM in clock ticks from /proc/PID/stat.
cpu_s() {
    # The command name may hold spaces: count fields after its ')'.
    sed 's/.*) //' "/proc/$1/stat" | awk -v t="$TICK" -v ns="$(cut -d ' ' -f 1 \
        "/proc/$1/schedstat" 2>/dev/null)" '{
        total = ns != "" && ns > 0 ? ns / 1e9 : ($12 + $13) / t
        printf "%.6f %.2f %.2f", total, $12 / t, $13 / t }'
}

# kb PID FIELD: a /proc/PID/status figure in KiB (VmRSS, VmHWM).
kb() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# calc PROGRAM: runs PROGRAM as an awk BEGIN block.
calc() {
    awk "BEGIN { $1 }"
}

# port_of FILE: the port on fotad's "listening on HOST:PORT" line.
port_of() {
    sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$1" | head -n 1
}

# most_open LOG: the most sessions open at once in fotad's log, from a
# device's HELLO to its connection's close.
most_open() {
    awk '/ hello: / { if (++c > m) m = c } / closed: / { if (c > 0) c-- } END { print m + 0 }' "$1"
}

# ---- keys and images, made once ----------------------------------------------------
"$BIN/fota" keygen -o key.pem >/dev/null
"$BIN/fota" pubkey -k key.pem -o pub.pem
"$BIN/fota-sim" mkfw -V 1.0.0 -s 4096 -o v1.bin >/dev/null
"$BIN/fota-sim" mkfw -V 2.0.0 -s "$SIZE" -o v2.bin >/dev/null
"$BIN/fota" sign -k key.pem -V 1.0.0 -c 1 v1.bin -o v1.img >/dev/null
"$BIN/fota" sign -k key.pem -V 2.0.0 -c 2 v2.bin -o v2.img >/dev/null
IMG_SIZE=$(wc -c <v2.img | tr -d ' ')

# ---- nginx: one worker, the same file, its own configuration -----------------------
NGINX_PID=""
NGINX_WORKER=""
NGINX_PORT=""
start_nginx() {
    mkdir -p nginx/www nginx/tmp
    cp v2.img nginx/www/fw.img
    # Started by root, nginx's worker runs as nobody: let it read the file.
    chmod a+rx "$WORK" nginx nginx/www
    chmod a+r nginx/www/fw.img
    # A free port: the kernel's pick for a socket bound and closed at once.
    NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    t="$WORK/nginx/tmp"
    cat >nginx/nginx.conf <<EOF
worker_processes 1;
worker_rlimit_nofile $want;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx.log warn;
events { worker_connections $want; }
http {
    access_log off;
    sendfile on;
    open_file_cache max=16;
    client_body_temp_path $t; proxy_temp_path $t; fastcgi_temp_path $t;
    uwsgi_temp_path $t; scgi_temp_path $t;
    server { listen 127.0.0.1:$NGINX_PORT backlog=4096; root $WORK/nginx/www; }
}
EOF
    "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx.log" \
        >nginx.out 2>&1 &
    NGINX_PID=$!
    PIDS="$PIDS $NGINX_PID"
    n=0
    while [ -z "$NGINX_WORKER" ]; do
        kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited"
        NGINX_WORKER=$(cat "/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null | awk '{ print $1 }')
        n=$((n + 1))
        [ $n -lt 100 ] || fail "nginx started no worker within 10 s"
        sleep 0.1
    done
    # Listening once a request gets the file.
    python3 "$HERE/fleet_http.py" "$NGINX_PORT" /fw.img 1 "$IMG_SIZE" >/dev/null ||
        fail "nginx does not serve the image"
}
if [ -n "$NGINX" ]; then
    start_nginx
    NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
else
    NGINX_VERSION="not run"
    why="--no-nginx"
    [ "$NGINX_WANTED" = 0 ] || why="no nginx or no python3"
    echo "bench: without the nginx reference ($why): its columns say -"
fi

echo "bench: image $SIZE bytes (signed: $IMG_SIZE bytes), devices: $COUNTS;" \
    "flash files in $([ "$SIMROOT" = "$WORK" ] && echo "the temporary directory" || echo "/dev/shm")"

# ---- one fleet of N devices --------------------------------------------------------
ROWS=""
run_fleet() { # N
    N=$1
    D=$WORK/d$N
    SIMDIR=$SIMROOT/sim$N
    mkdir "$D"
    "$BIN/fota" -d "$D/data" init -k pub.pem >/dev/null
    "$BIN/fotad" -d "$D/data" -l 127.0.0.1:0 --max-conns $((N + 100)) \
        >"fotad-$N.out" 2>"fotad-$N.log" &
    FOTAD_PID=$!
    PIDS="$PIDS $FOTAD_PID"
    wait_for "fotad-$N.out" "^listening on " "$FOTAD_PID" 300 "fotad exited" \
        "fotad: not listening within 30 s"
    port=$(port_of "fotad-$N.out")
    "$BIN/fota" -d "$D/data" init --server "127.0.0.1:$port" >/dev/null
    t0=$(date +%s.%N)
    "$BIN/fota-sim" provision -d "$D/data" --simdir "$SIMDIR" -n "$N" --image v1.img \
        -g fleet >"provision-$N.out" 2>&1 || fail "fota-sim provision -n $N failed"
    prov_s=$(calc "printf \"%.1f\", $(date +%s.%N) - $t0")
    "$BIN/fota" -d "$D/data" image add v2.img >/dev/null
    "$BIN/fota" -d "$D/data" assign --group fleet 2.0.0 >/dev/null

    # P fota-sim processes of at most PER_SIM devices: parts 1..P of SIMDIR.
    P=$(((N + PER_SIM - 1) / PER_SIM))
    i=0
    for conf in "$SIMDIR"/*.conf; do
        part=$SIMDIR/part-$((i % P + 1))
        mkdir -p "$part"
        mv "$conf" "${conf%.conf}.flash" "$part/"
        i=$((i + 1))
    done
    echo "bench: $N devices (provisioned in $prov_s s), $P fota-sim run --parallel $((N / P))" \
        "at once ..."
    idle_kb=$(kb "$FOTAD_PID" VmRSS)
    read -r cpu0 usr0 sys0 <<EOF
$(cpu_s "$FOTAD_PID")
EOF
    t0=$(date +%s.%N)
    SIM_PIDS=""
    for k in $(seq 1 "$P"); do
        # shellcheck disable=SC2086 # options as words
        "$BIN/fota-sim" run --simdir "$SIMDIR/part-$k" --parallel "$N" $SIM_OPTS \
            --timeout $((120 + N / 20)) >"sim-$N-$k.out" 2>&1 &
        SIM_PIDS="$SIM_PIDS $!"
    done
    rc=0
    for p in $SIM_PIDS; do
        wait "$p" || rc=$?
    done
    wall=$(calc "printf \"%.2f\", $(date +%s.%N) - $t0")
    read -r cpu1 usr1 sys1 <<EOF
$(cpu_s "$FOTAD_PID")
EOF
    peak_kb=$(kb "$FOTAD_PID" VmHWM)
    kill -0 "$FOTAD_PID" 2>/dev/null || fail "fotad died during the run of $N devices"
    kill "$FOTAD_PID"
    wait "$FOTAD_PID" 2>/dev/null || true
    [ "$rc" -eq 0 ] || fail "fota-sim run of $N devices exited $rc"
    done_n=0
    bytes=0
    for k in $(seq 1 "$P"); do
        done_n=$((done_n + $(figure ok "sim-$N-$k.out")))
        bytes=$((bytes + $(figure data_bytes "sim-$N-$k.out")))
    done
    conns=$(most_open "fotad-$N.log")
    [ "$done_n" = "$N" ] || fail "only $done_n of $N devices ended on 2.0.0"
    [ "$conns" -gt 0 ] || fail "fotad's log shows no session"
    [ "$KEEP" = 1 ] || rm -rf "$SIMDIR"

    h_done=- h_wall=- h_cpu=- h_bytes=0 h_peak=- h_idle=- h_usr=- h_sys=-
    if [ -n "$NGINX" ]; then
        echo "bench: $N HTTP clients of nginx ..."
        h_idle=$(kb "$NGINX_WORKER" VmRSS)
        read -r hcpu0 husr0 hsys0 <<EOF
$(cpu_s "$NGINX_WORKER")
EOF
        rc=0
        timeout $((120 + N / 20)) python3 "$HERE/fleet_http.py" "$NGINX_PORT" /fw.img "$N" \
            "$IMG_SIZE" >"http-$N.out" 2>&1 || rc=$?
        read -r hcpu1 husr1 hsys1 <<EOF
$(cpu_s "$NGINX_WORKER")
EOF
        h_peak=$(kb "$NGINX_WORKER" VmHWM)
        [ "$rc" -eq 0 ] || fail "the HTTP clients exited $rc ($(cat "http-$N.out"))"
        h_done=$(figure ok "http-$N.out")
        h_wall=$(figure seconds "http-$N.out")
        h_bytes=$(figure bytes "http-$N.out")
        h_cpu=$(calc "printf \"%.6f\", $hcpu1 - $hcpu0")
        h_usr=$(calc "printf \"%.2f\", $husr1 - $husr0")
        h_sys=$(calc "printf \"%.2f\", $hsys1 - $hsys0")
    fi
    ROWS="$ROWS $N:$done_n:$wall:$(calc "printf \"%.6f\", $cpu1 - $cpu0"):$bytes:$idle_kb:$peak_kb:$conns:$h_done:$h_wall:$h_cpu:$h_bytes:$h_idle:$h_peak:$prov_s"
    ROWS="$ROWS:$(calc "printf \"%.2f\", $usr1 - $usr0"):$(calc "printf \"%.2f\", $sys1 - $sys0"):$h_usr:$h_sys"
}
for n in $COUNTS; do
    run_fleet "$n"
done

# ---- the table -----------------------------------------------------------------------
echo
printf "%7s %7s %7s | %8s %8s %6s | %7s %8s %6s | %6s %7s %7s %8s\n" \
    "" "fotad" "" "fotad" "nginx" "" "fotad" "fotad" "most" "nginx" "nginx" "" "nginx"
printf "%7s %7s %7s | %8s %8s %6s | %7s %8s %6s | %6s %7s %7s %8s\n" \
    devices done "wall s" "CPU s/" "CPU s/" ratio "peak" "RSS/dev" open \
    done "wall s" "peak" "RSS/cli"
printf "%7s %7s %7s | %8s %8s %6s | %7s %8s %6s | %6s %7s %7s %8s\n" \
    "" "" "" GiB GiB "" MiB KiB "" "" "" MiB KiB
for r in $ROWS; do
    IFS=: read -r n dn wall cpu bytes idle peak conns hd hwall hcpu hbytes hidle hpeak prov \
        _ <<EOF
$r
EOF
    awk -v n="$n" -v dn="$dn" -v wall="$wall" -v cpu="$cpu" -v bytes="$bytes" \
        -v idle="$idle" -v peak="$peak" -v conns="$conns" -v hd="$hd" -v hwall="$hwall" \
        -v hcpu="$hcpu" -v hbytes="$hbytes" -v hidle="$hidle" -v hpeak="$hpeak" 'BEGIN {
        gib = 1024 * 1024 * 1024
        fc = cpu / (bytes / gib)
        hc = hbytes > 0 ? sprintf("%8.2f", hcpu / (hbytes / gib)) : sprintf("%8s", "-")
        ratio = hbytes > 0 && hcpu > 0 ? sprintf("%6.2f", fc / (hcpu / (hbytes / gib))) \
                                       : sprintf("%6s", "-")
        printf "%7d %7d %7.2f | %8.2f %s %s | %7.1f %8.1f %6d |", n, dn, wall, fc, hc, ratio,
               peak / 1024, (peak - idle) / conns, conns
        if (hbytes > 0)
            printf " %6d %7.2f %7.1f %8.1f\n", hd, hwall, hpeak / 1024, (hpeak - hidle) / n
        else
            printf " %6s %7s %7s %8s\n", "-", "-", "-", "-"
    }'
done
# The same CPU split into user and system time, per GiB.
echo
printf "%7s | %9s %9s %9s %9s | %9s %9s %9s %9s\n" "" "fotad" "fotad" "fotad" "fotad" \
    "nginx" "nginx" "nginx" "nginx"
printf "%7s | %9s %9s %9s %9s | %9s %9s %9s %9s\n" devices "user s" "system s" "user s/" \
    "sys s/" "user s" "system s" "user s/" "sys s/"
printf "%7s | %9s %9s %9s %9s | %9s %9s %9s %9s\n" "" "" "" GiB GiB "" "" GiB GiB
for r in $ROWS; do
    IFS=: read -r n _ _ _ bytes _ _ _ _ _ _ hbytes _ _ _ usr sys husr hsys <<EOF
$r
EOF
    awk -v n="$n" -v bytes="$bytes" -v usr="$usr" -v sys="$sys" -v hbytes="$hbytes" \
        -v husr="$husr" -v hsys="$hsys" 'BEGIN {
        gib = 1024 * 1024 * 1024
        printf "%7d | %9.2f %9.2f %9.2f %9.2f |", n, usr, sys, usr / (bytes / gib),
               sys / (bytes / gib)
        if (hbytes > 0)
            printf " %9.2f %9.2f %9.2f %9.2f\n", husr, hsys, husr / (hbytes / gib),
                   hsys / (hbytes / gib)
        else
            printf " %9s %9s %9s %9s\n", "-", "-", "-", "-"
    }'
done
window=$(sed -n 's/.* hello: .* window \([0-9]* x [0-9]*\); offer .*/\1/p' "fotad-$n.log" | head -n 1)
cat <<EOF

measured: $(sed -n 's/.*info fotad: \(fotad [^ ]*\) started.*/\1/p' "fotad-$n.log" | head -n 1),
  nginx $NGINX_VERSION; $(uname -m), $(nproc) CPUs, everything on 127.0.0.1 at once.
fotad: N devices of fota-sim run, all at once (one poll loop per process; several
  processes of at most $PER_SIM devices under the open-file limit of $want), each on 1.0.0
  with 2.0.0 ($IMG_SIZE bytes signed) assigned: HELLO, the download (a window of
  ${window:-?} image bytes in flight: fota-sim run${SIM_OPTS:- with its defaults}), the reset and
  install, the session that reports it. done: devices on 2.0.0, verified; wall s: from the start of fota-sim run
  to the last one's end.
  CPU: fotad's CPU seconds during the run (/proc/PID/schedstat, in nanoseconds; user
  and system apart: /proc/PID/stat, in ticks of $((1000 / TICK)) ms) over the DATA bytes
  the devices received, in GiB.
  peak: fotad's VmHWM; RSS/dev: (peak - VmRSS before the run) / most open, the most
  sessions open at once in fotad's log (HELLO to close).
nginx: one worker (sendfile on, access_log off) serving the same $IMG_SIZE-byte file to
  N clients at once (bench/fleet_http.py: one connection and one GET each); CPU: the
  worker's CPU seconds, measured alike, over the body bytes received; RSS/cli:
  (worker's VmHWM - its VmRSS before) / N.
ratio: fotad's CPU s/GiB / nginx's (below 1: fotad spends less CPU per byte served).
  A fota download is more than a file: a challenge and HMAC check, a SQLite lookup and
  writes of progress and reports, and a second session after the install.
EOF
for r in $ROWS; do
    echo "$r" | awk -F: '{ printf "provisioning %d devices (fota-sim provision): %s s\n", $1, $15 }'
done
echo "bench: run took $(calc "printf \"%.0f\", $(date +%s.%N) - $T_START") s"
