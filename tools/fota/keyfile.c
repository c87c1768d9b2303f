/*
 * Ed25519 key files (see keyfile.h).
 *
 * The DER forms (RFC 8410, RFC 5958):
 *
 *   PrivateKeyInfo ::= SEQUENCE {
 *       version INTEGER (0, or 1 when publicKey is present),
 *       algorithm SEQUENCE { OID 1.3.101.112 },   -- no parameters
 *       privateKey OCTET STRING { OCTET STRING (32 bytes) },
 *       attributes [0] IMPLICIT ... OPTIONAL,
 *       publicKey [1] IMPLICIT BIT STRING OPTIONAL }
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *       algorithm SEQUENCE { OID 1.3.101.112 },
 *       subjectPublicKey BIT STRING (0 unused bits, 32 bytes) }
 *
 * What we write is the shortest form, byte for byte what OpenSSL writes.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fota/sha256.h"
#include "keyfile.h"
#include "util.h"

#define PEM_PRIVATE "PRIVATE KEY"
#define PEM_PUBLIC "PUBLIC KEY"

static const uint8_t der_private_prefix[16] = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
    0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
};
static const uint8_t der_public_prefix[12] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};
static const uint8_t oid_ed25519[3] = {0x2b, 0x65, 0x70};

void key_from_public(struct tool_key *key, const uint8_t pub[KEY_PUBLIC_SIZE])
{
    uint8_t digest[FOTA_SHA256_SIZE];

    memcpy(key->pub, pub, KEY_PUBLIC_SIZE);
    fota_sha256(digest, key->pub, KEY_PUBLIC_SIZE);
    memcpy(key->id, digest, KEY_ID_SIZE);
}

void key_from_seed(struct tool_key *key, const uint8_t seed[KEY_SEED_SIZE])
{
    uint8_t pub[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];

    crypto_sign_seed_keypair(pub, sk, seed);
    sodium_memzero(sk, sizeof(sk));
    memmove(key->seed, seed, KEY_SEED_SIZE);
    key->has_secret = 1;
    key_from_public(key, pub);
}

void key_wipe(struct tool_key *key)
{
    sodium_memzero(key, sizeof(*key));
}

/* ---------------------------------------------------------------- DER --- */

struct der {
    const uint8_t *p;
    size_t len;
};

/* Reads one element with the given tag from d into *out and advances d.
 * Definite lengths up to 2 length bytes (a key is tiny). */
static int der_take(struct der *d, uint8_t tag, struct der *out)
{
    size_t len, head = 2;

    if (d->len < 2 || d->p[0] != tag)
        return -1;
    len = d->p[1];
    if (len == 0x81) {
        if (d->len < 3)
            return -1;
        len = d->p[2];
        head = 3;
    } else if (len == 0x82) {
        if (d->len < 4)
            return -1;
        len = (size_t)d->p[2] << 8 | d->p[3];
        head = 4;
    } else if (len > 0x7f) {
        return -1;
    }
    if (d->len - head < len)
        return -1;
    out->p = d->p + head;
    out->len = len;
    d->p += head + len;
    d->len -= head + len;
    return 0;
}

/* AlgorithmIdentifier for Ed25519: the OID and no parameters. */
static int der_algorithm(struct der *d)
{
    struct der alg, oid;

    if (der_take(d, 0x30, &alg) || der_take(&alg, 0x06, &oid))
        return -1;
    if (alg.len != 0 || oid.len != sizeof(oid_ed25519) ||
        memcmp(oid.p, oid_ed25519, sizeof(oid_ed25519)) != 0)
        return -1;
    return 0;
}

/* A BIT STRING holding exactly 32 bytes with no unused bits. */
static int der_public_bits(const struct der *bits, uint8_t pub[KEY_PUBLIC_SIZE])
{
    if (bits->len != 1 + KEY_PUBLIC_SIZE || bits->p[0] != 0)
        return -1;
    memcpy(pub, bits->p + 1, KEY_PUBLIC_SIZE);
    return 0;
}

/* Returns 0, -1 (not an Ed25519 PKCS#8 key) or -2 (attached public key
 * does not belong to the private key). */
static int der_private_parse(struct tool_key *key, const uint8_t *p, size_t len)
{
    struct der all = {p, len}, seq, version, outer, inner, attrs, bits;
    uint8_t attached[KEY_PUBLIC_SIZE];

    if (der_take(&all, 0x30, &seq) || all.len != 0)
        return -1;
    if (der_take(&seq, 0x02, &version) || version.len != 1 || version.p[0] > 1)
        return -1;
    if (der_algorithm(&seq) || der_take(&seq, 0x04, &outer))
        return -1;
    if (der_take(&outer, 0x04, &inner) || outer.len != 0 || inner.len != KEY_SEED_SIZE)
        return -1;
    if (seq.len > 0 && seq.p[0] == 0xa0 && der_take(&seq, 0xa0, &attrs))
        return -1;
    key_from_seed(key, inner.p);
    if (seq.len > 0) {
        if (der_take(&seq, 0x81, &bits) || der_public_bits(&bits, attached))
            return -1;
        if (sodium_memcmp(attached, key->pub, KEY_PUBLIC_SIZE) != 0)
            return -2;
    }
    return seq.len == 0 ? 0 : -1;
}

static int der_public_parse(struct tool_key *key, const uint8_t *p, size_t len)
{
    struct der all = {p, len}, seq, bits;
    uint8_t pub[KEY_PUBLIC_SIZE];

    if (der_take(&all, 0x30, &seq) || all.len != 0)
        return -1;
    if (der_algorithm(&seq) || der_take(&seq, 0x03, &bits) || seq.len != 0)
        return -1;
    if (der_public_bits(&bits, pub))
        return -1;
    memset(key, 0, sizeof(*key));
    key_from_public(key, pub);
    return 0;
}

/* ---------------------------------------------------------------- PEM --- */

/* Finds "-----BEGIN <label>-----" at the start of a line; returns a pointer
 * to the label (label_len set) or NULL. */
static const char *pem_find_begin(const char *text, size_t *label_len)
{
    const char *p = text;

    while ((p = strstr(p, "-----BEGIN ")) != NULL) {
        const char *label = p + 11;
        const char *end = strstr(label, "-----");

        if ((p == text || p[-1] == '\n') && end != NULL && memchr(label, '\n', (size_t)(end - label)) == NULL) {
            *label_len = (size_t)(end - label);
            return label;
        }
        p = label;
    }
    return NULL;
}

/* Decodes the first PEM block. On success *der is malloc'd (freed by the
 * caller with tool_free_secret) and *label points into text. Returns 0, or -1
 * when there is no block or it is malformed (a message in *why). */
static int pem_decode(const char *text, char *label, size_t label_size,
                      uint8_t **der, size_t *der_len, const char **why)
{
    size_t label_len;
    const char *begin = pem_find_begin(text, &label_len);
    const char *body, *end;
    char end_line[96];
    uint8_t *buf;
    size_t cap;

    *why = "no PEM block found";
    if (begin == NULL)
        return -1;
    if (label_len + 1 > label_size || label_len + 20 > sizeof(end_line)) {
        *why = "PEM label too long";
        return -1;
    }
    memcpy(label, begin, label_len);
    label[label_len] = '\0';
    body = strchr(begin, '\n');
    snprintf(end_line, sizeof(end_line), "-----END %s-----", label);
    end = body ? strstr(body, end_line) : NULL;
    if (end == NULL) {
        *why = "PEM block has no END line";
        return -1;
    }
    if (memchr(body, ':', (size_t)(end - body)) != NULL) {
        *why = "PEM block has headers (an encrypted key?)";
        return -1;
    }
    cap = (size_t)(end - body);
    buf = malloc(cap + 1);
    if (buf == NULL) {
        *why = "out of memory";
        return -1;
    }
    if (sodium_base642bin(buf, cap, body, (size_t)(end - body), " \t\r\n", der_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        tool_free_secret(buf, cap + 1);
        *why = "bad base64 in the PEM block";
        return -1;
    }
    *der = buf;
    return 0;
}

static int pem_encode(const char *label, const uint8_t *der, size_t der_len,
                      char **pem, size_t *pem_len)
{
    size_t b64_size = sodium_base64_ENCODED_LEN(der_len, sodium_base64_VARIANT_ORIGINAL);
    size_t cap = b64_size + b64_size / 64 + 2 * strlen(label) + 64;
    char *b64 = malloc(b64_size);
    char *out = malloc(cap);
    size_t i, b64_len, n = 0;

    if (b64 == NULL || out == NULL) {
        free(b64);
        free(out);
        return -1;
    }
    sodium_bin2base64(b64, b64_size, der, der_len, sodium_base64_VARIANT_ORIGINAL);
    b64_len = strlen(b64);
    n += (size_t)snprintf(out + n, cap - n, "-----BEGIN %s-----\n", label);
    for (i = 0; i < b64_len; i += 64) {
        size_t line = b64_len - i < 64 ? b64_len - i : 64;

        memcpy(out + n, b64 + i, line);
        n += line;
        out[n++] = '\n';
    }
    n += (size_t)snprintf(out + n, cap - n, "-----END %s-----\n", label);
    tool_free_secret(b64, b64_size);
    *pem = out;
    *pem_len = n;
    return 0;
}

int key_private_pem(const struct tool_key *key, char **pem, size_t *len)
{
    uint8_t der[sizeof(der_private_prefix) + KEY_SEED_SIZE];
    int err;

    memcpy(der, der_private_prefix, sizeof(der_private_prefix));
    memcpy(der + sizeof(der_private_prefix), key->seed, KEY_SEED_SIZE);
    err = pem_encode(PEM_PRIVATE, der, sizeof(der), pem, len);
    sodium_memzero(der, sizeof(der));
    return err;
}

int key_public_pem(const struct tool_key *key, char **pem, size_t *len)
{
    uint8_t der[sizeof(der_public_prefix) + KEY_PUBLIC_SIZE];

    memcpy(der, der_public_prefix, sizeof(der_public_prefix));
    memcpy(der + sizeof(der_public_prefix), key->pub, KEY_PUBLIC_SIZE);
    return pem_encode(PEM_PUBLIC, der, sizeof(der), pem, len);
}

/* ------------------------------------------------------------ loading --- */

static const char *expected(enum key_kind kind)
{
    return kind == KEY_PRIVATE ? "not an Ed25519 private key (PKCS#8 PEM expected)"
                               : "not an Ed25519 key (PKCS#8 or public key PEM expected)";
}

/* Parses DER of either kind; returns 1 for a private key, 0 for a public
 * key, -1 for neither, -2 for a private key whose public half is wrong. */
static int der_parse_any(struct tool_key *key, const uint8_t *der, size_t len)
{
    int err = der_private_parse(key, der, len);

    if (err == 0)
        return 1;
    if (err == -2)
        return -2;
    return der_public_parse(key, der, len) == 0 ? 0 : -1;
}

static int key_check_kind(const char *path, int is_private, enum key_kind kind)
{
    if (!is_private && kind == KEY_PRIVATE) {
        tool_error("%s: %s: it is a public key", path, expected(kind));
        return -1;
    }
    return 0;
}

int key_load(struct tool_key *key, const char *path, enum key_kind kind)
{
    uint8_t *file, *der = NULL;
    size_t file_len, der_len = 0;
    char label[64];
    const char *why;
    int rc = -1, parsed;

    memset(key, 0, sizeof(*key));
    if (tool_read_file(path, 1024 * 1024, &file, &file_len) != 0)
        return -1;
    file[file_len] = '\0'; /* tool_read_file leaves one spare byte */
    if (file_len == 0) {
        tool_error("%s: empty file, %s", path, expected(kind));
        goto out;
    }
    /* DER first when it looks like a SEQUENCE; PEM text starts otherwise. */
    parsed = file[0] == 0x30 ? der_parse_any(key, file, file_len) : -1;
    if (parsed != -1) {
        /* parsed as DER */
    } else if (memchr(file, '\0', file_len) != NULL) {
        tool_error("%s: %s", path, expected(kind));
        goto out;
    } else if (pem_decode((const char *)file, label, sizeof(label), &der, &der_len, &why) != 0) {
        tool_error("%s: %s: %s", path, expected(kind), why);
        goto out;
    } else if (strcmp(label, PEM_PRIVATE) == 0 || strcmp(label, PEM_PUBLIC) == 0) {
        parsed = der_parse_any(key, der, der_len);
        if (parsed == 1 && strcmp(label, PEM_PRIVATE) != 0)
            parsed = -1;
        if (parsed == 0 && strcmp(label, PEM_PUBLIC) != 0)
            parsed = -1;
    } else if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0) {
        tool_error("%s: an encrypted private key; decrypt it first "
                   "(openssl pkey -in %s -out plain.pem)", path, path);
        goto out;
    } else {
        tool_error("%s: %s, found a \"%s\" PEM block", path, expected(kind), label);
        goto out;
    }
    if (parsed == -2) {
        tool_error("%s: the public key stored in the file does not belong to its private key",
                   path);
    } else if (parsed < 0) {
        tool_error("%s: %s", path, expected(kind));
    } else if (key_check_kind(path, parsed, kind) == 0) {
        rc = 0;
    }
out:
    if (rc != 0)
        key_wipe(key);
    tool_free_secret(der, der_len);
    tool_free_secret(file, file_len + 1);
    return rc;
}
