#!/bin/sh
# fota command line: help, usage errors (exit 2) and bad input files
# (exit 1, a sentence naming the file).
set -eu
. "$(dirname "$0")/tool_lib.sh"

# Help.
expect 0 "fota --help" "$FOTA" --help
has "^usage: fota \\[-d DATADIR\\] COMMAND" "main usage"
for cmd in keygen pubkey sign verify inspect; do
    has "^  $cmd " "--help lists $cmd"
done
for cmd in keygen pubkey sign verify inspect; do
    expect 0 "fota help $cmd" "$FOTA" help "$cmd"
    has "^usage: fota $cmd" "help $cmd"
    expect 0 "fota $cmd --help" "$FOTA" "$cmd" --help
    has "^usage: fota $cmd" "$cmd --help"
    expect 0 "fota $cmd -h" "$FOTA" "$cmd" -h
done
expect 0 "fota help" "$FOTA" help
has "^usage: fota " "help alone"
expect 0 "global -d before the command" "$FOTA" -d "$WORK" help sign
expect 0 "--version" "$FOTA" --version
has "^fota [0-9]" "version"

# Usage errors: exit 2, the usage text on stderr, nothing on stdout.
expect 2 "no command" "$FOTA"
has "no command given" "no command"
expect 2 "unknown command" "$FOTA" frobnicate
has "unknown command 'frobnicate'" "unknown command"
has "^usage: fota " "usage after an unknown command"
expect 2 "help for an unknown command" "$FOTA" help frobnicate
expect 2 "unknown global option" "$FOTA" --frob sign
has "unknown option '--frob'" "unknown global option"
"$FOTA" keygen -o key.pem >/dev/null
random_file fw.bin 100
expect 2 "unknown sign option" "$FOTA" sign -k key.pem -V 1.0.0 --frob fw.bin -o x.img
has "^fota sign: unknown option '--frob'" "unknown long option"
has "^usage: fota sign" "sign usage after the error"
[ -z "$("$FOTA" sign --frob 2>/dev/null || true)" ] || fail "usage error printed on stdout"
ok
expect 2 "unknown short option" "$FOTA" verify -x -k key.pem x.img
has "unknown option '-x'" "unknown short option"
expect 2 "option without its value" "$FOTA" sign -V 1.0.0 fw.bin -o x.img -k
has "option -k needs a value" "missing value"
expect 2 "flag with a value" "$FOTA" inspect --json=yes fw.img
has "option --json takes no value" "flag with a value"
expect 2 "sign without a key" "$FOTA" sign -V 1.0.0 fw.bin -o x.img
has "the signing key is missing" "sign without a key"
expect 2 "sign without a version" "$FOTA" sign -k key.pem fw.bin -o x.img
has "the version is missing" "sign without a version"
expect 2 "sign without an output" "$FOTA" sign -k key.pem -V 1.0.0 fw.bin
has "the output file is missing" "sign without an output"
expect 2 "sign without an input" "$FOTA" sign -k key.pem -V 1.0.0 -o x.img
has "the input firmware is missing" "sign without an input"
expect 2 "sign with two inputs" "$FOTA" sign -k key.pem -V 1.0.0 fw.bin fw.bin -o x.img
expect 2 "bad version" "$FOTA" sign -k key.pem -V 1.2.x fw.bin -o x.img
has "bad version '1\\.2\\.x': expected MAJOR\\.MINOR\\.PATCH" "bad version"
expect 2 "bad load address" "$FOTA" sign -k key.pem -V 1.0.0 -a 0xZZ fw.bin -o x.img
expect 2 "bad input format" "$FOTA" sign -k key.pem -V 1.0.0 -f coff fw.bin -o x.img
expect 2 "keygen without -o" "$FOTA" keygen
expect 2 "pubkey without -k" "$FOTA" pubkey
expect 2 "verify without -k" "$FOTA" verify fw.bin
expect 2 "verify without an image" "$FOTA" verify -k key.pem
expect 2 "inspect without an image" "$FOTA" inspect
# Options may follow the arguments; "--" ends the options.
cp fw.bin ./-fw.bin
expect 0 "options after the argument" "$FOTA" sign fw.bin -o after.img -k key.pem -V 1.0.0
expect 0 "-- before a name starting with a dash" \
    "$FOTA" sign -o dash.img -k key.pem -V 1.0.0 -- -fw.bin
same after.img dash.img "same firmware, same image"
expect 0 "grouped value -V1.0.0" "$FOTA" sign -kkey.pem -V1.0.0 --output=eq.img fw.bin
[ -f eq.img ] || fail "--output=eq.img not written"
ok

# Bad files: exit 1 and the file named.
expect 1 "missing input" "$FOTA" sign -k key.pem -V 1.0.0 nosuch.bin -o x.img
has "^fota: nosuch\\.bin: cannot open: No such file" "missing input"
: >empty.bin
expect 1 "empty input" "$FOTA" sign -k key.pem -V 1.0.0 empty.bin -o x.img
has "^fota: empty\\.bin: empty file" "empty input"
expect 1 "directory as input" "$FOTA" sign -k key.pem -V 1.0.0 . -o x.img
has "not a regular file" "directory input"
expect 1 "missing key" "$FOTA" sign -k nokey.pem -V 1.0.0 fw.bin -o x.img
has "^fota: nokey\\.pem: cannot open" "missing key"
: >empty.pem
expect 1 "empty key" "$FOTA" sign -k empty.pem -V 1.0.0 fw.bin -o x.img
has "^fota: empty\\.pem: empty file, not an Ed25519 private key \\(PKCS#8 PEM expected\\)" "empty key"
expect 1 "firmware as key" "$FOTA" sign -k fw.bin -V 1.0.0 fw.bin -o x.img
has "^fota: fw\\.bin: not an Ed25519 private key \\(PKCS#8 PEM expected\\)" "binary key"
"$FOTA" pubkey -k key.pem -o pub.pem
expect 1 "public key given to sign" "$FOTA" sign -k pub.pem -V 1.0.0 fw.bin -o x.img
has "^fota: pub\\.pem: not an Ed25519 private key \\(PKCS#8 PEM expected\\): it is a public key" \
    "public key given to sign"
sed 's/^M/N/' key.pem >badb64.pem
expect 1 "corrupt PEM" "$FOTA" pubkey -k badb64.pem
has "badb64\\.pem: not an Ed25519 key" "corrupt PEM"
head -n 2 key.pem >cut.pem
expect 1 "PEM without END" "$FOTA" pubkey -k cut.pem
has "cut\\.pem: .*no END line" "PEM without END"
expect 1 "missing image" "$FOTA" verify -k key.pem nosuch.img
has "^fota: nosuch\\.img: cannot open" "missing image"
expect 1 "missing image (inspect)" "$FOTA" inspect nosuch.img
has "^fota: nosuch\\.img: cannot open" "missing image (inspect)"
[ ! -e x.img ] || fail "x.img written although every sign failed"
ok

done_checks
