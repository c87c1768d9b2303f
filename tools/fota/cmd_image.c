/*
 * fota image: the server's image store (add, list).
 *
 * image add refuses an image that does not verify with the store's public
 * key (the device core's own check, so the server never offers an image its
 * devices would refuse); --no-verify exists only to plant a bad image, for
 * testing that the devices refuse it.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "args.h"
#include "imageinfo.h"

enum { OPT_HELP = 1, OPT_NO_VERIFY };

static const struct args_option add_options[] = {
    {"no-verify", 0, 0, OPT_NO_VERIFY},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* ---------------------------------------------------------------- add --- */

/* Adds one file. Returns 0 or 1 (printed). */
static int image_add_one(struct store *st, const char *path, unsigned flags)
{
    struct store_image *img = malloc(sizeof(*img));
    char hex[2 * STORE_DIGEST_SIZE + 1], why[512];
    uint8_t *data;
    size_t len;
    int r, failed = 0;

    if (img == NULL) {
        tool_error("out of memory");
        return 1;
    }
    if (tool_read_file(path, TOOL_MAX_FILE_SIZE, &data, &len) != 0) {
        free(img);
        return 1;
    }
    r = store_image_add(st, data, len, flags, admin_now(), img);
    if (r < 0) {
        if (r == STORE_E_IMAGE && img->verify_error != 0) {
            /* The tool's own sentence for the core's code names sizes and offsets. */
            image_explain(why, sizeof(why), img->verify_error, data, len, &img->header);
            tool_error("%s: refused: %s", path, why);
        } else if (r == STORE_E_IMAGE) {
            tool_error("%s: refused: %s", path, store_errmsg(st));
        } else {
            tool_error("%s: %s", path, store_errmsg(st));
        }
        failed = 1;
    } else {
        host_hex(hex, img->digest, STORE_DIGEST_SIZE);
        printf("%s: %s version %s, counter %lu, %lu bytes, digest %s%s\n", path,
               r == 1 ? "already stored:" : "added", img->version,
               (unsigned long)img->header.security_counter, (unsigned long)img->size, hex,
               img->verified ? "" : " (NOT VERIFIED)");
        if (!img->verified && r == 0 && img->verify_error != 0) {
            image_explain(why, sizeof(why), img->verify_error, data, len, &img->header);
            fprintf(stderr, "fota: %s: warning: stored without verification: %s\n", path,
                    why);
        }
    }
    free(data);
    free(img);
    return failed;
}

static int image_add(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                     char **argv, const void *ctx)
{
    const char **paths;
    const char *value;
    unsigned flags = 0;
    size_t count = 0, i;
    struct store *st;
    struct args a;
    int opt, rc, failed = 0;

    (void)ctx;
    paths = calloc((size_t)argc, sizeof(*paths));
    if (paths == NULL) {
        tool_error("out of memory");
        return TOOL_EXIT_FAIL;
    }
    args_init(&a, argc, argv, 2);
    while ((opt = args_next(&a, add_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_NO_VERIFY: flags |= STORE_IMAGE_NO_VERIFY; break;
        case OPT_HELP: free(paths); tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL: paths[count++] = value; break;
        default: free(paths); return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (count == 0) {
        free(paths);
        return tool_usage_error(cmd, "no image given: image add IMAGE...");
    }
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK) {
        free(paths);
        return rc;
    }
    for (i = 0; i < count; i++)
        failed += image_add_one(st, paths[i], flags);
    store_close(st);
    free(paths);
    return failed ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
}

/* --------------------------------------------------------------- list --- */

static int list_one(void *ctx, const struct store_image *img)
{
    struct admin_list *l = ctx;
    int first = admin_list_row(l);
    char hex[2 * STORE_DIGEST_SIZE + 1], added[32];

    host_hex(hex, img->digest, STORE_DIGEST_SIZE);
    admin_time(added, sizeof(added), img->added);
    if (l->json) {
        fputs("\"version\": ", stdout);
        tool_json_string(stdout, img->version);
        printf(", \"digest\": \"%s\", \"counter\": %lu, \"size\": %lu, \"payload_size\": %lu,"
               " \"load_address\": %lu, \"verified\": %s, \"added\": \"%s\"}",
               hex, (unsigned long)img->header.security_counter, (unsigned long)img->size,
               (unsigned long)img->header.payload_size,
               (unsigned long)img->header.load_address, img->verified ? "true" : "false",
               added);
        return 0;
    }
    if (first)
        printf("%-16s %-8s %-9s %-10s %-16s %-8s %s\n", "VERSION", "COUNTER", "SIZE", "LOAD",
               "DIGEST", "VERIFIED", "ADDED");
    printf("%-16s %-8lu %-9lu 0x%08lx %.16s %-8s %s\n", img->version,
           (unsigned long)img->header.security_counter, (unsigned long)img->size,
           (unsigned long)img->header.load_address, hex, img->verified ? "yes" : "NO", added);
    return 0;
}

static int list_each(struct store *st, struct admin_list *l)
{
    return store_images_each(st, list_one, l);
}

static const struct admin_listing image_listing = {list_each, "no images", "image add IMAGE"};

/* ---------------------------------------------------------- dispatch --- */

static const struct admin_sub image_subs[] = {
    {"add", image_add, NULL},
    {"list", admin_list_sub, &image_listing},
    {NULL, NULL, NULL},
};

static int image_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                     char **argv)
{
    return admin_dispatch(cmd, g, argc, argv, image_subs, "add or list");
}

const struct tool_command tool_cmd_image = {
    "image",
    "add signed images to the server, list them",
    "usage: fota -d DATADIR image add [--no-verify] IMAGE...\n"
    "       fota -d DATADIR image list [--json]\n"
    "\n"
    "add checks each image as a device does (header, SHA-256 digest, Ed25519\n"
    "signature with the public key set by fota init) and refuses one that\n"
    "fails, saying why. A good image is copied to DATADIR/images/DIGEST.img\n"
    "and recorded with its version, security counter and sizes; adding the\n"
    "same image again changes nothing.\n"
    "\n"
    "list shows each image: version, security counter, size, load address,\n"
    "digest (its first 16 hex digits; --json gives all), whether it verified.\n"
    "\n"
    "      --no-verify   store images even if they fail the signature or digest\n"
    "                    check (the header must still parse): for testing that\n"
    "                    devices refuse them. Never in production.\n"
    "      --json        list as a JSON array\n"
    "  -h, --help        this text\n",
    image_run,
};
