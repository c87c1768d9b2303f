# Helpers for the test_fotad_*.sh scripts, sourced after `set -eu`.
# $1: the directory holding fotad, $2: the one holding legacy_client and
# proto_client. Each script works in its own temporary directory; every
# process it starts is killed on exit, the directory removed.

. "$(dirname "$0")/common.sh"
need_args 2 "FOTAD_DIR CLIENTS_DIR" $#
FOTAD=$(cd "$1" && pwd)/fotad
LEGACY_CLIENT=$(cd "$2" && pwd)/legacy_client
PROTO_CLIENT=$(cd "$2" && pwd)/proto_client
need_exec "$FOTAD" "$LEGACY_CLIENT" "$PROTO_CLIENT"
make_work fotad-test
asan_exitcode
# fail shows the last 40 lines of every log.
FAIL_LOGS=log
FAIL_TAIL=40

# Every client run is bounded in time.
T="timeout 60"

# start_fotad NAME ARGS...: starts fotad in the background (stdout in
# NAME.out, log in NAME.log) and waits until it serves. Sets FOTAD_PID, and
# PORT / LEGACY_PORT from its "listening on" lines.
# (stop_fotad [SIGNAL], from common.sh, stops it and sets STATUS.)
start_fotad() {
    name=$1
    shift
    launch_fotad "$name" "$name.log" " started: " start "$@"
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
