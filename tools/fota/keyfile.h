/*
 * Ed25519 key files: PKCS#8 private keys and SubjectPublicKeyInfo public keys
 * (RFC 8410), as PEM or DER, the forms `openssl genpkey -algorithm ed25519`
 * and `openssl pkey` read and write.
 */
#ifndef FOTA_TOOL_KEYFILE_H
#define FOTA_TOOL_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define KEY_SEED_SIZE 32
#define KEY_PUBLIC_SIZE 32
#define KEY_ID_SIZE 8

struct tool_key {
    int has_secret;                 /* seed is valid */
    uint8_t seed[KEY_SEED_SIZE];    /* the RFC 8032 private key */
    uint8_t pub[KEY_PUBLIC_SIZE];   /* always valid */
    uint8_t id[KEY_ID_SIZE];        /* first 8 bytes of SHA-256(pub) */
};

enum key_kind {
    KEY_PRIVATE = 1, /* a private key is required */
    KEY_ANY = 2,     /* a private key (its public half is used) or a public key */
};

/* Fills key from seed: derives the public key and the key id. */
void key_from_seed(struct tool_key *key, const uint8_t seed[KEY_SEED_SIZE]);

/* Fills key from a public key: the key id. */
void key_from_public(struct tool_key *key, const uint8_t pub[KEY_PUBLIC_SIZE]);

/* Reads a key file. Returns 0 or -1 after printing a sentence naming the
 * file, e.g. "KEY.pem: not an Ed25519 private key (PKCS#8 PEM expected)". */
int key_load(struct tool_key *key, const char *path, enum key_kind kind);

/* Wipes the secret. */
void key_wipe(struct tool_key *key);

/* The key as PEM text, NUL-terminated, malloc'd (free the private one with
 * tool_free_secret(pem, *len)). Return 0 or -1 (out of memory). */
int key_private_pem(const struct tool_key *key, char **pem, size_t *len);
int key_public_pem(const struct tool_key *key, char **pem, size_t *len);

#endif
