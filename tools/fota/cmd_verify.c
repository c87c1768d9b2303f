/*
 * fota verify: checking signed images.
 *
 * verify runs the device core's fota_image_verify over the file's bytes, so
 * the tool refuses exactly the images a bootloader refuses; on top it checks
 * what only a file can get wrong (bytes after the image) and whether the
 * header's key id names the key given.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "fota/image.h"
#include "imageinfo.h"
#include "keyfile.h"

enum { OPT_HELP = 1, OPT_KEY };

/* fota_image_verify's scratch: holds the largest header. */
static uint8_t scratch[4096];

static const struct args_option verify_options[] = {
    {"key", 'k', 1, OPT_KEY},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* Prints every problem found on stderr, or the OK line on stdout. Returns
 * the number of problems (0: the image is good). */
static int verify_image(const char *path, const uint8_t *data, size_t len,
                        const struct tool_key *key)
{
    struct fota_image_header hdr, parsed;
    struct fota_image_source src;
    struct image_mem mem;
    char msg[512], version[48], hid[2 * KEY_ID_SIZE + 1], kid[2 * KEY_ID_SIZE + 1];
    int problems = 0, err, header_ok;

    if (image_source_init(&src, &mem, data, len) != 0) {
        tool_error("%s: too large for a fota image (%zu bytes)", path, len);
        return 1;
    }
    err = fota_image_verify(&src, key->pub, scratch, sizeof(scratch), &hdr);
    header_ok = fota_image_header_parse(&parsed, data, len) == 0;
    host_hex(kid, key->id, KEY_ID_SIZE);
    if (header_ok && parsed.has_key_id &&
        memcmp(parsed.key_id, key->id, FOTA_IMAGE_KEY_ID_SIZE) != 0) {
        host_hex(hid, parsed.key_id, KEY_ID_SIZE);
        tool_error("%s: key id mismatch: the header names key id %s, the key given has key id %s",
                   path, hid, kid);
        problems++;
    }
    if (err != 0) {
        image_explain(msg, sizeof(msg), err, data, len, &hdr);
        tool_error("%s: %s", path, msg);
        problems++;
    }
    if (header_ok && len > fota_image_total_size(&parsed)) {
        uint32_t total = fota_image_total_size(&parsed);

        tool_error("%s: trailing garbage: %zu byte%s after the end of the image at byte %lu "
                   "(header %u + payload %lu + trailer %u)", path, len - total,
                   len - total == 1 ? "" : "s",
                   (unsigned long)total, parsed.header_size, (unsigned long)parsed.payload_size,
                   FOTA_IMAGE_TRAILER_SIZE);
        problems++;
    }
    if (problems == 0) {
        image_version_string(version, sizeof(version), &hdr.version);
        printf("%s: OK, version %s, counter %lu, %lu bytes payload at 0x%08lx, key id %s\n",
               path, version, (unsigned long)hdr.security_counter,
               (unsigned long)hdr.payload_size, (unsigned long)hdr.load_address, kid);
    }
    return problems;
}

static int verify_run(const struct tool_command *cmd, const struct tool_globals *g,
                      int argc, char **argv)
{
    const char *key_path = NULL, *value;
    const char **images;
    struct tool_key key;
    size_t count = 0, i;
    int opt, failed = 0;
    struct args a;

    (void)g;
    images = calloc((size_t)argc, sizeof(*images));
    if (images == NULL) {
        tool_error("out of memory");
        return TOOL_EXIT_FAIL;
    }
    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, verify_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_KEY: key_path = value; break;
        case OPT_HELP: free(images); tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL: images[count++] = value; break;
        default: free(images); return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (key_path == NULL || count == 0) {
        free(images);
        return tool_usage_error(cmd, key_path ? "no image given"
                                              : "the key is missing: -k KEY.pem or -k PUB.pem");
    }
    if (key_load(&key, key_path, KEY_ANY) != 0) {
        free(images);
        return TOOL_EXIT_FAIL;
    }
    for (i = 0; i < count; i++) {
        uint8_t *data;
        size_t len;

        if (tool_read_file(images[i], TOOL_MAX_FILE_SIZE, &data, &len) != 0) {
            failed++;
            continue;
        }
        if (len == 0) {
            tool_error("%s: empty file, not a fota image", images[i]);
            failed++;
        } else if (verify_image(images[i], data, len, &key) != 0) {
            failed++;
        }
        free(data);
    }
    key_wipe(&key);
    free(images);
    return failed ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
}

const struct tool_command tool_cmd_verify = {
    "verify",
    "check a fota image's digest, signature and key",
    "usage: fota verify -k KEY.pem IMAGE...\n"
    "\n"
    "Checks an image exactly as a device does (header, SHA-256 digest, Ed25519\n"
    "signature), and also that the header's key id names this key and that the\n"
    "file holds nothing after the image. Prints one OK line per good image; for\n"
    "a bad one, says what is wrong on standard error and exits with 1.\n"
    "\n"
    "  -k, --key KEY.pem   the private key or the public key (PEM) (required)\n"
    "  -h, --help          this text\n",
    verify_run,
};
