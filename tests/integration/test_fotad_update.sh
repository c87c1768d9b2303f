#!/bin/sh
# fotad serves the fota protocol: a device gets the offer, the image's exact
# bytes in windows of frames no larger than its max_frame, REPORTED for its
# report; devices of every frame size and window at once; a device that is
# cut off resumes at the first byte it does not hold, receiving again at
# most one window per cut; one that runs the assigned image gets NOTHING;
# a hundred devices update at once.
set -eu
. "$(dirname "$0")/fotad_lib.sh"

# 150001 bytes of payload: frames never divide it evenly.
head -c 150001 /dev/urandom >fw.bin
mkdir data
"$PROTO_CLIENT" setup data fw.bin . 112 >setup.txt
size=$(wc -c <assigned.img | tr -d ' ')

start_fotad u -d data -l 127.0.0.1:0
[ -n "$PORT" ] || fail "no port printed"
ok
logged "listening on 127\\.0\\.0\\.1:$PORT" u.log "listening line logged"

# One device, the defaults (1 KiB frames, window 4).
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-1 --image assigned.img update >one.txt ||
    fail "update: $(cat one.txt)"
grep -q "^update: from 0 received $size new $size again 0$" one.txt || fail "$(cat one.txt)"
ok
logged "dev-1: hello: running 1\\.0\\.0, max_frame 1038, window 4 x 1024; offer 2\\.0\\.0 \\([0-9a-f]{8}, $size bytes\\) from offset 0" \
    u.log "offer logged"
logged "dev-1: request: from offset 0 of $size, 1024-byte frames, window 4" u.log "request logged"
logged "dev-1: download acknowledged: $size bytes from offset 0" u.log "completion logged"
logged "dev-1: report 7: downloaded 2\\.0\\.0" u.log "report logged"
[ "$("$PROTO_CLIENT" progress data dev-1)" = "$size $size" ] || fail "progress not stored"
ok

# Up to date, and reports stored once.
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-2 --image assigned.img nothing >n.txt || fail "nothing"
logged "dev-2: hello: .*nothing to do \\(runs the assigned image\\)" u.log "NOTHING logged"
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-idle report >r.txt || fail "report: $(cat r.txt)"
logged "dev-idle: hello: .*nothing to do \\(no image assigned\\)" u.log "unassigned device"
logged "dev-idle: report 41: failed.*\\(already stored\\)" u.log "duplicate report recognised"

# Ten devices at once, every frame size, window and chunk (0: the most the
# frame takes).
i=3
for spec in "640 1 0" "700 2 64" "1038 8 512" "2062 8 0" "4110 16 0" "65535 64 0" "65535 1 1000" \
    "777 64 0" "1000 3 0" "4110 64 0"; do
    set -- $spec
    chunk=""
    [ "$3" = 0 ] || chunk="--chunk $3"
    # shellcheck disable=SC2086 # an option and its value, or nothing
    (rc=0; $T "$PROTO_CLIENT" run -p "$PORT" --id dev-$i --image assigned.img \
        --max-frame "$1" --window "$2" $chunk update >c$i.txt 2>c$i.err || rc=$?; echo $rc >c$i.rc) &
    CLIENTS="$CLIENTS $!"
    i=$((i + 1))
done
wait_clients
for i in 3 4 5 6 7 8 9 10 11 12; do
    [ "$(cat c$i.rc)" = 0 ] || fail "dev-$i: $(cat c$i.err)"
    grep -q "^update: from 0 received $size new $size again 0$" c$i.txt || fail "dev-$i: $(cat c$i.txt)"
    ok
done
# The offer (a 512-byte header: 622 bytes) does not fit a 256-byte frame:
# refused, clearly.
RC=0
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-3 --image assigned.img --max-frame 256 update \
    >small.txt 2>small.err || RC=$?
[ $RC = 1 ] && grep -q "ERROR TOO_BIG: the offer takes 622 bytes, more than max_frame 256" small.err ||
    fail "small max_frame: $RC $(cat small.err)"
ok
logged "dev-3: refused \\(TOO_BIG, in state idle\\): the offer takes 622 bytes, more than max_frame 256" \
    u.log "offer too big for the device"
logged "dev-12: request: from offset 0 of $size, 4096-byte frames, window 64" u.log \
    "frames capped at 4 KiB of data"
logged "dev-4: request: from offset 0 of $size, 64-byte frames, window 2" u.log \
    "the smallest chunk"
logged "dev-5: request: from offset 0 of $size, 512-byte frames, window 8" u.log \
    "the STM32 port's window: 8 x 512 bytes"
logged "dev-9: request: from offset 0 of $size, 1000-byte frames, window 1" u.log \
    "a chunk below the frame's room"

# A hundred devices at once.
i=13
while [ $i -le 112 ]; do
    (rc=0; $T "$PROTO_CLIENT" run -p "$PORT" --id dev-$i --image assigned.img \
        --window $((i % 16 + 1)) update >h$i.txt 2>h$i.err || rc=$?; echo $rc >h$i.rc) &
    CLIENTS="$CLIENTS $!"
    i=$((i + 1))
done
wait_clients
i=13
while [ $i -le 112 ]; do
    [ "$(cat h$i.rc)" = 0 ] || fail "dev-$i of 100: $(cat h$i.err)"
    grep -q "^update: from 0 received $size new $size again 0$" h$i.txt || fail "dev-$i: $(cat h$i.txt)"
    i=$((i + 1))
done
ok
[ "$(grep -c 'download acknowledged' u.log)" -eq 111 ] || fail "not 111 downloads logged"
ok

# Cut off again and again: each run resumes where the device's held bytes
# end; what is received twice is at most one window (4 frames of 1 KiB).
window=$((4 * 1024))
rm -f held.bin
cuts=0
while :; do
    $T "$PROTO_CLIENT" run -p "$PORT" --id dev-1 --image assigned.img --state held.bin \
        --cut-after 13000 update >cut.txt 2>cut.err || fail "cut run: $(cat cut.err)"
    line=$(cat cut.txt)
    again=$(printf '%s\n' "$line" | sed -n 's/.* again \([0-9]*\).*/\1/p')
    from=$(printf '%s\n' "$line" | sed -n 's/^update: from \([0-9]*\) .*/\1/p')
    [ "$again" -le "$window" ] || fail "received $again bytes again after a cut: $line"
    held=$(wc -c <held.bin | tr -d ' ')
    [ "$from" -le "$held" ] || fail "resumed from $from, beyond the $held bytes held"
    case "$line" in *" cut "*) cuts=$((cuts + 1)) ;; *) break ;; esac
    [ $cuts -lt 40 ] || fail "no end after 40 cuts"
done
[ $cuts -ge 10 ] || fail "only $cuts cuts"
cmp -s held.bin assigned.img || fail "resumed download differs from the image"
ok
logged "dev-1: hello: .* from offset [1-9][0-9]*$" u.log "resume offset offered"

stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS after SIGTERM"
ok
logged "fotad: SIGTERM received: stopping$" u.log "signal logged"
logged "fotad: stopped$" u.log "stop logged"
"$PROTO_CLIENT" check data >/dev/null || fail "store check"
ok
done_checks "$cuts cuts"
