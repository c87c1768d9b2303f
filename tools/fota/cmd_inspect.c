/*
 * fota inspect: every field of a signed image, as text or JSON. Nothing here
 * decides whether an image is good: the header is parsed by the core, and
 * the signature is left to fota verify (it needs the key).
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "fota/error.h"
#include "fota/image.h"
#include "imageinfo.h"

enum { OPT_HELP = 1, OPT_JSON };

static const struct args_option inspect_options[] = {
    {"json", 0, 0, OPT_JSON},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* What inspect found in a file whose fixed header could be read. */
struct inspection {
    const char *path;
    const uint8_t *data;
    size_t len;
    struct fota_image_header hdr;
    int parse_err;          /* fota_image_header_parse's verdict */
    char problem[512];      /* sentence for parse_err, or "" */
    struct image_tlvs tlvs;
    uint32_t total;         /* image size per the header (0: unknown) */
    int has_trailer;        /* the file holds the digest and signature */
    uint8_t computed[FOTA_IMAGE_DIGEST_SIZE];
    int digest_ok;
};

static void inspect_gather(struct inspection *in)
{
    uint32_t header_size;

    in->parse_err = fota_image_header_parse(&in->hdr, in->data, in->len);
    if (in->parse_err != 0)
        image_explain(in->problem, sizeof(in->problem), in->parse_err, in->data, in->len,
                      &in->hdr);
    header_size = in->hdr.header_size;
    if (header_size >= FOTA_IMAGE_FIXED_HEADER_SIZE && header_size <= in->len)
        image_tlvs_list(&in->tlvs, in->data, header_size);
    /* Sizes are meaningful once the fixed header checks passed. */
    if (in->parse_err == 0 || in->parse_err == FOTA_E_TRUNCATED)
        in->total = fota_image_total_size(&in->hdr);
    in->has_trailer = in->parse_err == 0 && in->len >= in->total;
    if (in->parse_err == 0 && in->len < in->total)
        image_explain(in->problem, sizeof(in->problem), FOTA_E_TRUNCATED, in->data, in->len,
                      &in->hdr);
    else if (in->parse_err == 0 && in->len > in->total)
        snprintf(in->problem, sizeof(in->problem),
                 "trailing garbage: %lu byte%s after the end of the image at byte %lu",
                 (unsigned long)(in->len - in->total), in->len - in->total == 1 ? "" : "s",
                 (unsigned long)in->total);
    if (in->has_trailer) {
        uint32_t signed_len = in->total - FOTA_IMAGE_TRAILER_SIZE;

        fota_sha256(in->computed, in->data, signed_len);
        in->digest_ok = memcmp(in->computed, in->data + signed_len, FOTA_IMAGE_DIGEST_SIZE) == 0;
    }
}

static void print_hex(FILE *out, const uint8_t *p, size_t len)
{
    char buf[2 * 128 + 1];

    while (len > 0) {
        size_t n = len < 128 ? len : 128;

        host_hex(buf, p, n);
        fputs(buf, out);
        p += n;
        len -= n;
    }
}

static void inspect_text(const struct inspection *in)
{
    const struct fota_image_header *h = &in->hdr;
    char version[48];
    size_t i;

    image_version_string(version, sizeof(version), &h->version);
    printf("file:             %s (%zu bytes)\n", in->path, in->len);
    printf("magic:            FOTA\n");
    printf("format version:   %u\n", h->format_version);
    printf("header size:      %u (0x%x)\n", h->header_size, h->header_size);
    printf("version:          %s\n", version);
    printf("security counter: %lu\n", (unsigned long)h->security_counter);
    printf("payload size:     %lu (0x%lx)\n", (unsigned long)h->payload_size,
           (unsigned long)h->payload_size);
    printf("load address:     0x%08lx\n", (unsigned long)h->load_address);
    printf("flags:            0x%08lx\n", (unsigned long)h->flags);
    printf("key id:           ");
    if (h->has_key_id)
        print_hex(stdout, h->key_id, FOTA_IMAGE_KEY_ID_SIZE);
    else
        printf("(none)");
    printf("\ntlvs:\n");
    for (i = 0; i < in->tlvs.count; i++) {
        const struct image_tlv *t = &in->tlvs.v[i];
        size_t shown = t->offset + 4u + t->len <= h->header_size ? t->len : 0;

        printf("  at byte %-5lu type 0x%04x %-18s length %-3u ", (unsigned long)t->offset,
               t->type, image_tlv_name(t->type), t->len);
        print_hex(stdout, in->data + t->offset + 4, shown);
        printf("\n");
    }
    if (in->tlvs.ended && in->tlvs.end_offset + 4u < h->header_size)
        printf("  at byte %-5lu type 0x%04x end (0xff padding from byte %lu to %u)\n",
               (unsigned long)in->tlvs.end_offset, FOTA_TLV_END,
               (unsigned long)in->tlvs.end_offset + 4, h->header_size - 1u);
    else if (in->tlvs.ended)
        printf("  at byte %-5lu type 0x%04x end\n", (unsigned long)in->tlvs.end_offset,
               FOTA_TLV_END);
    if (in->total != 0) {
        uint32_t signed_len = in->total - FOTA_IMAGE_TRAILER_SIZE;

        printf("layout:           header 0..%u, payload %u..%lu, digest %lu..%lu, "
               "signature %lu..%lu (image %lu bytes)\n",
               h->header_size - 1, h->header_size, (unsigned long)signed_len - 1,
               (unsigned long)signed_len, (unsigned long)signed_len + 31,
               (unsigned long)signed_len + 32, (unsigned long)in->total - 1,
               (unsigned long)in->total);
    }
    if (in->has_trailer) {
        uint32_t signed_len = in->total - FOTA_IMAGE_TRAILER_SIZE;

        printf("digest:           ");
        print_hex(stdout, in->data + signed_len, FOTA_IMAGE_DIGEST_SIZE);
        printf(in->digest_ok ? " (matches SHA-256 of header || payload)\n"
                             : " (MISMATCH: SHA-256 of header || payload is ");
        if (!in->digest_ok) {
            print_hex(stdout, in->computed, FOTA_IMAGE_DIGEST_SIZE);
            printf(")\n");
        }
        printf("signature:        ");
        print_hex(stdout, in->data + signed_len + FOTA_IMAGE_DIGEST_SIZE,
                  FOTA_IMAGE_SIGNATURE_SIZE);
        printf(" (not checked: use fota verify -k KEY)\n");
    }
    if (in->problem[0])
        printf("problem:          %s\n", in->problem);
}

static void json_hex(const char *name, const uint8_t *p, size_t len, int comma)
{
    printf("  \"%s\": \"", name);
    print_hex(stdout, p, len);
    printf("\"%s\n", comma ? "," : "");
}

static void inspect_json(const struct inspection *in)
{
    const struct fota_image_header *h = &in->hdr;
    char version[48];
    size_t i;

    image_version_string(version, sizeof(version), &h->version);
    printf("{\n  \"file\": ");
    tool_json_string(stdout, in->path);
    printf(",\n  \"file_size\": %zu,\n", in->len);
    printf("  \"magic\": \"FOTA\",\n");
    printf("  \"format_version\": %u,\n", h->format_version);
    printf("  \"header_size\": %u,\n", h->header_size);
    printf("  \"version\": \"%s\",\n", version);
    printf("  \"version_major\": %u,\n  \"version_minor\": %u,\n  \"version_patch\": %u,\n"
           "  \"version_build\": %lu,\n", h->version.major, h->version.minor,
           h->version.patch, (unsigned long)h->version.build);
    printf("  \"security_counter\": %lu,\n", (unsigned long)h->security_counter);
    printf("  \"payload_size\": %lu,\n", (unsigned long)h->payload_size);
    printf("  \"load_address\": \"0x%08lx\",\n", (unsigned long)h->load_address);
    printf("  \"flags\": \"0x%08lx\",\n", (unsigned long)h->flags);
    if (h->has_key_id)
        json_hex("key_id", h->key_id, FOTA_IMAGE_KEY_ID_SIZE, 1);
    else
        printf("  \"key_id\": null,\n");
    printf("  \"tlvs\": [");
    for (i = 0; i < in->tlvs.count; i++) {
        const struct image_tlv *t = &in->tlvs.v[i];
        size_t shown = t->offset + 4u + t->len <= h->header_size ? t->len : 0;

        printf("%s\n    {\"offset\": %lu, \"type\": \"0x%04x\", \"name\": \"%s\", "
               "\"critical\": %s, \"length\": %u, \"value\": \"", i ? "," : "",
               (unsigned long)t->offset, t->type, image_tlv_name(t->type),
               t->type & FOTA_TLV_CRITICAL ? "true" : "false", t->len);
        print_hex(stdout, in->data + t->offset + 4, shown);
        printf("\"}");
    }
    printf("%s],\n", in->tlvs.count ? "\n  " : "");
    printf("  \"image_size\": %lu,\n", (unsigned long)in->total);
    if (in->has_trailer) {
        uint32_t signed_len = in->total - FOTA_IMAGE_TRAILER_SIZE;

        printf("  \"digest_offset\": %lu,\n", (unsigned long)signed_len);
        json_hex("digest", in->data + signed_len, FOTA_IMAGE_DIGEST_SIZE, 1);
        json_hex("digest_computed", in->computed, FOTA_IMAGE_DIGEST_SIZE, 1);
        printf("  \"digest_ok\": %s,\n", in->digest_ok ? "true" : "false");
        printf("  \"signature_offset\": %lu,\n",
               (unsigned long)signed_len + FOTA_IMAGE_DIGEST_SIZE);
        json_hex("signature", in->data + signed_len + FOTA_IMAGE_DIGEST_SIZE,
                 FOTA_IMAGE_SIGNATURE_SIZE, 1);
    }
    if (in->parse_err == 0)
        printf("  \"trailing_bytes\": %lu,\n",
               (unsigned long)(in->len > in->total ? in->len - in->total : 0));
    printf("  \"problem\": ");
    if (in->problem[0])
        tool_json_string(stdout, in->problem);
    else
        printf("null");
    printf("\n}\n");
}

/* True (after printing why) when not even the fixed header can be shown. */
static int inspect_unreadable(const char *path, const uint8_t *data, size_t len)
{
    struct fota_image_header probe;
    char msg[512];
    int err;

    if (len == 0) {
        tool_error("%s: empty file, not a fota image", path);
        return 1;
    }
    if (len > UINT32_MAX) {
        tool_error("%s: too large for a fota image (%zu bytes)", path, len);
        return 1;
    }
    err = fota_image_header_parse(&probe, data, len);
    if (len >= FOTA_IMAGE_FIXED_HEADER_SIZE && err != FOTA_E_MAGIC)
        return 0;
    image_explain(msg, sizeof(msg), err, data, len, &probe);
    tool_error("%s: %s", path, msg);
    return 1;
}

static int inspect_run(const struct tool_command *cmd, const struct tool_globals *g,
                       int argc, char **argv)
{
    struct inspection *in;
    const char *path = NULL, *value;
    int json = 0, opt, rc;
    struct args a;
    uint8_t *data;
    size_t len;

    (void)g;
    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, inspect_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_JSON: json = 1; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (path != NULL)
                return tool_usage_error(cmd, "one image only ('%s' and '%s')", path, value);
            path = value;
            break;
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (path == NULL)
        return tool_usage_error(cmd, "no image given");
    if (tool_read_file(path, TOOL_MAX_FILE_SIZE, &data, &len) != 0)
        return TOOL_EXIT_FAIL;
    if (inspect_unreadable(path, data, len)) {
        free(data);
        return TOOL_EXIT_FAIL;
    }
    in = calloc(1, sizeof(*in));
    if (in == NULL) {
        free(data);
        tool_error("out of memory");
        return TOOL_EXIT_FAIL;
    }
    in->path = path;
    in->data = data;
    in->len = len;
    inspect_gather(in);
    if (json)
        inspect_json(in);
    else
        inspect_text(in);
    if (in->problem[0])
        tool_error("%s: %s", path, in->problem);
    rc = in->problem[0] ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
    free(in);
    free(data);
    return rc;
}

const struct tool_command tool_cmd_inspect = {
    "inspect",
    "show every field of a fota image",
    "usage: fota inspect [--json] IMAGE\n"
    "\n"
    "Shows the header fields (version, security counter, payload size, load\n"
    "address, flags, key id, TLV entries), the byte layout, the stored digest\n"
    "(and whether it matches the payload) and the signature. The signature is\n"
    "not checked: that needs the key (fota verify). Exits with 1 when the\n"
    "header cannot be read.\n"
    "\n"
    "      --json   one JSON object instead of text\n"
    "  -h, --help   this text\n",
    inspect_run,
};
