# Helpers for the test_fotad_*.sh scripts, sourced after `set -eu`.
# $1: the directory holding fotad, $2: the one holding legacy_client and
# proto_client. Each script works in its own temporary directory; every
# process it starts is killed on exit, the directory removed.

if [ $# -lt 2 ]; then
    echo "usage: $0 FOTAD_DIR CLIENTS_DIR" >&2
    exit 2
fi
FOTAD=$(cd "$1" && pwd)/fotad
LEGACY_CLIENT=$(cd "$2" && pwd)/legacy_client
PROTO_CLIENT=$(cd "$2" && pwd)/proto_client
for f in "$FOTAD" "$LEGACY_CLIENT" "$PROTO_CLIENT"; do
    [ -x "$f" ] || { echo "FAIL: no $f" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fotad-test.XXXXXX")
PIDS=""
cleanup() {
    for p in $PIDS; do
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
cd "$WORK"
CHECKS=0
# Sanitizer builds: a leak or error is a failure with its own exit code.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}exitcode=66"

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "---- $(basename "$f") (last 40 lines)" >&2
        tail -n 40 "$f" >&2
    done
    exit 1
}

ok() {
    CHECKS=$((CHECKS + 1))
}

# Every client run is bounded in time.
T="timeout 60"

# start_fotad NAME ARGS...: starts fotad in the background (stdout in
# NAME.out, log in NAME.log) and waits until it serves. Sets FOTAD_PID, and
# PORT / LEGACY_PORT from its "listening on" lines.
start_fotad() {
    name=$1
    shift
    "$FOTAD" "$@" >"$name.out" 2>"$name.log" &
    FOTAD_PID=$!
    PIDS="$PIDS $FOTAD_PID"
    n=0
    while ! grep -q " started: " "$name.log" 2>/dev/null; do
        if ! kill -0 "$FOTAD_PID" 2>/dev/null; then
            fail "fotad $name exited at start"
        fi
        n=$((n + 1))
        [ $n -lt 200 ] || fail "fotad $name did not start within 20 s"
        sleep 0.1
    done
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$name.out")
    LEGACY_PORT=$(sed -n 's/^legacy listening on .*:\([0-9][0-9]*\)$/\1/p' "$name.out")
}

# stop_fotad [SIGNAL]: signals fotad (TERM by default) and waits for it to
# exit, at most 20 s. Leaves its exit status in STATUS.
stop_fotad() {
    kill -"${1:-TERM}" "$FOTAD_PID"
    n=0
    while kill -0 "$FOTAD_PID" 2>/dev/null; do
        n=$((n + 1))
        if [ $n -ge 200 ]; then
            fail "fotad did not exit within 20 s of SIG${1:-TERM}"
        fi
        sleep 0.1
    done
    STATUS=0
    wait "$FOTAD_PID" || STATUS=$?
}

# wait_clients: waits for the background jobs listed in CLIENTS (not for
# fotad), then empties the list.
wait_clients() {
    for p in $CLIENTS; do
        wait "$p" || true
    done
    CLIENTS=""
}
CLIENTS=""

# logged PATTERN FILE WHAT: fails unless the log has a line matching.
logged() {
    grep -Eq -- "$1" "$2" || fail "$3: no line /$1/ in $2"
    ok
}

# field NAME LINE: the value of NAME=value in LINE.
field() {
    printf '%s\n' "$2" | sed -n "s/.*$1=\\([0-9]*\\).*/\\1/p"
}

done_checks() {
    echo "$(basename "$0" .sh): $CHECKS checks passed${1:+, $1}"
}
