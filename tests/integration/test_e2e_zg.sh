#!/bin/sh
# The STM32F103ZG model (1 MiB of flash): a 256 KiB image (262,144 bytes of
# payload, more than the STM32F103ZE's slot takes) reaches ZG devices through
# fotad and is installed and confirmed, byte for byte; a ZE device assigned
# the same image refuses its offer (TOO_BIG), reports it and keeps 1.0.0.
# fota-sim device status names each model; a flash file of another size is
# refused with the sizes expected.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
ZG_DEVICES=2
PAYLOAD=262144

# ---- images, fotad, two ZG devices (provisioned) and one ZE (made by hand) ----
"$FOTA" keygen -o key.pem >/dev/null
"$FOTA" pubkey -k key.pem -o pub.pem
"$SIM" mkfw -V 1.0.0 -s 20000 -o v1.bin >/dev/null
"$SIM" mkfw -V 2.0.0 -s $PAYLOAD -o v2.bin >/dev/null
"$FOTA" sign -k key.pem -V 1.0.0 -c 1 v1.bin -o v1.img >/dev/null
"$FOTA" sign -k key.pem -V 2.0.0 -c 2 v2.bin -o v2.img >/dev/null
"$FOTA" -d data init -k pub.pem >/dev/null
start_fotad fotad
"$FOTA" -d data init --server "127.0.0.1:$PORT" >/dev/null
"$SIM" provision -d data --simdir zg -n $ZG_DEVICES --image v1.img -g big --model f103zg \
    >provision.out 2>&1 || fail "fota-sim provision --model f103zg failed"
grep -q "as simulated f103zg devices in zg" provision.out || fail "provision: $(cat provision.out)"
mkdir ze
"$FOTA" -d data device add ze-1 -g small -o ze/ze-1.conf >add.out
"$SIM" device init --flash ze/ze-1.flash -k pub.pem --image v1.img >init.out
[ "$(wc -c <zg/sim-0001.flash)" -eq 1048576 ] || fail "the f103zg flash file is not 1 MiB"
[ "$(wc -c <ze/ze-1.flash)" -eq 524288 ] || fail "the default flash file is not 512 KiB"
ok

# ---- device status names the model; other sizes are refused ----
"$SIM" device status --flash zg/sim-0001.flash >zg-status.out
grep -q '^model      f103zg (STM32F103ZG, 1024 KiB of flash, images up to 495616 bytes)$' \
    zg-status.out || fail "ZG status: $(cat zg-status.out)"
"$SIM" device status --flash ze/ze-1.flash >ze-status.out
grep -q '^model      f103ze (STM32F103ZE, 512 KiB of flash, images up to 233472 bytes)$' \
    ze-status.out || fail "ZE status: $(cat ze-status.out)"
head -c 700000 zg/sim-0002.flash >odd.flash
rc=0
"$SIM" device boot --flash odd.flash >odd.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "device boot on a 700000-byte file exited $rc, not 1"
grep -q "odd.flash: 700000 bytes, not a device flash file (expected 524288 bytes for an f103ze or 1048576 bytes for an f103zg)" \
    odd.out || fail "odd size: $(cat odd.out)"
rc=0
"$SIM" device init --flash big.flash -k pub.pem --image v2.img >big.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "does not fit the 233472-byte slot of the f103ze" big.out ||
    fail "device init put the 256 KiB image on an f103ze (exit $rc): $(cat big.out)"
ok

# ---- the ZG devices take the 256 KiB image ----
"$FOTA" -d data image add v2.img >/dev/null
"$FOTA" -d data assign --group big 2.0.0 >/dev/null
"$FOTA" -d data assign --group small 2.0.0 >/dev/null
t0=$(now)
rc=0
timeout 240 "$SIM" run --simdir zg --timeout 180 >zg-run.out 2>&1 || rc=$?
ZG_TIME=$(seconds_since "$t0")
[ "$rc" -eq 0 ] || fail "fota-sim run (f103zg) exited $rc"
[ "$(figure ok zg-run.out)" = $ZG_DEVICES ] || fail "not $ZG_DEVICES ZG devices OK"
[ "$(figure installs zg-run.out)" = $ZG_DEVICES ] || fail "not $ZG_DEVICES installs"
ok
size=$(wc -c <v2.img)
[ "$size" -eq $((PAYLOAD + 512 + 96)) ] || fail "v2.img is $size bytes"
data=$(figure data_bytes zg-run.out)
[ "$data" -ge $((ZG_DEVICES * size)) ] || fail "only $data DATA bytes received"
for f in zg/*.flash; do
    # The primary slot (0x08005000) holds v2.img, the secondary (0x0807E800)
    # the previous image; the agent's progress page is the last one.
    tail -c +$((SLOT_OFFSET + 1)) "$f" | head -c "$size" >slot.bin
    cmp -s slot.bin v2.img || fail "$f: the primary slot is not v2.img"
    tail -c +$((518144 + 1)) "$f" | head -c "$(wc -c <v1.img)" >slot.bin
    cmp -s slot.bin v1.img || fail "$f: the secondary slot does not hold v1.img"
    n=$(tail -c 2048 "$f" | LC_ALL=C tr -d '\377' | wc -c)
    [ "$n" -gt 0 ] || fail "$f: the agent wrote nothing to page 511"
    "$SIM" device status --flash "$f" >st.out
    grep -q '^primary    0x08005000: version 2.0.0+0, counter 2, 262144 bytes payload$' st.out ||
        fail "$f: status: $(cat st.out)"
done
rm -f slot.bin
ok

# ---- the ZE device refuses it ----
rc=0
timeout 120 "$SIM" run --simdir ze --timeout 60 >ze-run.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "fota-sim run (f103ze) exited $rc on a 256 KiB image, not 1"
grep -q '^ze-1 .*FAIL (refused 2.0.0: too big (reported))$' ze-run.out ||
    fail "the ZE device did not refuse 2.0.0 as too big"
[ "$(figure data_bytes ze-run.out)" = 0 ] || fail "the ZE device received DATA"
tail -c +$((SLOT_OFFSET + 1)) ze/ze-1.flash | head -c "$(wc -c <v1.img)" >slot.bin
cmp -s slot.bin v1.img || fail "the ZE device's primary slot is not v1.img"
rm -f slot.bin
ok
check_status 2.0.0 "confirmed 2.0.0" $ZG_DEVICES
grep -q '"id": "ze-1".*"running": "1.0.0".*"last_result": "refused 2.0.0: too big"' status.json ||
    fail "fota status: ze-1 is not on 1.0.0 with 'refused 2.0.0: too big'"
ok
kill -0 "$FOTAD_PID" || fail "fotad died"
stop_fotad TERM
check_store
done_checks "$ZG_DEVICES f103zg devices installed and confirmed a $size-byte image \
($PAYLOAD bytes of payload; $data DATA bytes in $ZG_TIME s), the f103ze device refused it \
(TOO_BIG, reported, 0 DATA bytes)"
