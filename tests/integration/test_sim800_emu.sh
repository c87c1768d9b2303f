#!/bin/sh
# fota-sim800 from outside: each scenario starts the emulator on a link in
# the test's directory, with the flags under test, and drives its tty with
# sim800_client.py (a scripted AT client with an echo server of its own),
# which checks every response line. Then the emulator must stop on SIGTERM
# with status 0, remove its link, and have logged the faults it injected.
set -eu
. "$(dirname "$0")/common.sh"
need_args 1 "FOTA_SIM800_DIR" $#
EMU=$(cd "$1" && pwd)/fota-sim800
CLIENT=$(cd "$(dirname "$0")" && pwd)/sim800_client.py
need_exec "$EMU"
need python3
make_work sim800-test
asan_exitcode
FAIL_LOGS="log out client"
FAIL_TAIL=30

FAST="--down 200000 --up 200000 --latency 20"
SLOW="--down 20000 --up 20000 --latency 50"

# scenario NAME FLAGS...: the emulator with FLAGS, the client's scenario
# NAME against it, then SIGTERM.
scenario() {
    name=$1
    shift
    "$EMU" --link "$WORK/$name.tty" --log "$name.log" "$@" >"$name.out" 2>&1 &
    emu=$!
    PIDS="$PIDS $emu"
    wait_for "$name.out" "^fota-sim800: ready on $WORK/$name.tty\$" "$emu" 100 \
        "$name: the emulator exited at start" "$name: the emulator was not ready in 10 s"
    [ -c "$name.tty" ] || fail "$name: $name.tty is not a link to a tty"
    ok
    timeout 60 python3 "$CLIENT" "$WORK/$name.tty" "$name" >"$name.client" 2>&1 ||
        fail "$name: $(tail -n 5 "$name.client")"
    cat "$name.client"
    ok
    kill -TERM "$emu"
    status=0
    wait "$emu" || status=$?
    [ "$status" = 0 ] || fail "$name: the emulator exited $status after SIGTERM"
    ok
    [ ! -e "$name.tty" ] && [ ! -L "$name.tty" ] || fail "$name: the link is still there"
    ok
    grep -q "^fota-sim800: done: commands=[1-9]" "$name.out" || fail "$name: no figures"
    ok
}

# logged NAME COUNT PATTERN: NAME.log has COUNT lines matching.
logged() {
    n=$(grep -c -- "$3" "$1.log" || true)
    [ "$n" = "$2" ] || fail "$1: $n lines /$3/ in the log, expected $2"
    ok
}

scenario dialogue $FAST
logged dialogue 7 ' cmd AT+CIPSTART="TCP","127.0.0.1","[0-9]*"$'
logged dialogue 0 ' fault '
scenario noise $FAST --urc-every 30 --seed 7
logged noise 1 'seed 7$'
grep -q "noise=[1-9]" noise.out || fail "noise: no noise in the figures"
ok
scenario fail-connects $FAST --fail-connects 2
logged fail-connects 2 ' fault connect-fail to 127.0.0.1:'
grep -q "connects=3 .* faults=2 " fail-connects.out || fail "fail-connects: figures"
ok
scenario pdp-loss --down 200000 --up 1000 --latency 20 --pdp-loss-after 100
logged pdp-loss 1 ' fault pdp-loss after 100 bytes down$'
scenario close-after $SLOW --close-after 1500
logged close-after 1 ' fault close-after 1500 bytes down'
grep -q " down=3500 faults=1 " close-after.out || fail "close-after: figures"
ok
scenario boot $FAST --boot-delay 1500
logged boot 1 ' cmd AT$'
scenario pace --baud 9600 --down 1000 --up 1000 --latency 200

# Usage errors exit 2 and create nothing.
st=0
"$EMU" --link "$WORK/x.tty" --down lots >usage.out 2>&1 || st=$?
[ "$st" = 2 ] && [ ! -e x.tty ] && grep -q "^usage: fota-sim800" usage.out ||
    fail "a bad number: status $st"
ok
st=0
"$EMU" >usage.out 2>&1 || st=$?
[ "$st" = 2 ] && grep -q -- "--link is required" usage.out || fail "no --link: status $st"
ok
done_checks "7 scenarios"
