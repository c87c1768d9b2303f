#!/bin/sh
# fotad refuses every misbehaving client with the ERROR code the protocol
# names, logs the refusal with the peer and the id given, and keeps serving
# the others meanwhile: garbage, a wrong protocol version, an oversized
# frame (refused on its header), a CRC error, a client that says nothing
# (timed out), an unknown device, a wrong secret, a replayed HELLO, a
# request for an image not assigned, frames out of order, an ACK beyond
# what was sent, and connections over --max-conns.
set -eu
. "$(dirname "$0")/fotad_lib.sh"

head -c 60000 /dev/urandom >fw.bin
mkdir data
"$PROTO_CLIENT" setup data fw.bin . 8 >setup.txt
size=$(wc -c <assigned.img | tr -d ' ')

start_fotad r -d data -l 127.0.0.1:0 --hello-timeout 1

# scenario NAME CODE [OPTIONS]: a misbehaving client in the background
# (NAME is the scenario, a digit may follow to run it twice).
scenario() {
    name=$1
    code=$2
    shift 2
    (rc=0; $T "$PROTO_CLIENT" run -p "$PORT" --timeout 10 "$@" "${name%[0-9]}" >"$name.txt" \
        2>"$name.err" || rc=$?; echo "$rc $code" >"$name.rc") &
    CLIENTS="$CLIENTS $!"
}
# update ID: a good device in the background, at the same time.
update() {
    (rc=0; $T "$PROTO_CLIENT" run -p "$PORT" --id "$1" --image assigned.img --window 1 \
        --max-frame 700 update >"$1.txt" 2>"$1.err" || rc=$?; echo "$rc" >"$1.rc") &
    CLIENTS="$CLIENTS $!"
}

update dev-1
update dev-2
scenario garbage BAD_FRAME
scenario badversion VERSION
scenario oversize TOO_BIG
scenario badcrc BAD_CRC
scenario silent TIMEOUT
scenario unknown UNKNOWN_DEVICE
scenario wrongsecret AUTH --id dev-3
scenario replay AUTH --id dev-4
scenario notassigned NOT_ASSIGNED --id dev-5 --other other.img
scenario early PROTO
scenario hellotwice PROTO --id dev-6
scenario ackbeyond PROTO --id dev-7
scenario reportflood PROTO --id dev-6
update dev-8
wait_clients

for s in garbage badversion oversize badcrc silent unknown wrongsecret replay notassigned \
    early hellotwice ackbeyond reportflood; do
    set -- $(cat $s.rc)
    [ "$1" = 0 ] || fail "$s: $(cat $s.err)"
    grep -q "^ERROR $2: " $s.txt || fail "$s: $(cat $s.txt)"
    ok
done
for d in dev-1 dev-2 dev-8; do
    [ "$(cat $d.rc)" = 0 ] || fail "$d: $(cat $d.err)"
    grep -q "received $size new $size again 0" $d.txt || fail "$d: $(cat $d.txt)"
    ok
done

# Each refusal is logged with the peer address and what it was.
p='127\.0\.0\.1:[0-9]+'
logged "$p: refused \\(BAD_FRAME, in state challenged\\): not a fota frame" r.log garbage
logged "$p: refused \\(VERSION, in state challenged\\): protocol version 2 not supported" r.log version
logged "$p: refused \\(TOO_BIG, in state challenged\\): frame of 60010 bytes, at most 512 taken" r.log \
    oversize
logged "$p: refused \\(BAD_CRC, in state challenged\\): frame CRC mismatch" r.log badcrc
logged "$p: refused \\(TIMEOUT, in state challenged\\): no HELLO within 1000 ms" r.log silent
logged "$p no-such-device: refused \\(UNKNOWN_DEVICE, in state challenged\\): unknown device" r.log \
    unknown
logged "$p dev-3: refused \\(AUTH, in state challenged\\): authentication failed" r.log wrongsecret
logged "$p dev-4: refused \\(AUTH, in state challenged\\): authentication failed" r.log replay
logged "$p dev-5: refused \\(NOT_ASSIGNED, in state idle\\)" r.log notassigned
logged "$p: refused \\(PROTO, in state challenged\\): expected HELLO, got REQUEST" r.log early
logged "$p dev-6: refused \\(PROTO, in state idle\\): HELLO not allowed in state idle" r.log \
    hellotwice
logged "$p dev-6: refused \\(PROTO, in state idle\\): more than 16 REPORTs on one connection" \
    r.log reportflood
logged "$p dev-7: refused \\(PROTO, in state sending\\): ACK 2147483647 beyond the [0-9]+ bytes sent" \
    r.log ackbeyond
# The replayed HELLO was first accepted on its own connection.
[ "$(grep -c 'dev-4: hello: ' r.log)" -eq 1 ] || fail "dev-4 accepted twice"
ok

# Still serving after all that.
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-5 --image assigned.img update >after.txt ||
    fail "update after the refusals"
ok
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok

# ---- max_conns: connections beyond it are closed at once ------------------------
start_fotad m -d data -l 127.0.0.1:0 --max-conns 2 --hello-timeout 3 --log-level debug
scenario silent TIMEOUT
scenario silent2 TIMEOUT
# Both silent clients hold their connection (a CHALLENGE is their proof).
n=0
while [ "$(grep -c 'connected, challenge sent' m.log || true)" -lt 2 ]; do
    n=$((n + 1))
    [ $n -lt 100 ] || fail "the two first connections were not taken"
    sleep 0.05
done
$T "$PROTO_CLIENT" run -p "$PORT" --timeout 5 full >full.txt 2>full.err ||
    fail "third connection: $(cat full.err)"
ok
logged "$p: refused: 2 connections open \\(max_conns\\)" m.log "over max_conns logged"
wait_clients
# Once they are gone, the next one is served.
$T "$PROTO_CLIENT" run -p "$PORT" --id dev-2 --image assigned.img update >after2.txt ||
    fail "update after max_conns"
ok
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok
done_checks
