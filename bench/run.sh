#!/bin/sh
# How long an image takes to reach a device over an emulated cellular link,
# side by side in one run: the seed's stop-and-wait protocol (fotad
# --legacy-listen serving a device that runs the original loader) and the
# fota protocol with several windows (fotad and fota-sim), each through its
# own linkemu. Builds nothing; see bench/README.md.
#
#   bench/run.sh [--size BYTES] [--rate BPS] [--rtt-ms MS] [--windows "1 4 8"]
#                [--keep] BIN_DIR [LEGACY_CLIENT]
#
# BIN_DIR holds fota, fotad, fota-sim and linkemu (build/bin);
# LEGACY_CLIENT defaults to BIN_DIR/../tests/legacy_client (a test helper
# built with the tests). Exit 0 with the table; 1 when a transfer failed;
# 2 on a usage error.
set -eu
# fail, wait_for and figure, shared with the integration tests.
. "$(dirname "$0")/../tests/integration/common.sh"
FAIL_PREFIX="bench: "
FAIL_LOGS="log out"
FAIL_TAIL=20

SIZE=32768
RATE=8000
RTT_MS=1000
WINDOWS="1 4 8"
KEEP=0

usage() {
    sed -n '8,14s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --size) [ $# -ge 2 ] || usage; SIZE=$2; shift 2 ;;
    --rate) [ $# -ge 2 ] || usage; RATE=$2; shift 2 ;;
    --rtt-ms) [ $# -ge 2 ] || usage; RTT_MS=$2; shift 2 ;;
    --windows) [ $# -ge 2 ] || usage; WINDOWS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    --*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    usage
fi
for v in "$SIZE" "$RATE" "$RTT_MS"; do
    case $v in ''|*[!0-9]*) echo "run.sh: '$v' is not a number" >&2; exit 2 ;; esac
done
for w in $WINDOWS; do
    case $w in
    [1-9]|[1-5][0-9]|6[0-4]) ;;
    *) echo "run.sh: window '$w' is not a number from 1 to 64" >&2; exit 2 ;;
    esac
done
if [ "$SIZE" -lt 1 ] || [ "$RATE" -lt 1 ] || [ -z "$WINDOWS" ]; then
    usage
fi

BIN=$(cd "$1" && pwd)
LEGACY_CLIENT=${2:-$BIN/../tests/legacy_client}
[ -x "$LEGACY_CLIENT" ] && LEGACY_CLIENT=$(cd "$(dirname "$LEGACY_CLIENT")" && pwd)/$(basename "$LEGACY_CLIENT")
for f in "$BIN/fota" "$BIN/fotad" "$BIN/fota-sim" "$BIN/linkemu" "$LEGACY_CLIENT"; do
    [ -x "$f" ] || { echo "run.sh: no $f (build first; see bench/README.md)" >&2; exit 1; }
done

T_START=$(date +%s.%N)
bench_work fota-bench

# calc PROGRAM: runs PROGRAM as an awk BEGIN block (its printf formats).
calc() {
    awk "BEGIN { $1 }"
}

# wait_line FILE PATTERN PID WHAT: until FILE has a line matching PATTERN
# (a hang guard of 30 s, not a measurement).
wait_line() {
    wait_for "$1" "$2" "$3" 300 "$4 exited" "$4: no '$2' within 30 s"
}

# port_of FILE PREFIX: the port on the line "PREFIX HOST:PORT".
port_of() {
    sed -n "s/^$2 .*:\\([0-9][0-9]*\\)\$/\\1/p" "$1" | head -n 1
}

# emu_settled FILE: waits until every connection linkemu accepted is closed.
emu_settled() {
    n=0
    while [ "$(grep -c ': accepted from ' "$1")" -ne "$(grep -c ': closed (' "$1")" ]; do
        n=$((n + 1))
        [ $n -lt 300 ] || fail "$1: connections still open 30 s after the transfer"
        sleep 0.1
    done
}

# emu_download FILE FIRST_ID: active_s and down= of the connection, among
# those numbered FIRST_ID and up, that carried the most bytes to the device.
emu_download() {
    awk -v first="$2" '
        / closed \(/ {
            id = $2; sub(":", "", id)
            if (id + 0 < first + 0) next
            for (i = 1; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "down") down = kv[2]
                if (kv[1] == "active_s") act = kv[2]
            }
            if (down + 0 > best + 0) { best = down; best_act = act }
            conns++
        }
        END { printf "%s %s %d\n", best_act, best, conns }' "$1"
}

DELAY_MS=$((RTT_MS / 2))
RTT_S=$(calc "printf \"%.3f\", 2 * $DELAY_MS / 1000")
CHUNKS=$(((SIZE + 1023) / 1024))
# fotad resends a legacy message after this without an answer: well past a
# round trip and a chunk's time on the link, so a healthy link sees none.
LEGACY_TIMEOUT=$(calc "printf \"%.1f\", 2 * ($RTT_S + 2 * 1100 / $RATE) + 1")
# Hang guards for the clients (not measurements): three times the slowest
# expected transfer, and a minute.
GUARD=$(calc "printf \"%d\", 3 * ($CHUNKS + 4) * ($RTT_S + 2 * 1100 / $RATE) + 60")

# ---- keys, images, the store, fotad ---------------------------------------------
"$BIN/fota" keygen -o key.pem >/dev/null
"$BIN/fota" pubkey -k key.pem -o pub.pem
"$BIN/fota-sim" mkfw -V 1.0.0 -s "$SIZE" -o v1.bin >/dev/null
"$BIN/fota-sim" mkfw -V 2.0.0 -s "$SIZE" -o v2.bin >/dev/null
"$BIN/fota" sign -k key.pem -V 1.0.0 -c 1 v1.bin -o v1.img >/dev/null
"$BIN/fota" sign -k key.pem -V 2.0.0 -c 2 v2.bin -o v2.img >/dev/null
IMG_SIZE=$(wc -c <v2.img | tr -d ' ')
"$BIN/fota" -d data init -k pub.pem >/dev/null

"$BIN/fotad" -d data -l 127.0.0.1:0 --legacy-listen 127.0.0.1:0 --legacy-image v2.bin \
    --legacy-timeout "$LEGACY_TIMEOUT" >fotad.out 2>fotad.log &
FOTAD_PID=$!
PIDS="$PIDS $FOTAD_PID"
wait_line fotad.out "^legacy listening on " "$FOTAD_PID" fotad
wait_line fotad.out "^listening on " "$FOTAD_PID" fotad
FOTA_PORT=$(port_of fotad.out "listening on")
LEGACY_PORT=$(port_of fotad.out "legacy listening on")

# ---- one link emulator in front of each of fotad's ports ------------------------
start_emu() { # NAME PORT
    "$BIN/linkemu" --listen 127.0.0.1:0 --to "127.0.0.1:$2" --delay-ms "$DELAY_MS" \
        --rate "$RATE" >"$1.out" 2>"$1.log" &
    EMU_PID=$!
    PIDS="$PIDS $EMU_PID"
    wait_line "$1.out" "^listening on " "$EMU_PID" "linkemu $1"
    EMU_PORT=$(port_of "$1.out" "listening on")
}
start_emu emu-legacy "$LEGACY_PORT"
EMU_LEGACY=$EMU_PORT
start_emu emu-fota "$FOTA_PORT"
EMU_FOTA=$EMU_PORT

# ---- one device on 1.0.0 per window, 2.0.0 assigned to them all -----------------
"$BIN/fota" -d data init --server "127.0.0.1:$EMU_FOTA" >/dev/null
# shellcheck disable=SC2086 # $WINDOWS is a list of words
NW=$(echo $WINDOWS | wc -w | tr -d ' ')
"$BIN/fota-sim" provision -d data --simdir sim -n "$NW" --image v1.img -g bench \
    >provision.out || fail "fota-sim provision failed"
# Each run gets a directory of its own holding one device: dev-1, dev-2, ...
i=0
for conf in sim/*.conf; do
    id=$(basename "$conf" .conf)
    i=$((i + 1))
    mkdir "dev-$i"
    mv "sim/$id.conf" "sim/$id.flash" "dev-$i/"
done
[ "$i" -eq "$NW" ] || fail "fota-sim provision made $i devices, expected $NW"
"$BIN/fota" -d data image add v2.img >/dev/null
"$BIN/fota" -d data assign --group bench 2.0.0 >/dev/null

echo "bench: image $SIZE bytes ($CHUNKS chunks of 1 KiB; signed for fota: $IMG_SIZE bytes);" \
    "link $RATE bytes/s each way, one-way delay $DELAY_MS ms (round trip $RTT_S s)"

# ---- stop-and-wait: the original loader against fotad's legacy listener --------
echo "bench: stop-and-wait (fotad --legacy-listen, legacy_client) ..."
t0=$(date +%s.%N)
rc=0
"$LEGACY_CLIENT" -p "$EMU_LEGACY" -o legacy.bin --timeout "$GUARD" >legacy.out 2>legacy.log ||
    rc=$?
t1=$(date +%s.%N)
[ "$rc" -eq 0 ] || fail "legacy_client exited $rc"
cmp -s legacy.bin v2.bin || fail "the legacy client got other bytes than v2.bin"
emu_settled emu-legacy.out
# shellcheck disable=SC2046 # three words
set -- $(emu_download emu-legacy.out 1)
SW_DL=$1
SW_WALL=$(calc "printf \"%.2f\", $t1 - $t0")
SW_CONNS=$3
SW_RESENDS=$(sed -n 's/.*legacy: complete, .* s, \([0-9][0-9]*\) resends.*/\1/p' fotad.log |
    tail -n 1)
[ -n "$SW_RESENDS" ] || fail "fotad did not log the legacy transfer as complete"

# ---- the fota protocol, one window after the other ------------------------------
ROWS=""
i=0
for w in $WINDOWS; do
    i=$((i + 1))
    echo "bench: fota, window $w (fotad, fota-sim run --window $w --chunk 1024) ..."
    FIRST=$(grep -c ': accepted from ' emu-fota.out || true)
    FIRST=$((FIRST + 1))
    rc=0
    "$BIN/fota-sim" run --simdir "dev-$i" --server "127.0.0.1:$EMU_FOTA" --window "$w" \
        --chunk 1024 --timeout "$GUARD" >"sim-$i.out" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || fail "fota-sim run --window $w exited $rc"
    [ "$(figure ok "sim-$i.out")" = 1 ] || fail "window $w: the device did not end on 2.0.0"
    emu_settled emu-fota.out
    # shellcheck disable=SC2046 # three words
    set -- $(emu_download emu-fota.out "$FIRST")
    [ "$2" -ge "$IMG_SIZE" ] || fail "window $w: only $2 bytes reached the device"
    ROWS="$ROWS $w:$1:$(figure seconds "sim-$i.out"):$3"
done
ACKED=$(sed -n 's/.*download acknowledged: .* in \([0-9.]*\) s$/\1/p' fotad.log | tr '\n' ' ')

# ---- the table --------------------------------------------------------------------
ORIG=$(calc "printf \"%.2f\", $CHUNKS * (1 + $RTT_S)")
T_END=$(date +%s.%N)
row() { # LABEL DOWNLOAD BYTES END_TO_END CONNS
    awk -v l="$1" -v d="$2" -v b="$3" -v e="$4" -v c="$5" -v sd="$SW_DL" -v se="$SW_WALL" \
        -v rate="$RATE" 'BEGIN {
        printf "%-31s %8.2f %6.2f %7.0f %4.0f%%", l, d, d / sd, b / d, 100 * b / d / rate
        if (e == "-") printf " %9s %6s", "-", "-"
        else printf " %9.2f %6.2f", e, e / se
        printf " %5s\n", c
    }'
}
echo
printf "%-31s %8s %6s %7s %5s %9s %6s %5s\n" "" "download" "" "goodput" "link" \
    "end to" "" ""
printf "%-31s %8s %6s %7s %5s %9s %6s %5s\n" "protocol" "s" "ratio" "B/s" "use" \
    "end s" "ratio" "conns"
row "original server, 1 s sleep (*)" "$ORIG" "$SIZE" - -
row "stop-and-wait, fotad legacy" "$SW_DL" "$SIZE" "$SW_WALL" "$SW_CONNS"
for r in $ROWS; do
    IFS=: read -r w dl e2e conns <<EOF
$r
EOF
    row "fota, window $w" "$dl" "$IMG_SIZE" "$e2e" "$conns"
done
cat <<EOF

measured: image $SIZE bytes, $CHUNKS chunks of 1 KiB (fota: the signed image, $IMG_SIZE bytes,
  in DATA frames of 1 KiB); link: linkemu, $RATE bytes/s and $DELAY_MS ms one-way delay each
  way (round trip $RTT_S s), no loss; one device at a time; $(uname -m), $(nproc) CPUs.
download: linkemu's account of the connection that carried the image, from its accept to the
  last byte it delivered (stop-and-wait: the last chunk's answer reaching fotad; fota: the
  REPORTED for DOWNLOADED reaching the device, after the manifest, the data and the
  verification). goodput: image bytes / download s; link use: goodput / link rate.
end to end: stop-and-wait: legacy_client's wall time, connect to the server's close; fota:
  fota-sim run's seconds: the download, the reset and install, the confirm, and the session
  that reports them. conns: connections linkemu saw.
ratio: seconds / stop-and-wait's seconds in the same column (below 1: faster).
(*) computed, not measured: $CHUNKS chunks x (1 s sleep + $RTT_S s round trip) = $ORIG s, the
  seed's Python server sleeping 1 s after each chunk before it looks for the answer.
fotad: stop-and-wait $SW_RESENDS resends (--legacy-timeout $LEGACY_TIMEOUT s); fota downloads
  acknowledged in ${ACKED% } s (REQUEST to the last ACK, fotad's log; windows $WINDOWS).
EOF
echo "bench: run took $(calc "printf \"%.0f\", $T_END - $T_START") s"
