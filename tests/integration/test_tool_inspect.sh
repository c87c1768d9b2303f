#!/bin/sh
# fota inspect: every header field, the layout, digest and signature, as
# text and as JSON.
set -eu
. "$(dirname "$0")/tool_lib.sh"
need openssl

"$FOTA" keygen -o key.pem >/dev/null
random_file fw.bin 2345
"$FOTA" sign -k key.pem -V 4.5.6 -c 2 --build 42 -a 0x08010200 fw.bin -o fw.img >/dev/null
id=$(openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | openssl dgst -sha256 -r | cut -c1-16)
digest=$(head -c $((512 + 2345)) fw.img | openssl dgst -sha256 -r | cut -c1-64)
sig=$(hexof fw.img $((512 + 2345 + 32)) 64)
total=$((512 + 2345 + 96))

expect 0 "inspect" "$FOTA" inspect fw.img
has "^file: +fw.img \\($total bytes\\)$" "file"
has "^magic: +FOTA$" "magic"
has "^format version: +1$" "format version"
has "^header size: +512 \\(0x200\\)$" "header size"
has "^version: +4\\.5\\.6\\+42$" "version"
has "^security counter: +2$" "security counter"
has "^payload size: +2345 \\(0x929\\)$" "payload size"
has "^load address: +0x08010200$" "load address"
has "^flags: +0x00000000$" "flags"
has "^key id: +$id$" "key id"
has "^  at byte 64 +type 0x0001 key-id +length 8 +$id$" "key-id TLV"
has "^  at byte 76 +type 0xffff end" "end TLV"
has "^layout: +header 0\\.\\.511, payload 512\\.\\.2856, digest 2857\\.\\.2888, signature 2889\\.\\.2952 \\(image $total bytes\\)$" \
    "layout"
has "^digest: +$digest \\(matches" "digest"
has "^signature: +$sig " "signature"
hasnt "problem" "a good image has no problem line"

expect 0 "inspect --json" "$FOTA" inspect --json fw.img
printf '%s\n' "$OUT" >fw.json
has '^\{$' "JSON object"
has '"magic": "FOTA",' "json magic"
has '"format_version": 1,' "json format version"
has '"header_size": 512,' "json header size"
has '"version": "4\.5\.6\+42",' "json version"
has '"version_major": 4,' "json major"
has '"version_minor": 5,' "json minor"
has '"version_patch": 6,' "json patch"
has '"version_build": 42,' "json build"
has '"security_counter": 2,' "json counter"
has '"payload_size": 2345,' "json payload size"
has '"load_address": "0x08010200",' "json load address"
has '"flags": "0x00000000",' "json flags"
has "\"key_id\": \"$id\"," "json key id"
has "\\{\"offset\": 64, \"type\": \"0x0001\", \"name\": \"key-id\", \"critical\": false, \"length\": 8, \"value\": \"$id\"\\}" \
    "json TLV"
has "\"image_size\": $total," "json image size"
has "\"digest\": \"$digest\"," "json digest"
has "\"digest_computed\": \"$digest\"," "json computed digest"
has '"digest_ok": true,' "json digest ok"
has "\"signature\": \"$sig\"," "json signature"
has '"problem": null' "json problem"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' >/dev/null 2>&1; then
    python3 -m json.tool fw.json >/dev/null || fail "inspect --json is not valid JSON"
    ok
fi

# A changed payload byte: the stored digest no longer matches.
cp fw.img bad.img
putbyte bad.img 1000 $(($(getbyte bad.img 1000) ^ 1))
expect 0 "inspect a tampered image" "$FOTA" inspect bad.img
has "^digest: +$digest \\(MISMATCH: SHA-256 of header \\|\\| payload is [0-9a-f]{64}\\)$" "digest mismatch shown"
expect 0 "inspect --json a tampered image" "$FOTA" inspect --json bad.img
has '"digest_ok": false,' "json digest mismatch"

# A truncated image: the header is shown, the problem is named.
head -c 600 fw.img >cut.img
expect 1 "inspect a truncated image" "$FOTA" inspect cut.img
has "^version: +4\\.5\\.6\\+42$" "truncated: header still shown"
has "cut.img: truncated at byte 600" "truncated: problem"
# Not an image.
expect 1 "inspect a non-image" "$FOTA" inspect fw.bin
has "fw.bin: bad magic" "non-image"
expect 1 "inspect --json a non-image" "$FOTA" inspect --json fw.bin
hasnt '^\{' "no JSON for a non-image"

done_checks
