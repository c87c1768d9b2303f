/*
 * The device configuration record (fota/devcfg.h): one fixed layout, a
 * CRC-32, and the same field rules for the writer and the reader.
 */
#include "fota/devcfg.h"

#include <string.h>

#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"

#define OFF_ID 8u
#define OFF_SECRET 48u
#define OFF_HOST 80u
#define OFF_PORT 144u
#define OFF_RESERVED 146u
#define OFF_APN 148u
#define OFF_USER 212u
#define OFF_PASSWORD 244u
#define OFF_CRC 276u

static const uint8_t devcfg_magic[4] = {'F', 'C', 'F', 'G'};

/* The length of a NUL-terminated text in a field of size bytes, or -1
 * without a NUL. */
static int text_len(const char *field, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (field[i] == '\0')
            return (int)i;
    return -1;
}

static int id_valid(const char *id)
{
    int n = text_len(id, FOTA_DEVCFG_ID_FIELD);

    if (n < 1 || n > 32)
        return 0;
    for (int i = 0; i < n; i++)
        if (id[i] < 0x21 || id[i] > 0x7E)
            return 0;
    return 1;
}

/* A text the modem's AT commands can quote: NUL-terminated in its field,
 * printable, no '"'; at least min characters, from lowest up. */
static int quotable(const char *field, size_t size, int min, char lowest)
{
    int n = text_len(field, size);

    if (n < min)
        return 0;
    for (int i = 0; i < n; i++)
        if (field[i] < lowest || field[i] > 0x7E || field[i] == '"')
            return 0;
    return 1;
}

static int devcfg_valid(const struct fota_devcfg *c)
{
    return id_valid(c->id) && quotable(c->host, sizeof(c->host), 1, 0x21) && c->port != 0 &&
           quotable(c->apn, sizeof(c->apn), 0, 0x20) &&
           quotable(c->user, sizeof(c->user), 0, 0x20) &&
           quotable(c->password, sizeof(c->password), 0, 0x20);
}

/* Copies a text field, NUL-padding it. */
static void text_put(uint8_t *dst, const char *src, size_t size)
{
    size_t n = (size_t)text_len(src, size);

    memset(dst, 0, size);
    memcpy(dst, src, n);
}

int fota_devcfg_write(uint8_t out[FOTA_DEVCFG_SIZE], const struct fota_devcfg *cfg)
{
    if (!devcfg_valid(cfg))
        return FOTA_E_HEADER;
    memcpy(out, devcfg_magic, sizeof(devcfg_magic));
    fota_store16_le(out + 4, FOTA_DEVCFG_VERSION);
    fota_store16_le(out + 6, FOTA_DEVCFG_SIZE);
    text_put(out + OFF_ID, cfg->id, FOTA_DEVCFG_ID_FIELD);
    memcpy(out + OFF_SECRET, cfg->secret, FOTA_DEVCFG_SECRET_SIZE);
    text_put(out + OFF_HOST, cfg->host, FOTA_DEVCFG_HOST_FIELD);
    fota_store16_le(out + OFF_PORT, cfg->port);
    fota_store16_le(out + OFF_RESERVED, 0);
    text_put(out + OFF_APN, cfg->apn, FOTA_DEVCFG_APN_FIELD);
    text_put(out + OFF_USER, cfg->user, FOTA_DEVCFG_LOGIN_FIELD);
    text_put(out + OFF_PASSWORD, cfg->password, FOTA_DEVCFG_LOGIN_FIELD);
    fota_store32_le(out + OFF_CRC, fota_crc32(0, out, OFF_CRC));
    return 0;
}

int fota_devcfg_parse(struct fota_devcfg *cfg, const uint8_t *buf, size_t len)
{
    if (len < FOTA_DEVCFG_SIZE)
        return FOTA_E_TRUNCATED;
    if (memcmp(buf, devcfg_magic, sizeof(devcfg_magic)) != 0)
        return FOTA_E_MAGIC;
    if (fota_load16_le(buf + 4) != FOTA_DEVCFG_VERSION ||
        fota_load16_le(buf + 6) != FOTA_DEVCFG_SIZE)
        return FOTA_E_FORMAT;
    if (fota_load32_le(buf + OFF_CRC) != fota_crc32(0, buf, OFF_CRC))
        return FOTA_E_CRC;
    memcpy(cfg->id, buf + OFF_ID, sizeof(cfg->id));
    memcpy(cfg->secret, buf + OFF_SECRET, sizeof(cfg->secret));
    memcpy(cfg->host, buf + OFF_HOST, sizeof(cfg->host));
    cfg->port = fota_load16_le(buf + OFF_PORT);
    memcpy(cfg->apn, buf + OFF_APN, sizeof(cfg->apn));
    memcpy(cfg->user, buf + OFF_USER, sizeof(cfg->user));
    memcpy(cfg->password, buf + OFF_PASSWORD, sizeof(cfg->password));
    return devcfg_valid(cfg) ? 0 : FOTA_E_HEADER;
}
