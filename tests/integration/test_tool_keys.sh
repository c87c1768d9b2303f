#!/bin/sh
# fota keygen / pubkey: key files interoperate with OpenSSL both ways.
set -eu
. "$(dirname "$0")/tool_lib.sh"
need openssl

# keygen writes a PKCS#8 key OpenSSL reads, private to its owner.
expect 0 "keygen" "$FOTA" keygen -o key.pem
has "key.pem: new Ed25519 private key, key id [0-9a-f]{16}$" "keygen summary"
expect 0 "openssl reads the key" openssl pkey -in key.pem -noout
run openssl pkey -in key.pem -noout -text
has "ED25519 Private-Key" "openssl sees an Ed25519 key"
case $(ls -l key.pem) in
-rw-------*) ok ;;
*) fail "key.pem mode is not 0600: $(ls -l key.pem)" ;;
esac
grep -q -- "-----BEGIN PRIVATE KEY-----" key.pem || fail "no PKCS#8 PEM header"
ok
# The DER is the fixed 16-byte prefix and the 32-byte seed.
openssl pkey -in key.pem -outform DER -out key.der
[ "$(size key.der)" -eq 48 ] || fail "private key DER is $(size key.der) bytes, not 48"
[ "$(hexof key.der 0 16)" = 302e020100300506032b657004220420 ] || fail "PKCS#8 prefix"
ok

# No silent overwrite; --force replaces.
cp key.pem key.keep
expect 1 "keygen over an existing key" "$FOTA" keygen -o key.pem
has "key.pem: already exists" "refusal names the file"
same key.pem key.keep "existing key untouched"
expect 0 "keygen --force" "$FOTA" keygen -o key.pem --force
cmp -s key.pem key.keep && fail "--force did not replace the key"
ok
[ -z "$(ls -A | grep '\.tmp')" ] || fail "temporary files left: $(ls -A)"
ok

# pubkey equals OpenSSL's SubjectPublicKeyInfo PEM.
expect 0 "pubkey" "$FOTA" pubkey -k key.pem
printf '%s\n' "$OUT" >pub.pem
openssl pkey -in key.pem -pubout -out pub.openssl.pem
same pub.pem pub.openssl.pem "fota pubkey vs openssl pkey -pubout"
expect 0 "pubkey -o" "$FOTA" pubkey -k key.pem -o pub2.pem
same pub2.pem pub.openssl.pem "fota pubkey -o"
expect 0 "openssl reads the public key" openssl pkey -pubin -in pub.pem -noout
openssl pkey -pubin -in pub.pem -outform DER -out pub.der
[ "$(hexof pub.der 0 12)" = 302a300506032b6570032100 ] || fail "SPKI prefix"
ok
# A public key file gives the same public key.
expect 0 "pubkey from a public key" "$FOTA" pubkey -k pub.pem
[ "$OUT" = "$(cat pub.pem)" ] || fail "pubkey of pub.pem differs"
ok

# --c: the 32 bytes as a C array, with the key id (SHA-256 of the key, 8 bytes).
raw=$(hexof pub.der 12 32)
id=$(tail -c 32 pub.der | openssl dgst -sha256 -r | cut -c1-16)
expect 0 "pubkey --c" "$FOTA" pubkey -k key.pem --c
has "const uint8_t fota_public_key\\[32\\] = \\{" "C array declaration"
has "key id $id" "C comment names the key id"
c_hex=$(printf '%s\n' "$OUT" | grep '^ *0x' | sed 's/0x//g; s/[, ]//g' | tr -d '\n')
[ "$c_hex" = "$raw" ] || fail "--c bytes $c_hex differ from the key $raw"
ok
# The C file compiles.
if command -v cc >/dev/null 2>&1; then
    printf '%s\n' "$OUT" >key.c
    cc -std=c11 -Wall -Werror -c key.c -o key.o || fail "--c output does not compile"
    ok
fi

# Keys made by OpenSSL are accepted: PEM and DER.
openssl genpkey -algorithm ed25519 -out ossl.pem
openssl pkey -in ossl.pem -pubout -out ossl.pub.pem
expect 0 "pubkey of an openssl key" "$FOTA" pubkey -k ossl.pem -o ossl.fota.pub.pem
same ossl.fota.pub.pem ossl.pub.pem "openssl key: fota pubkey vs openssl"
openssl pkey -in ossl.pem -outform DER -out ossl.der
expect 0 "pubkey of a DER key" "$FOTA" pubkey -k ossl.der -o ossl.der.pub.pem
same ossl.der.pub.pem ossl.pub.pem "DER key: fota pubkey vs openssl"
random_file fw.bin 1000
expect 0 "sign with an openssl key" "$FOTA" sign -k ossl.pem -V 1.0.0 fw.bin -o fw.img
expect 0 "verify with the openssl public key" "$FOTA" verify -k ossl.pub.pem fw.img

# PKCS#8 v2 (RFC 8410 section 10.3 example: attributes and the public key
# attached). Its public key is given in the RFC.
cat >v2.pem <<'PEM'
-----BEGIN PRIVATE KEY-----
MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB
Z9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PRIVATE KEY-----
PEM
expect 0 "PKCS#8 v2 key" "$FOTA" pubkey -k v2.pem --c
c_hex=$(printf '%s\n' "$OUT" | grep '^ *0x' | sed 's/0x//g; s/[, ]//g' | tr -d '\n')
[ "$c_hex" = 19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1 ] ||
    fail "v2 key: public key $c_hex"
ok
# The same key with a wrong public key attached (last byte e1 -> e0) is refused.
sed 's/rXAxZuE=/rXAxZuA=/' v2.pem >v2bad.pem
cmp -s v2.pem v2bad.pem && fail "v2bad.pem not changed"
expect 1 "v2 key with a foreign public key" "$FOTA" pubkey -k v2bad.pem
has "v2bad.pem: .*does not belong" "mismatching attached public key"

# What is not an Ed25519 key is refused with a sentence naming the file.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
expect 1 "EC key" "$FOTA" sign -k ec.pem -V 1.0.0 fw.bin -o x.img
has "ec.pem: not an Ed25519 private key \\(PKCS#8 PEM expected\\)" "EC key refused"
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:secret -out enc.pem
expect 1 "encrypted key" "$FOTA" pubkey -k enc.pem
has "enc.pem: an encrypted private key" "encrypted key refused"
echo "hello" >junk.pem
expect 1 "junk key" "$FOTA" pubkey -k junk.pem
has "junk.pem: not an Ed25519 key" "junk refused"
expect 1 "public key to sign" "$FOTA" sign -k pub.pem -V 1.0.0 fw.bin -o x.img
has "pub.pem: not an Ed25519 private key \\(PKCS#8 PEM expected\\): it is a public key" \
    "public key refused for signing"
[ ! -e x.img ] || fail "x.img written after a refused key"
ok

done_checks
