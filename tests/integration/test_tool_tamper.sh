#!/bin/sh
# fota verify refuses every single-byte change to an image: each header
# byte (two different flips), each digest and signature byte, sampled payload
# bytes; and truncation, trailing bytes and the wrong key. Each refusal must
# say why.
set -eu
. "$(dirname "$0")/tool_lib.sh"

"$FOTA" keygen -o key.pem >/dev/null
"$FOTA" pubkey -k key.pem -o pub.pem
random_file fw.bin 4099
"$FOTA" sign -k key.pem -V 1.2.3 -c 7 fw.bin -o good.img >/dev/null
cp good.img img
HS=512
PS=4099
TOTAL=$((HS + PS + 96))
REASONS='bad magic|unsupported|truncated|malformed|digest mismatch|bad signature|trailing garbage|key id mismatch'

expect 0 "the untouched image verifies" "$FOTA" verify -k pub.pem img

refused=0
accepted=0
# flip OFFSET MASK EXPECTED: xor one byte of img in place, verify, restore.
flip() {
    orig=$(getbyte img "$1")
    putbyte img "$1" $((orig ^ $2))
    run "$FOTA" verify -k pub.pem img
    putbyte img "$1" "$orig"
    if [ "$RC" -eq 0 ]; then
        accepted=$((accepted + 1))
        echo "ACCEPTED: byte $1 xor $2" >&2
        return
    fi
    [ "$RC" -eq 1 ] || fail "byte $1 xor $2: exit $RC, expected 1: $OUT"
    printf '%s\n' "$OUT" | grep -q "^fota: img: " || fail "byte $1: message does not name the file: $OUT"
    printf '%s\n' "$OUT" | grep -Eq -- "$3" ||
        fail "byte $1 xor $2: reason not one of /$3/: $OUT"
    refused=$((refused + 1))
}

off=0
while [ $off -lt $HS ]; do
    flip $off 1 "$REASONS"
    flip $off 128 "$REASONS"
    off=$((off + 1))
done
# Specific header fields give specific reasons.
run_flip_reason() {
    flip "$1" "$2" "$3"
}
run_flip_reason 0 1 "bad magic"
run_flip_reason 4 1 "unsupported format version 0"
run_flip_reason 6 1 "malformed header: header size 513"
run_flip_reason 23 128 "truncated at byte $TOTAL: the file has $TOTAL bytes, the header says header 512 \\+ payload 2147487747"
run_flip_reason 20 1 "trailing garbage: 1 byte after"
run_flip_reason 28 1 "unsupported flags 0x00000001"
run_flip_reason 66 1 "malformed header: TLV type 0x0001 at byte 64: key-id entry must hold 8 bytes"
run_flip_reason 65 128 "unsupported critical header entry: TLV type 0x8001 at byte 64"
run_flip_reason 68 1 "key id mismatch"
run_flip_reason 40 1 "digest mismatch"
header_flips=$refused

# Digest and signature: every byte.
off=$((HS + PS))
while [ $off -lt $((HS + PS + 32)) ]; do
    flip $off 1 "digest mismatch"
    off=$((off + 1))
done
while [ $off -lt $TOTAL ]; do
    flip $off 1 "bad signature"
    off=$((off + 1))
done
# Payload: 64 positions from the first to the last byte.
i=0
while [ $i -lt 64 ]; do
    flip $((HS + i * (PS - 1) / 63)) 1 "digest mismatch"
    i=$((i + 1))
done
same img good.img "image restored after the flips"
echo "tamper: $((refused + accepted)) single-byte flips, $refused refused, $accepted accepted" \
    "($header_flips in the header)"
[ "$accepted" -eq 0 ] || fail "$accepted tampered images accepted"
ok

# Truncation at many lengths.
for len in 1 3 4 63 64 100 511 512 513 $((HS + PS)) $((TOTAL - 64)) $((TOTAL - 1)); do
    head -c "$len" good.img >cut.img
    expect 1 "truncated to $len bytes" "$FOTA" verify -k pub.pem cut.img
    has "^fota: cut.img: truncated at byte $len: the file has $len bytes" "truncated to $len"
done
head -c $((TOTAL - 1)) good.img >cut.img
run "$FOTA" verify -k pub.pem cut.img
has "header 512 \\+ payload 4099 \\+ trailer 96 = $TOTAL" "truncation names the sizes"
: >empty.img
expect 1 "empty file" "$FOTA" verify -k pub.pem empty.img
has "empty.img: empty file" "empty image"

# Trailing bytes after a valid image.
cp good.img long.img
printf 'xyz' >>long.img
expect 1 "trailing bytes" "$FOTA" verify -k pub.pem long.img
has "long.img: trailing garbage: 3 bytes after the end of the image at byte $TOTAL" "trailing bytes"

# Another key: the key id and the signature are both reported.
"$FOTA" keygen -o other.pem >/dev/null
expect 1 "wrong key" "$FOTA" verify -k other.pem good.img
has "good.img: key id mismatch: the header names key id [0-9a-f]{16}, the key given has key id [0-9a-f]{16}" \
    "wrong key: key id"
has "good.img: bad signature" "wrong key: signature"

# Not an image at all.
expect 1 "not an image" "$FOTA" verify -k pub.pem fw.bin
has "fw.bin: bad magic" "random bytes"
# Several images: one bad one fails the run, the good one is still reported.
expect 1 "good and bad images" "$FOTA" verify -k pub.pem good.img long.img
has "good.img: OK" "good image reported"
has "long.img: trailing garbage" "bad image reported"

done_checks "$refused flips refused"
