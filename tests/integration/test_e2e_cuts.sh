#!/bin/sh
# A deterministic sweep of connection cuts through linkemu: at every frame
# boundary and inside every frame (its first byte, inside the header, the
# middle of the body, the last byte of the CRC), server to client and client
# to server, in each connection of an update (the download; the session after
# the reset that reports INSTALLED and CONFIRMED). The points come from the
# bytes of an uncut update (linkemu --record), parsed from the frame headers,
# not from message sizes known here. Each point is one device behind a
# linkemu of its own (--cut-down or --cut-up BYTES, --cut-conn N); all run at
# once. Every device must end on 2.0.0, byte-exact, confirmed in fota status,
# and each linkemu must have cut exactly there.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
LINKEMU=$BIN/linkemu
need_exec "$LINKEMU"
need od awk

# A small image in small DATA frames: several of them, each cut.
CHUNK=256

# start_link NAME ARGS...: a linkemu in front of fotad, without delay or rate
# limit (stdout NAME.link, stderr NAME.err: fail shows neither, they are
# many); its pid in LINK_PID.
start_link() {
    sl_name=$1
    shift
    "$LINKEMU" --listen 127.0.0.1:0 --to "127.0.0.1:$PORT" --delay-ms 0 --rate 0 "$@" \
        </dev/null >"$sl_name.link" 2>"$sl_name.err" &
    LINK_PID=$!
    PIDS="$PIDS $LINK_PID"
}

# link_port NAME PID: waits until linkemu NAME listens; sets LINK_PORT.
link_port() {
    wait_for "$1.link" "^listening on " "$2" 100 "linkemu $1 exited at start" \
        "linkemu $1 did not listen within 10 s"
    LINK_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$1.link")
}

# route DEVICE PORT: the device's provisioning file names linkemu on PORT.
route() {
    sed "s/^server = .*/server = 127.0.0.1:$2/" "sim/$1.conf" >route.tmp
    cat route.tmp >"sim/$1.conf"
    rm -f route.tmp
}

# stop_links PID...: SIGTERM, and linkemu's exit status must be 0.
stop_links() {
    for p in "$@"; do
        kill "$p"
    done
    for p in "$@"; do
        wait "$p" || fail "linkemu $p exited $? after SIGTERM"
    done
}

# frames FILE: "START SIZE TYPE" for each frame of a recorded stream, from
# the length in its header; fails unless the frames fill the file exactly.
frames() {
    od -An -v -tu1 "$1" | awk -v file="$1" '
        { for (i = 1; i <= NF; i++) b[n++] = $i }
        END {
            for (p = 0; p + 6 <= n; p += size) {
                if (b[p] != 70) {
                    printf "%s: no frame magic at byte %d\n", file, p
                    exit 1
                }
                size = 10 + b[p + 4] + 256 * b[p + 5]
                print p, size, b[p + 2]
            }
            if (p != n) {
                printf "%s: %d bytes, the frames end at %d\n", file, n, p
                exit 1
            }
        }' >frames.tmp || fail "$(cat frames.tmp)"
    cat frames.tmp
}

# 1. One device updated through a linkemu that records, uncut.
setup 1 2048
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
start_link ref --record ref
link_port ref "$LINK_PID"
route sim-0001 "$LINK_PORT"
run_sim ref-run.out --chunk "$CHUNK" --backoff 50 --timeout 30
[ "$SIM_STATUS" -eq 0 ] || fail "the uncut update: fota-sim run exited $SIM_STATUS"
stop_links "$LINK_PID"
! grep -q "closed (cut" ref.link || fail "the uncut link cut a connection"
ok

# 2. The cut points: each frame's start, and four points inside it. A point
# at the end of a stream is none: no byte is left to cut before.
: >plan.txt
sessions=0
for f in ref.*.down; do
    conn=${f#ref.}
    conn=${conn%.down}
    for dir in down up; do
        frames "ref.$conn.$dir" >"frames.$conn.$dir"
        [ -s "frames.$conn.$dir" ] || fail "connection $conn carried no frame $dir"
        echo "reference connection $conn, $dir: frames of$(awk '{ printf " %s", $2 }' \
            "frames.$conn.$dir") bytes"
        awk -v c="$conn" -v d="$dir" '{
            print c, d, $1, "boundary"
            print c, d, $1 + 1, "inside"
            print c, d, $1 + 3, "inside"
            print c, d, $1 + 6 + int(($2 - 10) / 2), "inside"
            print c, d, $1 + $2 - 1, "inside"
        }' "frames.$conn.$dir" >>plan.txt
    done
    sessions=$((sessions + 1))
done
[ "$sessions" -ge 2 ] || fail "$sessions connection(s) in the uncut update, expected 2 or more"
sort -u -k1,1n -k2,2 -k3,3n plan.txt >plan.sorted
mv plan.sorted plan.txt
DEVICES=$(wc -l <plan.txt)
ok

# 3. A device per point: the reference leaves the store, the sweep's devices
# take the same names (so every HELLO has the reference's size).
"$FOTA" -d data device remove sim-0001 >/dev/null
rm -rf sim
"$SIM" provision -d data --simdir sim -n "$DEVICES" --image v1.img -g fleet >provision.out ||
    fail "fota-sim provision of $DEVICES devices failed"
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
i=0
while read -r conn dir at _; do
    i=$((i + 1))
    start_link "cut$i" --cut-"$dir" "$at" --cut-conn "$conn"
    echo "$LINK_PID" >"cut$i.pid"
    LINKS="${LINKS:-} $LINK_PID"
done <plan.txt
i=0
while [ "$i" -lt "$DEVICES" ]; do
    i=$((i + 1))
    link_port "cut$i" "$(cat "cut$i.pid")"
    route "$(printf 'sim-%04d' "$i")" "$LINK_PORT"
done
run_sim run.out --chunk "$CHUNK" --backoff 50 --timeout 50
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS"
# shellcheck disable=SC2086 # one pid per word
stop_links $LINKS
ok

# 4. Each linkemu cut once, exactly at its point, in the connection planned.
i=0
while read -r conn dir at _; do
    i=$((i + 1))
    cuts=$(grep -c "closed (cut" "cut$i.link" || true)
    line=$(grep "^conn $conn: closed (cut after $at bytes $dir): " "cut$i.link" || true)
    case " ${line#*): } " in
    *" $dir=$at "*) [ "$cuts" -eq 1 ] ;;
    *) false ;;
    esac || fail "sim-$(printf %04d "$i"): no cut of connection $conn after $at bytes $dir \
($cuts cuts): $(grep 'closed (' "cut$i.link" | head -n 3)"
done <plan.txt
ok

# 5. Every device on 2.0.0, byte-exact, confirmed.
n=$(grep -c "^sim-[0-9]* *2\.0\.0 .* OK$" run.out || true)
[ "$n" -eq "$DEVICES" ] || fail "fota-sim's table: $n of $DEVICES devices on 2.0.0, OK"
ok
for f in sim/*.flash; do
    "$SIM" device status --flash "$f" >status.out || fail "fota-sim device status $f failed"
    if ! grep -q "^primary .*: version 2\.0\.0+0," status.out ||
        ! grep -q "^pending *no$" status.out || ! grep -q "^trial *no$" status.out; then
        fail "$f: not confirmed on 2.0.0: $(cat status.out)"
    fi
done
ok
check_slots v2.img "$DEVICES"
check_status 2.0.0 "confirmed 2.0.0" "$DEVICES"
stop_fotad TERM
check_store

count() {
    awk -v d="$1" -v k="$2" '$2 == d && $4 == k' plan.txt | wc -l
}
down=$(awk '$2 == "down"' plan.txt | wc -l)
up=$(awk '$2 == "up"' plan.txt | wc -l)
done_checks "$DEVICES cut points in $sessions connections ($down down: \
$(count down boundary) at frame boundaries, $(count down inside) inside frames; $up up: \
$(count up boundary) at boundaries, $(count up inside) inside; each cut where planned), \
$DEVICES devices byte-exact on 2.0.0, confirmed in fota status; \
$(wc -c <v2.img)-byte image, fota-sim --chunk $CHUNK; $SIM_TIME s"
