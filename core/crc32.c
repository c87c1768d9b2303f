/*
 * CRC-32, a nibble at a time: a 16-entry table (64 bytes) is the trade between
 * the bit loop (slow) and the 1 KiB byte table (too big for a 16 KiB
 * bootloader).
 */
#include "fota/crc32.h"

static const uint32_t nibble_table[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t fota_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ nibble_table[crc & 0xFu];
        crc = (crc >> 4) ^ nibble_table[crc & 0xFu];
    }
    return ~crc;
}
