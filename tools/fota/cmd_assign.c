/*
 * fota assign: which image a device, or a whole group, must run.
 */
#include <ctype.h>
#include <string.h>

#include "admin.h"
#include "args.h"

enum { OPT_HELP = 1, OPT_DEVICE, OPT_GROUP };

static const struct args_option assign_options[] = {
    {"device", 'D', 1, OPT_DEVICE},
    {"group", 'g', 1, OPT_GROUP},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* A version ("1.2.3", "1.2.3+4") or 8 to 64 hex digits of a digest. */
static int image_name_ok(const char *s)
{
    struct fota_version v;
    size_t n = strlen(s), i;
    int has_build;

    if (store_version_parse(s, &v, &has_build) == 0)
        return 1;
    if (n < 8 || n > 2 * STORE_DIGEST_SIZE)
        return 0;
    for (i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Assigns image name ("none": clears) to device, or else to group, and says
 * so. Returns 0 or a store error (not printed). */
static int assign_apply(struct store *st, const char *device, const char *group,
                        const char *name)
{
    char hex[2 * STORE_DIGEST_SIZE + 1];
    struct store_image img;
    int clear = strcmp(name, "none") == 0, n = 0;

    memset(&img, 0, sizeof(img));
    if (!clear && store_image_find(st, name, &img) != 0)
        return -1;
    if (device != NULL) {
        if (store_assign_device(st, device, clear ? NULL : img.digest, admin_now()) != 0)
            return -1;
        if (clear)
            printf("device %s: own assignment cleared (its group's applies)\n", device);
    } else {
        n = store_assign_group(st, group, clear ? NULL : img.digest, admin_now());
        if (n < 0)
            return n;
        if (clear)
            printf("group %s: assignment cleared (%d device%s)\n", group, n, n == 1 ? "" : "s");
    }
    if (clear)
        return 0;
    host_hex(hex, img.digest, STORE_DIGEST_SIZE);
    if (device != NULL)
        printf("device %s: assigned %s (digest %.16s)\n", device, img.version, hex);
    else
        printf("group %s: assigned %s (digest %.16s) to %d device%s\n", group, img.version, hex,
               n, n == 1 ? "" : "s");
    if (!img.verified)
        fprintf(stderr, "fota: warning: image %s was stored without verification\n",
                img.version);
    return 0;
}

static int assign_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                      char **argv)
{
    const char *device = NULL, *group = NULL, *name = NULL, *value;
    struct store *st;
    struct args a;
    int opt, rc;

    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, assign_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_DEVICE:
            if (device != NULL)
                return tool_usage_error(cmd, "one --device at a time");
            device = value;
            break;
        case OPT_GROUP:
            if (group != NULL)
                return tool_usage_error(cmd, "one --group at a time");
            group = value;
            break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (name != NULL)
                return tool_usage_error(cmd, "one version at a time, got '%s' too", value);
            name = value;
            break;
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if ((device == NULL) == (group == NULL))
        return tool_usage_error(cmd, "give either --device ID or --group GROUP");
    if (name == NULL)
        return tool_usage_error(cmd, "the image version is missing");
    if (strcmp(name, "none") != 0 && !image_name_ok(name))
        return tool_usage_error(cmd, "bad image version '%s': expected MAJOR.MINOR.PATCH, "
                                "MAJOR.MINOR.PATCH+BUILD, 'none' or 8 to 64 hex digits of a "
                                "digest", name);
    if (store_id_check(device ? device : group) != 0)
        return tool_usage_error(cmd, "bad %s '%s'", device ? "device id" : "group name",
                                device ? device : group);
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    return admin_close(st, assign_apply(st, device, group, name));
}

const struct tool_command tool_cmd_assign = {
    "assign",
    "choose the image a device or a group must run",
    "usage: fota -d DATADIR assign (--device ID | --group GROUP) VERSION\n"
    "\n"
    "Assigns the stored image with VERSION (MAJOR.MINOR.PATCH, which must\n"
    "name one image, or MAJOR.MINOR.PATCH+BUILD, or 8 to 64 hex digits of its\n"
    "digest) to one device or to a group. The server offers it at the device's\n"
    "next connection, unless the device already runs it.\n"
    "\n"
    "A group's assignment applies to its devices now and to those added to it\n"
    "later; it replaces the devices' own assignments, and a later --device\n"
    "assignment overrides it for that device. VERSION 'none' clears the\n"
    "assignment (a device then follows its group's again).\n"
    "\n"
    "  -D, --device ID       the device\n"
    "  -g, --group GROUP     the group\n"
    "  -h, --help            this text\n",
    assign_run,
};
