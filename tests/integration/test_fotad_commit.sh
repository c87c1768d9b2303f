#!/bin/sh
# fotad commits the store once per round of its loop, and an answer that
# says something was stored (the answer to HELLO, which is recorded;
# REPORTED) leaves only after that commit: a crash at the commit never
# tells a device something the store lost. The crash: fotad's file-size
# limit (prlimit --fsize) set to the size of its write-ahead log, so the
# next commit's first write kills it with SIGXFSZ. Afterwards the device
# must have had no answer, and the store, intact, must not hold the write.
set -eu
. "$(dirname "$0")/fotad_lib.sh"
FOTA=$(dirname "$FOTAD")/fota
need_exec "$FOTA"
need prlimit

head -c 6000 /dev/urandom >fw.bin
mkdir data
"$PROTO_CLIENT" setup data fw.bin . 2 >setup.txt
# Every run starts from this state.
cp -a data pristine

# wal_size: bytes of the data directory's write-ahead log (0: none yet).
wal_size() {
    if [ -f data/fota.db-wal ]; then wc -c <data/fota.db-wal | tr -d ' '; else echo 0; fi
}

# crash_at_next_commit BYTES: no file of fotad's may grow past BYTES, so
# its next commit beyond them kills it (the round's log lines, written
# after the commit, never come first).
crash_at_next_commit() {
    prlimit --pid "$FOTAD_PID" --fsize="$1" --core=0 || fail "prlimit on fotad failed"
}

# fotad_dead: waits for fotad to end by itself (killed after 10 s), its
# exit status in STATUS.
fotad_dead() {
    (sleep 10; kill -KILL "$FOTAD_PID" 2>/dev/null) &
    watchdog=$!
    STATUS=0
    wait "$FOTAD_PID" 2>/dev/null || STATUS=$?
    kill "$watchdog" 2>/dev/null || true
}

# status_of ID FIELD: FIELD of device ID in fota status --json.
status_of() {
    "$FOTA" -d data status --json |
        sed -n "s/.*\"id\": \"$1\".*\"$2\": \\([^,}]*\\).*/\\1/p"
}

# ---- HELLO: fotad dies at the commit that records it ------------------------
start_fotad h1 -d data -l 127.0.0.1:0
crash_at_next_commit "$(wal_size)"
rc=0
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-1 --image assigned.img nothing \
    >hello.txt 2>hello.err || rc=$?
[ "$rc" = 1 ] || fail "the device got an answer to a HELLO the store lost: $(cat hello.txt)"
ok
grep -q "closed while waiting for NOTHING" hello.err || fail "HELLO: $(cat hello.err)"
ok
fotad_dead
[ "$STATUS" = $((128 + 25)) ] || fail "fotad exited $STATUS, not by SIGXFSZ at its commit"
ok
"$PROTO_CLIENT" check data >/dev/null || fail "store damaged by the crash"
ok
[ "$(status_of dev-1 connections)" = 0 ] || fail "the lost HELLO is in the store"
ok

# The same HELLO once the store takes it: answered, and recorded.
start_fotad h2 -d data -l 127.0.0.1:0
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-1 --image assigned.img nothing \
    >hello2.txt 2>hello2.err || fail "HELLO after the restart: $(cat hello2.err)"
# The answer went out after the commit: the store holds the HELLO now.
[ "$(status_of dev-1 connections)" = 1 ] || fail "the answered HELLO is not in the store"
ok
# How much one HELLO's commit writes, from the start of the log.
hello_wal=$(wal_size)
[ "$hello_wal" -gt 0 ] || fail "no write-ahead log after a HELLO"
ok
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok

# ---- REPORT: the HELLO's commit fits, the report's does not -------------------
rm -rf data
cp -a pristine data
start_fotad r1 -d data -l 127.0.0.1:0
[ "$(wal_size)" = 0 ] || fail "fotad wrote its log before any device came"
ok
crash_at_next_commit "$hello_wal"
rc=0
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-2 report >report.txt 2>report.err || rc=$?
[ "$rc" = 1 ] || fail "the device got REPORTED for a report the store lost: $(cat report.txt)"
ok
grep -q "closed while waiting for REPORTED" report.err || fail "REPORT: $(cat report.err)"
ok
fotad_dead
[ "$STATUS" = $((128 + 25)) ] || fail "fotad exited $STATUS, not by SIGXFSZ at its commit"
ok
"$PROTO_CLIENT" check data >/dev/null || fail "store damaged by the crash"
ok
[ "$(status_of dev-2 connections)" = 1 ] && [ "$(status_of dev-2 last_result)" = null ] ||
    fail "the store holds $(status_of dev-2 connections) HELLO and result" \
        "$(status_of dev-2 last_result): not the HELLO alone"
ok

# The device resends its report (it never had REPORTED): stored this time.
start_fotad r2 -d data -l 127.0.0.1:0
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-2 report >report2.txt 2>report2.err ||
    fail "REPORT after the restart: $(cat report2.err)"
[ "$(status_of dev-2 last_result)" = '"failed 2.0.0"' ] ||
    fail "stored result $(status_of dev-2 last_result)"
ok
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok
"$PROTO_CLIENT" check data >/dev/null || fail "store check"
ok
done_checks "2 crashes at a commit, no answer before it"
