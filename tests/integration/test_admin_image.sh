#!/bin/sh
# fota image add / list: a good image is verified, copied under its digest
# and recorded; a bad one is refused with the reason; --no-verify plants one
# anyway, marked as not verified.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"
need python3 sqlite3
admin_keys
signed v2 2.0.0 3 5000
signed v3 3.0.0+7 4 6000
"$FOTA" -d data init >/dev/null

# No key configured: refused, naming the fix.
expect 1 "add without a key" "$FOTA" -d data image add v2.img
has "no public key configured to verify images: set it with fota -d data init -k PUB.pem" \
    "no key"
"$FOTA" -d data init -k pub.pem >/dev/null

expect 0 "image list, empty" "$FOTA" -d data image list
has "^no images" "empty list"

# A good image.
D2=$(digest_of v2.img)
expect 0 "add v2" "$FOTA" -d data image add v2.img
has "^v2.img: added version 2.0.0, counter 3, $(size v2.img) bytes, digest $D2$" "add output"
[ -f "data/images/$D2.img" ] || fail "no data/images/$D2.img"
same v2.img "data/images/$D2.img" "stored copy"
[ "$(ls data/images | wc -l)" = 1 ] || fail "stray files in data/images: $(ls data/images)"
ok
# The same again: nothing changes.
expect 0 "add v2 again" "$FOTA" -d data image add v2.img
has "^v2.img: already stored: version 2.0.0" "already stored"
[ "$(sqlite3 data/fota.db 'SELECT count(*) FROM images')" = 1 ] || fail "image recorded twice"
ok

# Refused images, each with its reason, nothing stored.
cp v3.img tampered.img
putbyte tampered.img 1000 $(($(getbyte tampered.img 1000) ^ 1))
expect 1 "payload byte flipped" "$FOTA" -d data image add tampered.img
has "^fota: tampered.img: refused: digest mismatch" "digest mismatch"
cp v3.img badsig.img
last=$(($(size badsig.img) - 1))
putbyte badsig.img $last $(($(getbyte badsig.img $last) ^ 1))
expect 1 "signature byte flipped" "$FOTA" -d data image add badsig.img
has "^fota: badsig.img: refused: bad signature" "bad signature"
"$FOTA" keygen -o stranger.pem >/dev/null
random_file s.bin 2000
"$FOTA" sign -k stranger.pem -V 5.0.0 s.bin -o stranger.img >/dev/null
expect 1 "another key" "$FOTA" -d data image add stranger.img
has "^fota: stranger.img: refused: bad signature" "another key"
head -c 1000 v3.img >short.img
expect 1 "truncated" "$FOTA" -d data image add short.img
has "^fota: short.img: refused: truncated" "truncated"
cp v3.img long.img
printf 'xyz' >>long.img
expect 1 "trailing bytes" "$FOTA" -d data image add long.img
has "^fota: long.img: refused: trailing garbage: 3 bytes after the end of the image" "trailing"
expect 1 "not an image" "$FOTA" -d data image add v2.bin
has "^fota: v2.bin: refused: bad magic" "not an image"
expect 1 "missing file" "$FOTA" -d data image add nothere.img
has "nothere.img: cannot open" "missing file"
[ "$(sqlite3 data/fota.db 'SELECT count(*) FROM images')" = 1 ] || fail "a refused image was recorded"
[ "$(ls data/images | wc -l)" = 1 ] || fail "a refused image left a file: $(ls data/images)"
ok
# One bad image among good ones fails the run; the good ones are added.
expect 1 "good and bad" "$FOTA" -d data image add v3.img badsig.img
has "^v3.img: added version 3.0.0\\+7, counter 4" "good one added"
has "badsig.img: refused" "bad one refused"

# --no-verify: a tampered image is stored, marked, with a warning.
signed v4 4.0.0 5 3000
cp v4.img planted.img
putbyte planted.img 900 $(($(getbyte planted.img 900) ^ 0x40))
expect 0 "--no-verify" "$FOTA" -d data image add --no-verify planted.img
has "^planted.img: added version 4.0.0, .* \\(NOT VERIFIED\\)$" "marked"
has "warning: stored without verification: digest mismatch" "warning"
same planted.img "data/images/$(digest_of planted.img).img" "planted copy"
# ... but it cannot replace a stored image with the same digest.
cp v2.img fake2.img
putbyte fake2.img 900 $(($(getbyte fake2.img 900) ^ 0x40))
expect 1 "same digest, other bytes" "$FOTA" -d data image add --no-verify fake2.img
has "another image with digest $D2 is already stored \\(version 2.0.0\\)" "same digest"
same v2.img "data/images/$D2.img" "stored copy untouched"
# ... and the header must still parse.
expect 1 "--no-verify garbage" "$FOTA" -d data image add --no-verify v2.bin
has "refused: bad magic" "garbage refused even with --no-verify"

# list.
expect 0 "image list" "$FOTA" -d data image list
has "^VERSION +COUNTER +SIZE +LOAD +DIGEST +VERIFIED +ADDED" "list header"
has "^2.0.0 +3 +$(size v2.img) +0x[0-9a-f]{8} $(printf %.16s "$D2") yes +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" "v2 row"
has "^3.0.0\\+7 +4 " "v3 row"
has "^4.0.0 +5 .* NO " "planted row"
expect 0 "image list --json" "$FOTA" -d data image list --json
json '[x["version"] for x in d] == ["2.0.0", "3.0.0+7", "4.0.0"]'
json "d[0]['digest'] == '$D2' and d[0]['size'] == $(size v2.img) and d[0]['counter'] == 3"
json 'd[0]["verified"] is True and d[2]["verified"] is False'
json 'd[1]["payload_size"] == 6000'

# Usage.
expect 2 "add nothing" "$FOTA" -d data image add
has "no image given" "add nothing"
expect 2 "unknown option" "$FOTA" -d data image add --frob v2.img
expect 2 "unknown subcommand" "$FOTA" -d data image remove v2.img
has "unknown image command 'remove'" "unknown subcommand"
done_checks
