#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/bytes.h"
#include "simfw.h"
#include "util.h"

#define DEFAULT_SIZE (20u * 1024u)
#define DEFAULT_LOAD_ADDRESS 0x08005200u
#define STACK_TOP 0x20010000u /* end of the STM32F103ZE's 64 KiB of SRAM */
#define VECTORS 76u           /* 16 system + 60 interrupt vectors */

int simfw_version_parse(struct simfw_spec *spec, const char *s)
{
    unsigned major, minor, patch;
    char end;

    if (sscanf(s, "%u.%u.%u%c", &major, &minor, &patch, &end) != 3 || major > 255 ||
        minor > 255 || patch > 65535)
        return -1;
    spec->major = (uint8_t)major;
    spec->minor = (uint8_t)minor;
    spec->patch = (uint16_t)patch;
    return 0;
}

static void fill(uint8_t *fw, uint32_t size, const struct simfw_spec *spec, uint32_t base)
{
    uint32_t x = 0x2545F491u ^ ((uint32_t)spec->major << 24 | (uint32_t)spec->minor << 16 |
                                spec->patch);
    uint32_t banner_at = VECTORS * 4;

    fota_store32_le(fw, STACK_TOP);
    for (uint32_t v = 1; v < VECTORS; v++) /* every handler: the reset code, Thumb */
        fota_store32_le(fw + 4 * v, (base + banner_at + 64) | 1u);
    snprintf((char *)fw + banner_at, 64, "fota demo firmware %u.%u.%u", spec->major,
             spec->minor, spec->patch);
    for (uint32_t i = banner_at + 64; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fw[i] = (uint8_t)x;
    }
}

int simfw_write(const char *path, const struct simfw_spec *spec)
{
    uint32_t size = spec->size ? spec->size : DEFAULT_SIZE;
    uint32_t base = spec->load_address ? spec->load_address : DEFAULT_LOAD_ADDRESS;
    uint8_t *fw;
    int rc;

    if (size < VECTORS * 4 + 128) {
        fprintf(stderr, "fota-sim: a firmware needs at least %u bytes\n", VECTORS * 4 + 128);
        return -1;
    }
    fw = calloc(1, size);
    if (!fw) {
        fprintf(stderr, "fota-sim: out of memory\n");
        return -1;
    }
    fill(fw, size, spec, base);
    rc = tool_write_file_atomic(path, fw, size, 0644, 0);
    free(fw);
    return rc;
}
