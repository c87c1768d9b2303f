#!/bin/sh
# fotad --legacy-listen: devices running the original loader get exactly the
# image's bytes, several at once, whatever their pace: answers dropped (the
# server sends again after --legacy-timeout), late, split across writes, with
# CR LF; a device that leaves half way or never answers does not disturb the
# others. A signed image is served as its payload.
set -eu
. "$(dirname "$0")/fotad_lib.sh"

# 100000 bytes: 97 chunks of 1 KiB and a last one of 672 bytes.
head -c 100000 /dev/urandom >fw.bin
mkdir data
"$PROTO_CLIENT" setup data fw.bin . 1 >setup.txt

# ---- several devices at once, with a short resend timeout --------------------
start_fotad a -d data --legacy-listen 127.0.0.1:0 --legacy-image fw.bin \
    --legacy-timeout 0.3 --idle-timeout 2
[ -n "$LEGACY_PORT" ] || fail "no legacy port printed"
[ -z "$PORT" ] || fail "a fota listener without -l"
ok
logged "legacy image fw.bin: 100000 bytes$" a.log "raw image loaded as is"

run_client() { # NAME OPTIONS...: one client in the background
    name=$1
    shift
    (rc=0; $T "$LEGACY_CLIENT" -p "$LEGACY_PORT" -o "$name.bin" --timeout 50 "$@" \
        >"$name.txt" 2>"$name.err" || rc=$?; echo $rc >"$name.rc") &
    CLIENTS="$CLIENTS $!"
}
CLIENTS=
run_client prompt
run_client drops --drop-every 7
run_client split --split --crlf
run_client slow --delay-ms 5 --drop-every 25
run_client quitter --quit-after 10
run_client mute --mute
wait_clients
for c in prompt drops split slow quitter mute; do
    [ "$(cat $c.rc)" = 0 ] || { cat $c.err >&2; fail "client $c exited $(cat $c.rc)"; }
    ok
done
for c in prompt drops split slow; do
    cmp -s $c.bin fw.bin || fail "client $c got other bytes than the image"
    ok
done

# Dropped answers: each one made the server send the message again.
line=$(cat drops.txt)
d=$(field dropped "$line")
dup=$(field duplicates "$line")
[ "$d" -ge 14 ] && [ "$dup" -ge "$d" ] || fail "drops: $line"
ok
line=$(cat slow.txt)
[ "$(field dropped "$line")" -ge 3 ] && [ "$(field duplicates "$line")" -ge 3 ] ||
    fail "slow: $line"
ok
logged "legacy: no answer to chunk 7 after 300 ms, sending it again" a.log "resend logged"
logged "legacy: no answer to size line 0 after 300 ms" a.log "size line resent"
logged "legacy: complete, 100000 bytes in 98 chunks, [0-9.]+ s, [0-9]+ resends" a.log \
    "completion logged"
logged "legacy: chunk 49 of 98 answered \\(50%\\)" a.log "progress logged"
logged "legacy: (connection closed by the device|(read|write) failed: .*); closing at chunk 11 of 98" \
    a.log "the quitter's departure logged"
logged "legacy: no answer for [0-9]+ s; closing at size line 0" a.log "mute device given up"
[ "$(grep -c 'legacy: complete' a.log)" -eq 4 ] || fail "not 4 completions"
ok
mute=$(cat mute.txt)
case "$mute" in "closed after "*) ok ;; *) fail "mute: $mute" ;; esac
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS after SIGTERM"
ok

# ---- a signed image is served as its payload; the default 1 s timeout --------
start_fotad b -d data --legacy-listen 127.0.0.1:0 --legacy-image assigned.img
logged "legacy image assigned.img: 100000 bytes \\(payload of a verified signed image\\)" b.log \
    "signed image unwrapped"
start=$(date +%s)
for c in s1 s2 s3; do
    run_client $c
done
wait_clients
end=$(date +%s)
# Prompt answers: no message was sent twice, and the transfer is paced by
# the answers, not by the timeout (the original server slept 1 s per chunk:
# 98 s here).
for c in s1 s2 s3; do
    [ "$(cat $c.rc)" = 0 ] || { cat $c.err >&2; fail "client $c exited $(cat $c.rc)"; }
    cmp -s $c.bin fw.bin || fail "client $c did not get the payload"
    [ "$(field duplicates "$(cat $c.txt)")" = 0 ] || fail "$c: copies sent: $(cat $c.txt)"
    ok
done
[ $((end - start)) -le 49 ] || fail "98 chunks took $((end - start)) s"
ok
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok

# ---- a damaged signed image is refused at start ----------------------------------
cp assigned.img bad.img
printf 'X' | dd of=bad.img bs=1 seek=600 conv=notrunc 2>/dev/null
RC=0
"$FOTAD" -d data --legacy-listen 127.0.0.1:0 --legacy-image bad.img >bad.out 2>bad.err || RC=$?
[ "$RC" = 1 ] || fail "a bad signed image: exit $RC"
grep -q "bad.img: a fota image, but not a valid one: digest mismatch" bad.err ||
    fail "bad image message: $(cat bad.err)"
ok
done_checks
