# Helpers for the test_admin_*.sh scripts (the fota server administration
# commands), sourced after tool_lib.sh (which brings in common.sh).

# admin_keys: key.pem, pub.pem, and PUBHEX (the raw public key in hex, the
# last 32 bytes of the DER SubjectPublicKeyInfo inside pub.pem).
admin_keys() {
    "$FOTA" keygen -o key.pem >/dev/null
    "$FOTA" pubkey -k key.pem -o pub.pem
    PUBHEX=$(sed '/-----/d' pub.pem | base64 -d | tail -c 32 | od -An -v -tx1 | tr -d ' \n')
    [ ${#PUBHEX} -eq 64 ] || fail "cannot read the public key from pub.pem"
}

# signed NAME VERSION [COUNTER [SIZE]]: NAME.img, signed with key.pem, with
# a random payload.
signed() {
    random_file "$1.bin" "${4:-3000}"
    "$FOTA" sign -k key.pem -V "$2" -c "${3:-1}" "$1.bin" -o "$1.img" >/dev/null
}

# conf_value FILE KEY: the value of "KEY = value" in a provisioning file.
conf_value() {
    sed -n "s/^$2 = //p" "$1"
}

# digest_of IMAGE: the SHA-256 in the image's trailer (the store's name
# for it), from the sizes in its header.
digest_of() {
    hs=$(u16 "$1" 6)
    ps=$(u32 "$1" 20)
    hexof "$1" $((hs + ps)) 32
}

# mode_of FILE: its permission bits in octal ("600").
mode_of() {
    stat -c %a "$1"
}

# json CHECK: runs the Python expression CHECK with `d` bound to the JSON in
# $OUT; fails unless it is true (and unless $OUT is valid JSON).
json() {
    printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$1" || { printf '%s\n' "$OUT" >&2; fail "json: $1"; }
    ok
}
