#!/bin/sh
# fota devcfg: a real device's configuration record from its provisioning
# file: the layout docs/flash-layout.md gives, byte for byte, the secret
# from the file, refusals that name the problem, and --show.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"
need python3
admin_keys
"$FOTA" -d data init -k pub.pem --server fota.example.com:7000 >/dev/null
"$FOTA" -d data device add dev-7 -o dev-7.conf >/dev/null
SECRET=$(conf_value dev-7.conf secret)

expect 0 "devcfg" "$FOTA" devcfg -p dev-7.conf -o cfg.bin --apn cmnet --user u1 \
    --password pw
has '^cfg.bin: device dev-7, server fota.example.com:7000, APN "cmnet", user "u1", password set$' "devcfg output"
[ "$(mode_of cfg.bin)" = 600 ] || fail "record mode $(mode_of cfg.bin)"
ok

# The record, decoded independently of the C code.
python3 - "$SECRET" <<'PY' || fail "the record's bytes"
import struct, sys, zlib
rec = open("cfg.bin", "rb").read()
assert len(rec) == 280, len(rec)
assert rec[0:4] == b"FCFG"
assert struct.unpack("<HH", rec[4:8]) == (1, 280)
def text(a, n):
    f = rec[a:a + n]
    assert b"\0" in f
    return f.split(b"\0")[0].decode()
assert text(8, 40) == "dev-7"
assert rec[48:80].hex() == sys.argv[1]
assert text(80, 64) == "fota.example.com"
assert struct.unpack("<HH", rec[144:148]) == (7000, 0)
assert text(148, 64) == "cmnet" and text(212, 32) == "u1" and text(244, 32) == "pw"
assert struct.unpack("<I", rec[276:280])[0] == zlib.crc32(rec[:276])
PY
ok

expect 0 "devcfg --show" "$FOTA" devcfg --show cfg.bin
has "device dev-7, server fota.example.com:7000" "show output"
ok
expect 1 "no clobber" "$FOTA" devcfg -p dev-7.conf -o cfg.bin
has "already exists" "clobber message"
ok
expect 0 "--server overrides" "$FOTA" devcfg -p dev-7.conf -o cfg2.bin --server 10.1.2.3:9000
has "server 10.1.2.3:9000, APN \"\"" "override"
ok
expect 1 "bad server" "$FOTA" devcfg -p dev-7.conf -o cfg3.bin --server nocolon
has "server 'nocolon' is not HOST:PORT" "bad server message"
[ ! -e cfg3.bin ] || fail "record written for a bad server"
ok
expect 1 "long APN" "$FOTA" devcfg -p dev-7.conf -o cfg3.bin \
    --apn "$(printf '%070d' 0)"
has "at most 63 characters" "long APN message"
ok
expect 1 "a quote in the APN" "$FOTA" devcfg -p dev-7.conf -o cfg3.bin --apn 'a"b'
has "apn: character 2 .0x22. is not allowed" "quote message"
[ ! -e cfg3.bin ] || fail "record written with a quote in the APN"
ok
printf 'XXXX' | dd of=cfg.bin bs=1 seek=0 conv=notrunc 2>/dev/null
expect 1 "show a broken record" "$FOTA" devcfg --show cfg.bin
has "cfg.bin: not a device configuration record" "broken record message"
ok
expect 2 "missing -o" "$FOTA" devcfg -p dev-7.conf
ok
echo "admin_devcfg: record layout, secret, overrides and 6 refusals checked"
