#!/bin/sh
# SIGTERM: fotad stops accepting, stores the progress of every open session
# (what each device acknowledged, to the byte), closes the store and exits
# 0. SIGKILL mid-update: restarted on the same data directory, fotad lets
# the device finish from the bytes it holds, and the store is intact.
set -eu
. "$(dirname "$0")/fotad_lib.sh"

head -c 200000 /dev/urandom >fw.bin
mkdir data
"$PROTO_CLIENT" setup data fw.bin . 2 >setup.txt
size=$(wc -c <assigned.img | tr -d ' ')

# stall ID STATE AFTER: a device that takes AFTER bytes, then holds the
# connection in silence; waits until it says so, sets ACKED.
stall() {
    (rc=0; $T "$PROTO_CLIENT" run -p "$PORT" --id "$1" --image assigned.img --state "$2" \
        --stall-after "$3" --timeout 30 update >"$1.txt" 2>"$1.err" || rc=$?
        echo $rc >"$1.rc") &
    CLIENTS="$CLIENTS $!"
    n=0
    while ! grep -q "^stalled: " "$1.txt" 2>/dev/null; do
        n=$((n + 1))
        [ $n -lt 200 ] || fail "$1 did not stall: $(cat "$1.err")"
        sleep 0.05
    done
    ACKED=$(sed -n 's/^stalled: acknowledged \([0-9]*\)$/\1/p' "$1.txt")
}

# ---- SIGTERM stores the progress of open sessions ------------------------------
start_fotad t -d data -l 127.0.0.1:0
stall dev-1 held1.bin 50000
stop_fotad TERM
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS after SIGTERM"
ok
wait_clients
[ "$(cat dev-1.rc)" = 0 ] && grep -q "^closed by the server$" dev-1.txt || fail "dev-1 not closed"
ok
[ "$("$PROTO_CLIENT" progress data dev-1)" = "$ACKED $size" ] ||
    fail "stored progress $("$PROTO_CLIENT" progress data dev-1), acknowledged $ACKED"
ok
logged "dev-1: closed: server stopping; [0-9]+ image bytes sent, acknowledged $ACKED of $size" t.log \
    "the session's end logged"
logged "stopped$" t.log "exit logged"

# ---- SIGKILL mid-update, restart on the same port and data ---------------------------
port=$PORT
start_fotad k1 -d data -l 127.0.0.1:$port
stall dev-2 held2.bin 70000
stop_fotad KILL
wait_clients
"$PROTO_CLIENT" check data >/dev/null || fail "store damaged by SIGKILL"
ok
start_fotad k2 -d data -l 127.0.0.1:$port
[ "$PORT" = "$port" ] || fail "restarted on $PORT, not $port"
ok
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-2 --image assigned.img --state held2.bin update \
    >resume.txt 2>resume.err || fail "resume: $(cat resume.err)"
from=$(sed -n 's/^update: from \([0-9]*\) .*/\1/p' resume.txt)
[ "$from" = "$ACKED" ] || fail "resumed from $from, the device held $ACKED"
ok
cmp -s held2.bin assigned.img || fail "resumed image differs"
ok
# The first device finishes too.
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-1 --image assigned.img --state held1.bin update \
    >resume1.txt 2>resume1.err || fail "resume dev-1: $(cat resume1.err)"
cmp -s held1.bin assigned.img || fail "dev-1's image differs"
ok
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok
for d in dev-1 dev-2; do
    [ "$("$PROTO_CLIENT" progress data $d)" = "$size $size" ] || fail "$d progress"
    ok
done
"$PROTO_CLIENT" check data >/dev/null || fail "store check"
ok
done_checks
