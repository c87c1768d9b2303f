/*
 * CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320, initial value and
 * final xor 0xFFFFFFFF), the CRC of zlib, PNG and Ethernet. It closes the
 * bootloader's state records and the wire protocol's frames.
 */
#ifndef FOTA_CRC32_H
#define FOTA_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes of data and returns the CRC of
 * everything fed so far, like zlib's crc32(): fota_crc32(0, "123456789", 9)
 * is 0xCBF43926, and feeding the data in pieces gives the same value. */
uint32_t fota_crc32(uint32_t crc, const void *data, size_t len);

#endif
