/*
 * Hex for the host programs (see host.h).
 */
#include "host.h"

void host_hex(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int host_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long host_unhex(uint8_t *out, size_t cap, const char *hex, size_t len)
{
    size_t i;

    if (len % 2 != 0 || len / 2 > cap)
        return -1;
    for (i = 0; i < len / 2; i++) {
        int hi = host_hex_digit((unsigned char)hex[2 * i]);
        int lo = host_hex_digit((unsigned char)hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(len / 2);
}
