#!/usr/bin/env bash
# The bootloader story, one reset at a time: sign two versions of a demo
# firmware and take a simulated STM32F103ZE through an update, a revert, a
# confirmed update, a refused downgrade and a refused tampered image.
# (scripts/demo.sh is the quick start: the same over the network, a fleet.)
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fota-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fota() { "$bin/fota" "$@"; }
sim() { "$bin/fota-sim" "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "signing key and two firmware versions"
fota keygen -o key.pem
fota pubkey -k key.pem -o pub.pem
sim mkfw -V 1.0.0 -s 20000 -o app-1.0.0.bin
sim mkfw -V 2.0.0 -s 30000 -o app-2.0.0.bin
fota sign -k key.pem -V 1.0.0 -c 1 app-1.0.0.bin -o app-1.0.0.img
fota sign -k key.pem -V 2.0.0 -c 2 app-2.0.0.bin -o app-2.0.0.img
fota verify -k pub.pem app-1.0.0.img app-2.0.0.img

step "a device leaves the factory with 1.0.0"
sim device init --flash device.flash -k pub.pem --image app-1.0.0.img
sim device boot --flash device.flash

step "2.0.0 is downloaded; the device resets into it on trial, but it never confirms"
sim device stage --flash device.flash app-2.0.0.img
sim device boot --flash device.flash
sim device boot --flash device.flash

step "2.0.0 again; this time it confirms itself"
sim device stage --flash device.flash app-2.0.0.img
sim device boot --flash device.flash
sim device confirm --flash device.flash
sim device boot --flash device.flash

step "a downgrade to 1.0.0 is refused by the security counter"
sim device stage --flash device.flash app-1.0.0.img
sim device boot --flash device.flash

step "a tampered image is refused"
cp app-2.0.0.img evil.img
printf 'X' | dd of=evil.img bs=1 seek=4000 conv=notrunc status=none
sim device stage --flash device.flash evil.img
sim device boot --flash device.flash

step "final state"
sim device status --flash device.flash
