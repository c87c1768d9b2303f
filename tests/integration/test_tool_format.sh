#!/bin/sh
# Reader rules of docs/image-format.md, on images edited and re-signed with
# OpenSSL exactly as the document describes (so a refusal is the rule's, not
# the signature's): unknown non-critical TLV skipped, unknown critical TLV,
# unknown flag and another format version refused, reserved bytes ignored.
set -eu
. "$(dirname "$0")/tool_lib.sh"
need openssl

"$FOTA" keygen -o key.pem >/dev/null
"$FOTA" pubkey -k key.pem -o pub.pem
random_file fw.bin 777
"$FOTA" sign -k key.pem -V 1.0.0 fw.bin -o good.img >/dev/null
HS=512
PS=777

# resign IMAGE: recomputes digest and signature after the header was edited.
resign() {
    head -c $((HS + PS)) "$1" >body.bin
    openssl dgst -sha256 -binary body.bin >digest.bin
    { head -c $HS body.bin; cat digest.bin; } >msg.bin
    openssl pkeyutl -sign -inkey key.pem -rawin -in msg.bin -out sig.bin
    cat body.bin digest.bin sig.bin >"$1"
}

# The check itself: a re-signed copy of the good image is still good.
cp good.img same.img
resign same.img
same same.img good.img "re-signing with openssl reproduces fota's image"

# putbytes FILE OFFSET HEX...: writes bytes in place.
putbytes() {
    f=$1
    o=$2
    shift 2
    for b in "$@"; do
        putbyte "$f" "$o" $((0x$b))
        o=$((o + 1))
    done
}

# An unknown non-critical TLV (type 0x0002, 3 bytes + 1 padding) before the
# end entry: skipped.
cp good.img tlv.img
putbytes tlv.img 76 02 00 03 00 aa bb cc ff ff ff 00 00
resign tlv.img
expect 0 "unknown non-critical TLV is skipped" "$FOTA" verify -k pub.pem tlv.img
expect 0 "inspect lists it" "$FOTA" inspect tlv.img
has "type 0x0002 unknown \\(skipped\\) +length 3 +aabbcc" "inspect shows the TLV"
has "at byte 84 +type 0xffff end \\(0xff padding from byte 88 to 511\\)" "end entry after the padded TLV"

# The same entry marked critical (0x8002): refused.
cp good.img crit.img
putbytes crit.img 76 02 80 03 00 aa bb cc ff ff ff 00 00
resign crit.img
expect 1 "unknown critical TLV is refused" "$FOTA" verify -k pub.pem crit.img
has "crit.img: unsupported critical header entry: TLV type 0x8002 at byte 76" "critical TLV"

# A TLV running past the header: refused as malformed.
cp good.img long.img
putbytes long.img 76 02 00 00 02
resign long.img
expect 1 "TLV past the header end" "$FOTA" verify -k pub.pem long.img
has "long.img: malformed header: TLV type 0x0002 at byte 76: entry runs past" "TLV too long"

# Unknown flag bits are critical.
cp good.img flag.img
putbytes flag.img 28 00 00 00 80
resign flag.img
expect 1 "unknown flag" "$FOTA" verify -k pub.pem flag.img
has "flag.img: unsupported flags 0x80000000" "unknown flag"

# Another format version.
cp good.img fmt.img
putbytes fmt.img 4 02 00
resign fmt.img
expect 1 "format version 2" "$FOTA" verify -k pub.pem fmt.img
has "fmt.img: unsupported format version 2 \\(this tool reads version 1\\)" "format version"

# Reserved bytes are ignored by readers (writers put zeros there).
cp good.img res.img
putbytes res.img 32 01 02 03
putbytes res.img 63 ff
resign res.img
expect 0 "non-zero reserved bytes are ignored" "$FOTA" verify -k pub.pem res.img

# No key-id TLV at all: the image is still valid (the key id is a hint).
cp good.img nokey.img
putbytes nokey.img 64 ff ff 00 00
resign nokey.img
expect 0 "image without a key id" "$FOTA" verify -k pub.pem nokey.img
run "$FOTA" inspect nokey.img
has "key id: +\\(none\\)" "inspect: no key id"

done_checks
