/*
 * fota sign: firmware (raw, Intel HEX or ELF) into a signed fota image.
 *
 *   image = header || payload || digest || signature
 *   digest = SHA-256(header || payload)
 *   signature = Ed25519(header || digest)
 *
 * The header is written by the core (fota_image_header_write) and the result
 * is checked by the core (fota_image_verify) before it is written out, so the
 * tool never produces an image a device would refuse.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "args.h"
#include "commands.h"
#include "firmware.h"
#include "fota/error.h"
#include "fota/image.h"
#include "imageinfo.h"
#include "keyfile.h"

/* STM32F103ZE layout: primary slot at 0x08005000, payload after a 0x200
 * header, aligned as the Cortex-M3 vector table needs. */
#define SIGN_DEFAULT_HEADER_SIZE 0x200u
#define SIGN_DEFAULT_LOAD_ADDRESS 0x08005200u
/* Fixed header, key-id entry (4 + 8), end entry (4). */
#define SIGN_MIN_HEADER_SIZE (FOTA_IMAGE_FIXED_HEADER_SIZE + 4 + FOTA_IMAGE_KEY_ID_SIZE + 4)

enum {
    OPT_HELP = 1, OPT_KEY, OPT_VERSION, OPT_COUNTER, OPT_BUILD, OPT_ADDRESS,
    OPT_HEADER_SIZE, OPT_FORMAT, OPT_OUTPUT,
};

static const struct args_option sign_options[] = {
    {"key", 'k', 1, OPT_KEY},
    {"version", 'V', 1, OPT_VERSION},
    {"counter", 'c', 1, OPT_COUNTER},
    {"security-counter", 0, 1, OPT_COUNTER},
    {"build", 0, 1, OPT_BUILD},
    {"load-address", 'a', 1, OPT_ADDRESS},
    {"header-size", 0, 1, OPT_HEADER_SIZE},
    {"input-format", 'f', 1, OPT_FORMAT},
    {"output", 'o', 1, OPT_OUTPUT},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

struct sign_request {
    const char *key_path;
    const char *input;
    const char *output;
    struct fota_version version;
    int has_version;
    int has_build;       /* from --build or "+N" in the version */
    uint32_t counter;
    uint32_t load_address;
    int has_address;
    uint32_t header_size;
    enum firmware_format format;
};

/* A decimal number of at most max, the whole of [s, end). */
static int parse_component(const char *s, const char *end, uint32_t max, uint32_t *v)
{
    uint32_t acc = 0;

    if (s == end || end - s > 10)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (acc > (UINT32_MAX - 9) / 10)
            return -1;
        acc = acc * 10 + (uint32_t)(*s - '0');
    }
    if (acc > max)
        return -1;
    *v = acc;
    return 0;
}

/* "MAJOR.MINOR.PATCH" or "MAJOR.MINOR.PATCH+BUILD". */
static int parse_version(const char *s, struct fota_version *v, int *has_build)
{
    const char *dot1 = strchr(s, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *plus = dot2 ? strchr(dot2 + 1, '+') : NULL;
    const char *end = s + strlen(s);
    uint32_t major, minor, patch, build = 0;

    if (dot2 == NULL || parse_component(s, dot1, 255, &major) ||
        parse_component(dot1 + 1, dot2, 255, &minor) ||
        parse_component(dot2 + 1, plus ? plus : end, 65535, &patch) ||
        (plus && parse_component(plus + 1, end, UINT32_MAX, &build)))
        return -1;
    v->major = (uint8_t)major;
    v->minor = (uint8_t)minor;
    v->patch = (uint16_t)patch;
    v->build = build;
    *has_build = plus != NULL;
    return 0;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int sign_parse(const struct tool_command *cmd, struct sign_request *rq, int argc,
                      char **argv)
{
    const char *value;
    struct args a;
    int opt;

    memset(rq, 0, sizeof(*rq));
    rq->header_size = SIGN_DEFAULT_HEADER_SIZE;
    rq->load_address = SIGN_DEFAULT_LOAD_ADDRESS;
    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, sign_options, &value)) != ARGS_END) {
        uint32_t build;
        int plus;

        switch (opt) {
        case OPT_KEY: rq->key_path = value; break;
        case OPT_OUTPUT: rq->output = value; break;
        case OPT_VERSION:
            build = rq->version.build;
            if (parse_version(value, &rq->version, &plus) != 0)
                return tool_usage_error(cmd, "bad version '%s': expected MAJOR.MINOR.PATCH "
                                        "(major and minor 0..255, patch 0..65535, optionally "
                                        "+BUILD), e.g. 1.2.3", value);
            if (!plus && rq->has_build)
                rq->version.build = build; /* keep an earlier --build */
            else if (plus && rq->has_build)
                return tool_usage_error(cmd, "build number given twice (-V ...+N and --build)");
            rq->has_build |= plus;
            rq->has_version = 1;
            break;
        case OPT_BUILD:
            if (tool_parse_u32(value, &build) != 0)
                return tool_usage_error(cmd, "bad build number '%s' (0..4294967295)", value);
            if (rq->has_build)
                return tool_usage_error(cmd, "build number given twice (-V ...+N and --build)");
            rq->version.build = build;
            rq->has_build = 1;
            break;
        case OPT_COUNTER:
            if (tool_parse_u32(value, &rq->counter) != 0)
                return tool_usage_error(cmd, "bad security counter '%s' (0..4294967295)", value);
            break;
        case OPT_ADDRESS:
            if (tool_parse_u32(value, &rq->load_address) != 0)
                return tool_usage_error(cmd, "bad load address '%s' (e.g. 0x08005200)", value);
            rq->has_address = 1;
            break;
        case OPT_HEADER_SIZE:
            if (tool_parse_u32(value, &rq->header_size) != 0 || rq->header_size % 4 ||
                rq->header_size < SIGN_MIN_HEADER_SIZE ||
                rq->header_size > FOTA_IMAGE_MAX_HEADER_SIZE)
                return tool_usage_error(cmd, "bad header size '%s': a multiple of 4 from %u to "
                                        "%u", value, SIGN_MIN_HEADER_SIZE,
                                        FOTA_IMAGE_MAX_HEADER_SIZE);
            break;
        case OPT_FORMAT:
            if (firmware_format_parse(&rq->format, value) != 0)
                return tool_usage_error(cmd, "bad input format '%s' (auto, bin, hex or elf)",
                                        value);
            break;
        case OPT_HELP:
            tool_usage(cmd, stdout);
            return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (rq->input != NULL)
                return tool_usage_error(cmd, "one input file only ('%s' and '%s')", rq->input,
                                        value);
            rq->input = value;
            break;
        default:
            return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (rq->key_path == NULL)
        return tool_usage_error(cmd, "the signing key is missing: -k KEY.pem");
    if (!rq->has_version)
        return tool_usage_error(cmd, "the version is missing: -V MAJOR.MINOR.PATCH");
    if (rq->input == NULL)
        return tool_usage_error(cmd, "the input firmware is missing");
    if (rq->output == NULL)
        return tool_usage_error(cmd, "the output file is missing: -o OUTPUT");
    if (same_file(rq->output, rq->input) || same_file(rq->output, rq->key_path))
        return tool_usage_error(cmd, "the output %s would replace an input file", rq->output);
    return -1; /* parsed: go on */
}

/* Builds the signed image into a malloc'd buffer; returns it or NULL. */
static uint8_t *sign_build(const struct sign_request *rq, const struct tool_key *key,
                           const struct firmware *fw, struct fota_image_header *hdr,
                           size_t *image_len)
{
    uint8_t msg[FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_DIGEST_SIZE];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    size_t signed_len, total;
    uint8_t *image;
    int err;

    memset(hdr, 0, sizeof(*hdr));
    hdr->format_version = FOTA_IMAGE_FORMAT_VERSION;
    hdr->header_size = (uint16_t)rq->header_size;
    hdr->version = rq->version;
    hdr->security_counter = rq->counter;
    hdr->payload_size = (uint32_t)fw->size;
    hdr->load_address = fw->has_address ? fw->load_address : rq->load_address;
    hdr->flags = 0;
    hdr->has_key_id = 1;
    memcpy(hdr->key_id, key->id, FOTA_IMAGE_KEY_ID_SIZE);
    signed_len = rq->header_size + fw->size;
    total = signed_len + FOTA_IMAGE_TRAILER_SIZE;
    image = malloc(total);
    if (image == NULL) {
        tool_error("%s: out of memory", rq->output);
        return NULL;
    }
    err = fota_image_header_write(hdr, image, rq->header_size);
    if (err < 0) {
        tool_error("%s: cannot write the header: %s", rq->output, fota_strerror(err));
        free(image);
        return NULL;
    }
    memcpy(image + rq->header_size, fw->data, fw->size);
    fota_sha256(image + signed_len, image, signed_len);
    /* The signed message: header || digest. */
    memcpy(msg, image, rq->header_size);
    memcpy(msg + rq->header_size, image + signed_len, FOTA_IMAGE_DIGEST_SIZE);
    crypto_sign_seed_keypair(pk, sk, key->seed);
    crypto_sign_detached(image + signed_len + FOTA_IMAGE_DIGEST_SIZE, NULL, msg,
                         rq->header_size + FOTA_IMAGE_DIGEST_SIZE, sk);
    sodium_memzero(sk, sizeof(sk));
    *image_len = total;
    return image;
}

/* The device core must accept what we wrote. */
static int sign_self_check(const char *output, const uint8_t *image, size_t len,
                           const struct tool_key *key)
{
    static uint8_t scratch[4096];
    struct fota_image_source src;
    struct fota_image_header hdr;
    struct image_mem mem;
    int err;

    if (image_source_init(&src, &mem, image, len) != 0)
        return -1;
    err = fota_image_verify(&src, key->pub, scratch, sizeof(scratch), &hdr);
    if (err != 0) {
        tool_error("%s: internal error: the signed image does not verify (%s); nothing written",
                   output, fota_strerror(err));
        return -1;
    }
    return 0;
}

static int sign_run(const struct tool_command *cmd, const struct tool_globals *g,
                    int argc, char **argv)
{
    struct sign_request rq;
    struct fota_image_header hdr;
    struct tool_key key;
    struct firmware fw;
    char version[48], id[2 * KEY_ID_SIZE + 1];
    uint8_t *image = NULL;
    size_t image_len = 0;
    int rc = TOOL_EXIT_FAIL;
    int parsed = sign_parse(cmd, &rq, argc, argv);

    (void)g;
    if (parsed >= 0)
        return parsed;
    if (key_load(&key, rq.key_path, KEY_PRIVATE) != 0)
        return TOOL_EXIT_FAIL;
    if (firmware_load(&fw, rq.input, rq.format) != 0)
        goto out_key;
    if (fw.has_address && rq.has_address && fw.load_address != rq.load_address) {
        tool_error("%s: the %s file places the firmware at 0x%08lx, not at -a 0x%08lx",
                   rq.input, firmware_format_name(fw.format), (unsigned long)fw.load_address,
                   (unsigned long)rq.load_address);
        goto out_fw;
    }
    if (fw.size > UINT32_MAX - rq.header_size - FOTA_IMAGE_TRAILER_SIZE) {
        tool_error("%s: too large for an image (%zu bytes)", rq.input, fw.size);
        goto out_fw;
    }
    image = sign_build(&rq, &key, &fw, &hdr, &image_len);
    if (image == NULL || sign_self_check(rq.output, image, image_len, &key) != 0)
        goto out_fw;
    if (tool_write_file_atomic(rq.output, image, image_len, 0644, 0) != 0)
        goto out_fw;
    image_version_string(version, sizeof(version), &hdr.version);
    host_hex(id, key.id, KEY_ID_SIZE);
    printf("%s: signed version %s, counter %lu, %lu bytes payload at 0x%08lx, key id %s "
           "(from %s input %s)\n",
           rq.output, version, (unsigned long)hdr.security_counter,
           (unsigned long)hdr.payload_size, (unsigned long)hdr.load_address, id,
           firmware_format_name(fw.format), rq.input);
    rc = TOOL_EXIT_OK;
out_fw:
    free(image);
    firmware_free(&fw);
out_key:
    key_wipe(&key);
    return rc;
}

const struct tool_command tool_cmd_sign = {
    "sign",
    "sign firmware (.bin, Intel HEX or ELF) into a fota image",
    "usage: fota sign -k KEY.pem -V MAJOR.MINOR.PATCH [options] INPUT -o OUTPUT\n"
    "\n"
    "Makes a signed fota image: header || payload || SHA-256 digest || Ed25519\n"
    "signature (docs/image-format.md). INPUT is an ELF executable, an Intel HEX\n"
    "file or a raw binary, told apart by content. ELF and HEX give the load\n"
    "address (the lowest address they fill; gaps become 0xFF); a raw binary is\n"
    "placed at -a. The output is written atomically.\n"
    "\n"
    "  -k, --key KEY.pem        the Ed25519 private key (required)\n"
    "  -V, --version X.Y.Z[+B]  firmware version: major, minor 0..255, patch\n"
    "                           0..65535, build 0..2^32-1 (required)\n"
    "  -c, --counter N          security counter (default 0): devices refuse\n"
    "                           images with a counter below the one they hold\n"
    "      --build N            build number (default 0)\n"
    "  -a, --load-address ADDR  where a raw binary's first byte goes\n"
    "                           (default 0x08005200)\n"
    "      --header-size N      header size, a multiple of 4 from 80 to 2048\n"
    "                           (default 512 = 0x200)\n"
    "  -f, --input-format FMT   auto (default), bin, hex or elf\n"
    "  -o, --output OUTPUT      the image to write (required)\n"
    "  -h, --help               this text\n",
    sign_run,
};
