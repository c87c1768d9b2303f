#!/bin/sh
# fota sign: the layout, digest and signature of an image are exactly what
# docs/image-format.md says, checked with OpenSSL alone.
set -eu
. "$(dirname "$0")/tool_lib.sh"
need openssl

"$FOTA" keygen -o key.pem >/dev/null
"$FOTA" pubkey -k key.pem -o pub.pem
random_file fw.bin 3001
expect 0 "sign" "$FOTA" sign -k key.pem -V 1.2.3 -c 5 --build 9 fw.bin -o fw.img
id=$(openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | openssl dgst -sha256 -r | cut -c1-16)
has "^fw.img: signed version 1\\.2\\.3\\+9, counter 5, 3001 bytes payload at 0x08005200, key id $id" \
    "sign summary"
[ "$(size fw.img)" -eq $((512 + 3001 + 32 + 64)) ] || fail "image size $(size fw.img)"
ok

# The fixed header, field by field (little-endian).
[ "$(hexof fw.img 0 4)" = 464f5441 ] || fail "magic"
[ "$(u16 fw.img 4)" -eq 1 ] || fail "format version"
[ "$(u16 fw.img 6)" -eq 512 ] || fail "header size"
[ "$(hexof fw.img 8 4)" = 01020300 ] || fail "major, minor, patch"
[ "$(u32 fw.img 12)" -eq 9 ] || fail "build"
[ "$(u32 fw.img 16)" -eq 5 ] || fail "security counter"
[ "$(u32 fw.img 20)" -eq 3001 ] || fail "payload size"
[ "$(hexof fw.img 24 4)" = 00520008 ] || fail "load address"
[ "$(u32 fw.img 28)" -eq 0 ] || fail "flags"
[ "$(hexof fw.img 32 32)" = "$(printf '%064d' 0)" ] || fail "reserved bytes not zero"
# TLVs: key id (type 1, length 8), end (type 0xffff, length 0), 0xff to the end.
[ "$(hexof fw.img 64 4)" = 01000800 ] || fail "key-id TLV head"
[ "$(hexof fw.img 68 8)" = "$id" ] || fail "key-id value"
[ "$(hexof fw.img 76 4)" = ffff0000 ] || fail "end TLV"
pad=$(hexof fw.img 80 432 | tr -d f)
[ -z "$pad" ] || fail "header padding is not 0xff"
ok
# The payload is the input, byte for byte.
dd if=fw.img of=payload.bin bs=512 skip=1 2>/dev/null
head -c 3001 payload.bin >payload.cut
same payload.cut fw.bin "payload"

# Check by hand as the documentation shows: sizes from `fota inspect`.
hs=$(inspect_field fw.img "header size")
ps=$(inspect_field fw.img "payload size")
[ "$hs" -eq 512 ] && [ "$ps" -eq 3001 ] || fail "inspect sizes $hs $ps"
ok
head -c $((hs + ps)) fw.img >signed.bin
tail -c 96 fw.img | head -c 32 >digest.bin
tail -c 64 fw.img >sig.bin
# digest = SHA-256(header || payload)
[ "$(openssl dgst -sha256 -r signed.bin | cut -c1-64)" = "$(hexof digest.bin)" ] ||
    fail "stored digest is not SHA-256(header || payload)"
ok
# signature = Ed25519 over header || digest
head -c "$hs" fw.img >msg.bin
cat digest.bin >>msg.bin
expect 0 "openssl verifies the signature" \
    openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg.bin -sigfile sig.bin
has "Signature Verified Successfully" "openssl verdict"
# ... and a signature over anything else does not verify.
head -c "$((hs + ps))" fw.img >wrongmsg.bin
expect 1 "openssl refuses the signature over header || payload" \
    openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in wrongmsg.bin -sigfile sig.bin
# OpenSSL's own Ed25519 signature of the same message is the same bytes
# (Ed25519 is deterministic).
openssl pkeyutl -sign -inkey key.pem -rawin -in msg.bin -out sig.openssl.bin
same sig.openssl.bin sig.bin "openssl signature vs fota signature"

# fota verify with either half of the key.
expect 0 "verify with the public key" "$FOTA" verify -k pub.pem fw.img
has "^fw.img: OK, version 1\\.2\\.3\\+9, counter 5, 3001 bytes payload at 0x08005200, key id $id$" \
    "verify line"
expect 0 "verify with the private key" "$FOTA" verify -k key.pem fw.img

# Signing is deterministic: the same inputs give the same image.
expect 0 "sign again" "$FOTA" sign -k key.pem -V 1.2.3+9 -c 5 fw.bin -o fw2.img
same fw.img fw2.img "deterministic signing (+9 in -V equals --build 9)"

# Options: load address, header size, version limits.
expect 0 "sign -a" "$FOTA" sign -k key.pem -V 0.0.0 -a 0x08010000 fw.bin -o a.img
[ "$(hexof a.img 24 4)" = 00000108 ] || fail "-a load address"
ok
expect 0 "sign --header-size 1024" "$FOTA" sign -k key.pem -V 255.255.65535 \
    --header-size 1024 fw.bin -o h.img
[ "$(u16 h.img 6)" -eq 1024 ] && [ "$(size h.img)" -eq $((1024 + 3001 + 96)) ] ||
    fail "header size 1024"
ok
[ "$(hexof h.img 8 4)" = ffffffff ] || fail "version 255.255.65535"
ok
expect 0 "verify a 1024-byte header" "$FOTA" verify -k pub.pem h.img
{ head -c 1024 h.img; tail -c 96 h.img | head -c 32; } >msg2.bin
tail -c 64 h.img >sig2.bin
expect 0 "openssl, 1024-byte header" \
    openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg2.bin -sigfile sig2.bin
expect 0 "smallest header" "$FOTA" sign -k key.pem -V 1.0.0 --header-size 80 fw.bin -o s.img
expect 0 "verify the smallest header" "$FOTA" verify -k pub.pem s.img
for bad in 76 81 130 4096 0x801 abc; do
    expect 2 "--header-size $bad" "$FOTA" sign -k key.pem -V 1.0.0 --header-size "$bad" fw.bin -o x.img
    has "bad header size" "--header-size $bad message"
done
for bad in 1.2 1.2.3.4 256.0.0 0.256.0 0.0.65536 a.b.c -1.2.3 1..3 " 1.2.3" 1.2.3+ 1.2.3+x 1.2.3+4294967296 ""; do
    expect 2 "-V '$bad'" "$FOTA" sign -k key.pem -V "$bad" fw.bin -o x.img
    has "bad version" "-V '$bad' message"
done
for bad in -1 0x100000000 4294967296 12a; do
    expect 2 "-c $bad" "$FOTA" sign -k key.pem -V 1.0.0 -c "$bad" fw.bin -o x.img
    has "bad security counter" "-c $bad message"
done
expect 2 "build twice" "$FOTA" sign -k key.pem -V 1.0.0+1 --build 2 fw.bin -o x.img
expect 0 "counter 2^32-1" "$FOTA" sign -k key.pem -V 1.0.0 -c 4294967295 fw.bin -o c.img
[ "$(hexof c.img 16 4)" = ffffffff ] || fail "counter 0xffffffff"
ok

# The output is replaced atomically: a failed sign leaves the old file as
# it was and no temporary files behind; output next to the input works.
cp fw.img keep.img
expect 1 "sign with a missing input" "$FOTA" sign -k key.pem -V 9.9.9 missing.bin -o fw.img
same fw.img keep.img "old output kept after a failure"
expect 0 "sign over an existing output" "$FOTA" sign -k key.pem -V 2.0.0 fw.bin -o fw.img
cmp -s fw.img keep.img && fail "output not replaced"
ok
[ -z "$(ls -A | grep tmp)" ] || fail "temporary files left: $(ls -A)"
ok
mkdir sub
expect 0 "sign into a directory" "$FOTA" sign -k key.pem -V 1.0.0 fw.bin -o sub/fw.img
[ "$(ls -A sub)" = fw.img ] || fail "sub/ holds $(ls -A sub)"
ok
expect 1 "sign into a missing directory" "$FOTA" sign -k key.pem -V 1.0.0 fw.bin -o nodir/fw.img
has "nodir/fw.img" "error names the output"
expect 2 "output over the input" "$FOTA" sign -k key.pem -V 1.0.0 fw.bin -o fw.bin
expect 2 "output over the key" "$FOTA" sign -k key.pem -V 1.0.0 fw.bin -o key.pem
expect 0 "key still usable" "$FOTA" pubkey -k key.pem

done_checks
