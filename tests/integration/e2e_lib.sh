# Helpers for the end-to-end tests (test_e2e_*.sh), sourced after `set -eu`.
# $1: the directory holding fota, fotad and fota-sim; $2: the one holding
# proto_client (its `check DATADIR` runs the store's integrity check).
#
# Each test works in its own temporary directory: a signing key, a demo
# firmware signed as 1.0.0 and 2.0.0, a data directory, fotad on 127.0.0.1
# (port 0 at first: the kernel picks a free one), devices provisioned on
# 1.0.0. Every process started here is killed on exit, the directory removed.

. "$(dirname "$0")/common.sh"
need_args 2 "BIN_DIR CLIENTS_DIR" $#
BIN=$(cd "$1" && pwd)
FOTA=$BIN/fota
FOTAD=$BIN/fotad
SIM=$BIN/fota-sim
PROTO_CLIENT=$(cd "$2" && pwd)/proto_client
need_exec "$FOTA" "$FOTAD" "$SIM" "$PROTO_CLIENT"
NAME=$(basename "$0" .sh)
make_work fota-e2e
asan_exitcode
# fail shows the last 30 lines of every log, then of every output.
FAIL_LOGS="log out"
FAIL_TAIL=30
# done_checks NOTE: "N checks passed; NOTE".
CHECKS_SEP="; "

# The primary slot of the STM32F103ZE flash file: 0x08005000.
SLOT_OFFSET=20480

now() {
    date +%s.%N
}

# seconds_since T0: seconds since T0 (from now), one decimal.
seconds_since() {
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# start_fotad NAME [PORT]: starts fotad (stdout NAME.out, log NAME.log) on
# 127.0.0.1:PORT (0: any free port) with its defaults and waits until it
# listens. Sets FOTAD_PID and PORT. (stop_fotad [SIGNAL], from common.sh,
# stops it.)
start_fotad() {
    launch_fotad "$1" "$1.out" "^listening on " listen -d data -l "127.0.0.1:${2:-0}"
    [ -n "$PORT" ] || fail "no port in $1.out"
}

# setup N [V2_SIZE]: keys, images v1.img (1.0.0, 20000 bytes) and v2.img
# (2.0.0, V2_SIZE bytes, default 30000), the data directory, fotad, N devices
# on 1.0.0 in group fleet, and v2.img in the store (not assigned yet).
setup() {
    "$FOTA" keygen -o key.pem >/dev/null
    "$FOTA" pubkey -k key.pem -o pub.pem
    "$SIM" mkfw -V 1.0.0 -s 20000 -o v1.bin
    "$SIM" mkfw -V 2.0.0 -s "${2:-30000}" -o v2.bin
    "$FOTA" sign -k key.pem -V 1.0.0 -c 1 v1.bin -o v1.img >/dev/null
    "$FOTA" sign -k key.pem -V 2.0.0 -c 2 v2.bin -o v2.img >/dev/null
    "$FOTA" -d data init -k pub.pem >/dev/null
    start_fotad fotad
    "$FOTA" -d data init --server "127.0.0.1:$PORT" >/dev/null
    "$SIM" provision -d data --simdir sim -n "$1" --image v1.img -g fleet >provision.out ||
        fail "fota-sim provision failed"
    "$FOTA" -d data image add v2.img >/dev/null
    ok
}

# run_sim OUT ARGS...: runs fota-sim run on the devices (bounded in time;
# the server is the one in their provisioning files); its output in OUT, its
# exit status in SIM_STATUS, its duration in SIM_TIME.
run_sim() {
    out=$1
    shift
    t0=$(now)
    SIM_STATUS=0
    timeout 240 "$SIM" run --simdir sim "$@" >"$out" 2>&1 || SIM_STATUS=$?
    SIM_TIME=$(seconds_since "$t0")
}

# check_slots IMAGE N: every device's primary slot holds IMAGE byte for
# byte, and there are N devices.
check_slots() {
    size=$(wc -c <"$1")
    n=0
    for f in sim/*.flash; do
        tail -c +$((SLOT_OFFSET + 1)) "$f" | head -c "$size" >slot.bin
        cmp -s slot.bin "$1" || fail "$f: the primary slot is not $1"
        n=$((n + 1))
    done
    rm -f slot.bin
    [ "$n" -eq "$2" ] || fail "$n device files, expected $2"
    ok
}

# check_status VERSION RESULT N: fota status lists N devices running VERSION
# whose last result is RESULT.
check_status() {
    "$FOTA" -d data status --json >status.json || fail "fota status failed"
    n=$(grep -c "\"running\": \"$1\".*\"last_result\": \"$2\"" status.json || true)
    [ "$n" -eq "$3" ] || fail "fota status: $n devices run $1 with '$2', expected $3"
    ok
}

# check_store: the database passes its integrity and foreign-key checks.
check_store() {
    "$PROTO_CLIENT" check data >check.out 2>&1 || fail "store check: $(cat check.out)"
    if command -v sqlite3 >/dev/null 2>&1; then
        r=$(sqlite3 data/fota.db 'PRAGMA integrity_check')
        [ "$r" = ok ] || fail "sqlite3 integrity_check: $r"
    fi
    ok
}
