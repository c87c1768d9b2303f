/*
 * libFuzzer target: the firmware readers of `fota sign` (tools/fota/
 * firmware*.c): the input as a file in the detected format, then as Intel
 * HEX and as ELF whatever it holds.
 *
 * The readers print why they refuse a file on stderr; run with
 * -close_fd_mask=2 (fuzz/run.sh does) to keep the fuzzer fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "firmware.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a reader gives back: one payload inside the 32-bit address space. */
static void check(const struct firmware *fw, enum firmware_format asked, size_t size)
{
    volatile uint8_t last;

    CHECK(fw->data != NULL && fw->size >= 1);
    if (asked != FIRMWARE_AUTO)
        CHECK(fw->format == asked);
    if (fw->format == FIRMWARE_RAW) {
        CHECK(!fw->has_address && fw->size == size);
        return;
    }
    CHECK(fw->has_address);
    CHECK(fw->size <= FIRMWARE_MAX_SPAN);
    CHECK((uint64_t)fw->load_address + fw->size <= UINT64_C(0x100000000));
    /* The last byte is readable: ASan checks it against what malloc got. */
    last = fw->data[fw->size - 1];
    (void)last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum firmware_format formats[] = {FIRMWARE_AUTO, FIRMWARE_HEX, FIRMWARE_ELF};
    struct firmware fw;

    if (size == 0)
        return 0;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (firmware_parse(&fw, "fuzz-input", data, size, formats[i]) == 0)
            check(&fw, formats[i], size);
        firmware_free(&fw);
    }
    return 0;
}
