/*
 * fota device: the server's device registry (add, list, remove, provision).
 *
 * A device is an id, a group, and a 32-byte secret made here; the
 * provisioning file carries the secret to the device with the server's
 * address and public key (server/provision.h has the format).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "args.h"
#include "keyfile.h"
#include "provision.h"

enum { OPT_HELP = 1, OPT_GROUP, OPT_OUTPUT, OPT_KEY, OPT_SERVER, OPT_FORCE, OPT_JSON };

static const struct args_option add_options[] = {
    {"group", 'g', 1, OPT_GROUP},
    {"output", 'o', 1, OPT_OUTPUT},
    {"key", 'k', 1, OPT_KEY},
    {"server", 's', 1, OPT_SERVER},
    {"force", 0, 0, OPT_FORCE},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static const struct args_option provision_options[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {"key", 'k', 1, OPT_KEY},
    {"server", 's', 1, OPT_SERVER},
    {"force", 0, 0, OPT_FORCE},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static const struct args_option list_options[] = {
    {"json", 0, 0, OPT_JSON},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static const struct args_option remove_options[] = {
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* What add and provision share: where the file goes and what overrides the
 * store's settings in it. */
struct provision_opts {
    const char *output; /* NULL: DATADIR/provision/<id>.conf */
    const char *key;    /* NULL: the store's public key */
    const char *server; /* NULL: the store's server address */
    int force;
};

/* Fills p for device id from the store, then the overrides; checks that
 * nothing is missing. Returns 0 or TOOL_EXIT_FAIL (printed). */
static int provision_prepare(struct store *st, const char *id, const struct provision_opts *o,
                             struct provision *p)
{
    const char *dir = store_datadir(st);
    struct tool_key key;

    if (store_provision_fill(st, id, p) != 0)
        return admin_fail(st);
    if (o->server != NULL)
        snprintf(p->server, sizeof(p->server), "%s", o->server);
    if (o->key != NULL) {
        if (key_load(&key, o->key, KEY_ANY) != 0)
            return TOOL_EXIT_FAIL;
        memcpy(p->public_key, key.pub, sizeof(p->public_key));
        p->has_public_key = 1;
        key_wipe(&key);
    }
    if (p->server[0] == '\0') {
        tool_error("%s: no server address for the provisioning file: set it with "
                   "fota -d %s init --server HOST:PORT, or give --server", dir, dir);
        return TOOL_EXIT_FAIL;
    }
    if (!p->has_public_key) {
        tool_error("%s: no public key for the provisioning file: set it with "
                   "fota -d %s init -k PUB.pem, or give -k", dir, dir);
        return TOOL_EXIT_FAIL;
    }
    return 0;
}

/* Writes p where o says. Returns 0 or TOOL_EXIT_FAIL (printed). */
static int provision_output(struct store *st, const struct provision *p,
                            const struct provision_opts *o, char *path, size_t path_size)
{
    char msg[STORE_MSG_SIZE], dir[4096];

    if (o->output != NULL) {
        snprintf(path, path_size, "%s", o->output);
    } else {
        snprintf(dir, sizeof(dir), "%s/%s", store_datadir(st), STORE_PROVISION_DIR);
        if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
            store_provision_path(st, p->id, path, path_size) != 0) {
            tool_error("%s: cannot create the provisioning directory: %s", dir,
                       strerror(errno));
            return TOOL_EXIT_FAIL;
        }
    }
    /* An explicit -o keeps an existing file unless --force; the default
     * path belongs to the store and is replaced. */
    if (provision_write(path, p, o->output != NULL && !o->force, msg, sizeof(msg)) != 0) {
        if (o->output != NULL && !o->force && strstr(msg, "already exists") != NULL)
            tool_error("%s (use --force to replace it)", msg);
        else
            tool_error("%s", msg);
        return TOOL_EXIT_FAIL;
    }
    return 0;
}

/* ---------------------------------------------------------------- add --- */

static int device_add(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                      char **argv)
{
    struct provision_opts o = {NULL, NULL, NULL, 0};
    const char *id = NULL, *group = NULL, *value;
    char path[4096];
    struct provision p;
    struct store *st;
    struct args a;
    int opt, rc;

    args_init(&a, argc, argv, 2);
    while ((opt = args_next(&a, add_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_GROUP: group = value; break;
        case OPT_OUTPUT: o.output = value; break;
        case OPT_KEY: o.key = value; break;
        case OPT_SERVER: o.server = value; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (id != NULL)
                return tool_usage_error(cmd, "one device id at a time, got '%s' too", value);
            id = value;
            break;
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (id == NULL)
        return tool_usage_error(cmd, "the device id is missing: device add ID");
    if (store_id_check(id) != 0)
        return tool_usage_error(cmd, "bad device id '%s': 1 to %d printable characters, "
                                "without spaces, '/' or '\\'", id, STORE_ID_MAX);
    if (group != NULL && store_id_check(group) != 0)
        return tool_usage_error(cmd, "bad group name '%s': 1 to %d printable characters, "
                                "without spaces, '/' or '\\'", group, STORE_ID_MAX);
    if (o.server != NULL && store_server_check(o.server) != 0)
        return tool_usage_error(cmd, "bad server address '%s': expected HOST:PORT", o.server);
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    /* Added in a transaction that the provisioning file must complete: a
     * device whose file could not be written is not kept. */
    if (store_begin(st) != 0) {
        rc = admin_fail(st);
        store_close(st);
        return rc;
    }
    if (store_device_add(st, id, group, NULL, admin_now(), NULL) != 0)
        rc = admin_fail(st);
    if (rc == 0)
        rc = provision_prepare(st, id, &o, &p);
    if (rc == 0) {
        rc = provision_output(st, &p, &o, path, sizeof(path));
        provision_wipe(&p);
    }
    if (rc == 0 && store_commit(st) != 0) {
        rc = admin_fail(st);
        if (o.output == NULL)
            (void)unlink(path);
    }
    if (rc != 0) {
        store_rollback(st);
    } else {
        printf("device %s added%s%s; provisioning file %s\n", id,
               group ? " to group " : "", group ? group : "", path);
    }
    store_close(st);
    return rc;
}

/* ---------------------------------------------------------- provision --- */

static int device_provision(const struct tool_command *cmd, const struct tool_globals *g,
                            int argc, char **argv)
{
    struct provision_opts o = {NULL, NULL, NULL, 0};
    const char *id = NULL, *value;
    char path[4096];
    struct provision p;
    struct store *st;
    struct args a;
    int opt, rc;

    args_init(&a, argc, argv, 2);
    while ((opt = args_next(&a, provision_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_OUTPUT: o.output = value; break;
        case OPT_KEY: o.key = value; break;
        case OPT_SERVER: o.server = value; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (id != NULL)
                return tool_usage_error(cmd, "one device id at a time, got '%s' too", value);
            id = value;
            break;
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (id == NULL)
        return tool_usage_error(cmd, "the device id is missing: device provision ID");
    if (o.server != NULL && store_server_check(o.server) != 0)
        return tool_usage_error(cmd, "bad server address '%s': expected HOST:PORT", o.server);
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    rc = provision_prepare(st, id, &o, &p);
    if (rc == 0) {
        rc = provision_output(st, &p, &o, path, sizeof(path));
        provision_wipe(&p);
    }
    if (rc == 0)
        printf("device %s: provisioning file %s\n", id, path);
    store_close(st);
    return rc;
}

/* ------------------------------------------------------------- remove --- */

static int device_remove(const struct tool_command *cmd, const struct tool_globals *g,
                         int argc, char **argv)
{
    const char *id = NULL, *value;
    char path[4096];
    struct store *st;
    struct args a;
    int opt, rc;

    args_init(&a, argc, argv, 2);
    while ((opt = args_next(&a, remove_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (id != NULL)
                return tool_usage_error(cmd, "one device id at a time, got '%s' too", value);
            id = value;
            break;
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (id == NULL)
        return tool_usage_error(cmd, "the device id is missing: device remove ID");
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    if (store_device_remove(st, id) != 0 ||
        store_event_log(st, id, "removed", "", admin_now()) != 0) {
        rc = admin_fail(st);
    } else {
        /* Its default provisioning file holds a secret no longer valid. */
        if (store_provision_path(st, id, path, sizeof(path)) == 0)
            (void)unlink(path);
        printf("device %s removed\n", id);
    }
    store_close(st);
    return rc;
}

/* --------------------------------------------------------------- list --- */

struct list_ctx {
    int json;
    unsigned count;
};

static int list_one(void *ctx, const struct store_device *d)
{
    struct list_ctx *c = ctx;
    char assigned[STORE_VERSION_TEXT_SIZE] = "", running[STORE_VERSION_TEXT_SIZE] = "";
    char seen[32], shown[STORE_VERSION_TEXT_SIZE + 8];

    if (d->has_assigned)
        store_version_format(assigned, sizeof(assigned), &d->assigned_version);
    if (d->has_running)
        store_version_format(running, sizeof(running), &d->running_version);
    admin_time(seen, sizeof(seen), d->last_seen);
    if (c->json) {
        fputs(c->count ? ",\n  {" : "\n  {", stdout);
        fputs("\"id\": ", stdout);
        tool_json_string(stdout, d->id);
        fputs(", \"group\": ", stdout);
        admin_json_opt(stdout, d->group);
        fputs(", \"assigned\": ", stdout);
        admin_json_opt(stdout, assigned);
        printf(", \"assigned_by_group\": %s", d->assigned_by_group ? "true" : "false");
        fputs(", \"running\": ", stdout);
        admin_json_opt(stdout, running);
        fputs(", \"last_seen\": ", stdout);
        admin_json_opt(stdout, d->last_seen ? seen : NULL);
        printf(", \"connections\": %lu}", (unsigned long)d->connections);
    } else {
        if (c->count == 0)
            printf("%-32s %-16s %-16s %-16s %s\n", "ID", "GROUP", "ASSIGNED", "RUNNING",
                   "LAST SEEN");
        snprintf(shown, sizeof(shown), "%s%s", assigned[0] ? assigned : "-",
                 d->assigned_by_group ? " (g)" : "");
        printf("%-32s %-16s %-16s %-16s %s\n", d->id, d->group[0] ? d->group : "-", shown,
               running[0] ? running : "-", seen);
    }
    c->count++;
    return 0;
}

static int device_list(const struct tool_command *cmd, const struct tool_globals *g,
                       int argc, char **argv)
{
    struct list_ctx c = {0, 0};
    const char *value;
    struct store *st;
    struct args a;
    int opt, rc;

    args_init(&a, argc, argv, 2);
    while ((opt = args_next(&a, list_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_JSON: c.json = 1; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL: return tool_usage_error(cmd, "unexpected argument '%s'", value);
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    if (c.json)
        fputs("[", stdout);
    if (store_devices_each(st, list_one, &c) != 0) {
        rc = admin_fail(st);
    } else if (c.json) {
        fputs(c.count ? "\n]\n" : "]\n", stdout);
    } else if (c.count == 0) {
        printf("no devices (add one with fota -d %s device add ID)\n", g->datadir);
    }
    store_close(st);
    return rc;
}

/* ---------------------------------------------------------- dispatch --- */

static int device_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                      char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (sub == NULL)
        return tool_usage_error(cmd, "no device command given: add, list, provision or remove");
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        tool_usage(cmd, stdout);
        return TOOL_EXIT_OK;
    }
    if (strcmp(sub, "add") == 0)
        return device_add(cmd, g, argc, argv);
    if (strcmp(sub, "list") == 0)
        return device_list(cmd, g, argc, argv);
    if (strcmp(sub, "provision") == 0)
        return device_provision(cmd, g, argc, argv);
    if (strcmp(sub, "remove") == 0)
        return device_remove(cmd, g, argc, argv);
    return tool_usage_error(cmd, "unknown device command '%s': add, list, provision or remove",
                            sub);
}

const struct tool_command tool_cmd_device = {
    "device",
    "add, list and remove the server's devices",
    "usage: fota -d DATADIR device add ID [-g GROUP] [-o FILE] [-k KEY.pem]\n"
    "                                     [--server HOST:PORT] [--force]\n"
    "       fota -d DATADIR device list [--json]\n"
    "       fota -d DATADIR device provision ID [-o FILE] [-k KEY.pem]\n"
    "                                           [--server HOST:PORT] [--force]\n"
    "       fota -d DATADIR device remove ID\n"
    "\n"
    "add creates device ID (1 to 32 printable characters, no spaces, '/' or\n"
    "'\\') with a new random 32-byte secret, and writes its provisioning file:\n"
    "the id, the secret, the server address and the public key as 'key = value'\n"
    "lines, readable only by its owner. By default the file is\n"
    "DATADIR/provision/ID.conf. The server address and the public key come\n"
    "from fota init unless given here (for this file only). If the file cannot\n"
    "be written, the device is not added.\n"
    "\n"
    "list shows each device: group, assigned image ('(g)': by its group),\n"
    "running image and last contact. provision writes a device's provisioning\n"
    "file again. remove deletes a device and its default provisioning file.\n"
    "\n"
    "  -g, --group GROUP        put the device in GROUP (see fota assign --group)\n"
    "  -o, --output FILE        write the provisioning file to FILE instead\n"
    "  -k, --key KEY.pem        the public key to write (public or private key file)\n"
    "  -s, --server HOST:PORT   the server address to write\n"
    "      --force              replace an existing FILE given with -o\n"
    "      --json               list as a JSON array\n"
    "  -h, --help               this text\n",
    device_run,
};
