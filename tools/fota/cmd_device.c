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

enum { OPT_HELP = 1, OPT_GROUP, OPT_OUTPUT, OPT_KEY, OPT_SERVER, OPT_FORCE };

/* --group first: provision takes the same options but that one, and its
 * table is this one past the first entry. */
static const struct args_option add_options[] = {
    {"group", 'g', 1, OPT_GROUP},
    {"output", 'o', 1, OPT_OUTPUT},
    {"key", 'k', 1, OPT_KEY},
    {"server", 's', 1, OPT_SERVER},
    {"force", 0, 0, OPT_FORCE},
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

/* Prepares device id's provisioning file and writes it where o says (path
 * gets where); the secret is wiped from memory either way. Returns 0 or
 * TOOL_EXIT_FAIL (printed). */
static int provision_make(struct store *st, const char *id, const struct provision_opts *o,
                          char *path, size_t path_size)
{
    struct provision p;
    int rc = provision_prepare(st, id, o, &p);

    if (rc == 0)
        rc = provision_output(st, &p, o, path, path_size);
    provision_wipe(&p);
    return rc;
}

/* A device subcommand's command line: the device id and the options. */
struct device_args {
    const char *id;
    const char *group;
    struct provision_opts o;
};

/* A subcommand on one device: the options it accepts, whether it adds the
 * device (whose id and group name must then be fit for the store), and
 * what it does with the store open. */
struct device_sub {
    const struct args_option *options;
    int adds;
    /* Returns TOOL_EXIT_OK or TOOL_EXIT_FAIL (printed). */
    int (*body)(struct store *st, const struct device_args *da);
};

/* Nothing so far ends the command. */
#define DEVICE_GO_ON (-1)

/* Scans "device SUB ..." with the options of opts, one device id required.
 * Returns DEVICE_GO_ON, or the exit code of a command that ends here (help
 * printed, usage error). */
static int device_args_scan(const struct tool_command *cmd, int argc, char **argv,
                            const struct args_option *opts, struct device_args *da)
{
    const char *value;
    struct args a;
    int opt;

    memset(da, 0, sizeof(*da));
    args_init(&a, argc, argv, 2);
    while ((opt = args_next(&a, opts, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_GROUP: da->group = value; break;
        case OPT_OUTPUT: da->o.output = value; break;
        case OPT_KEY: da->o.key = value; break;
        case OPT_SERVER: da->o.server = value; break;
        case OPT_FORCE: da->o.force = 1; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL:
            if (da->id != NULL)
                return tool_usage_error(cmd, "one device id at a time, got '%s' too", value);
            da->id = value;
            break;
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (da->id == NULL)
        return tool_usage_error(cmd, "the device id is missing: device %s ID", argv[1]);
    return DEVICE_GO_ON;
}

/* The names a new device gets, checked before anything is stored.
 * Returns DEVICE_GO_ON or TOOL_EXIT_USAGE (printed). */
static int device_names_check(const struct tool_command *cmd, const struct device_args *da)
{
    if (store_id_check(da->id) != 0)
        return tool_usage_error(cmd, "bad device id '%s': 1 to %d printable characters, "
                                "without spaces, '/' or '\\'", da->id, STORE_ID_MAX);
    if (da->group != NULL && store_id_check(da->group) != 0)
        return tool_usage_error(cmd, "bad group name '%s': 1 to %d printable characters, "
                                "without spaces, '/' or '\\'", da->group, STORE_ID_MAX);
    return DEVICE_GO_ON;
}

/* Runs add, provision or remove (ctx: its struct device_sub): the command
 * line, the names of a device to add, the --server given, then the body
 * with the store open. Returns a TOOL_EXIT_* code. */
static int device_sub_run(const struct tool_command *cmd, const struct tool_globals *g,
                          int argc, char **argv, const void *ctx)
{
    const struct device_sub *sub = ctx;
    struct device_args da;
    struct store *st;
    int rc = device_args_scan(cmd, argc, argv, sub->options, &da);

    if (rc == DEVICE_GO_ON && sub->adds)
        rc = device_names_check(cmd, &da);
    if (rc != DEVICE_GO_ON)
        return rc;
    if (da.o.server != NULL && store_server_check(da.o.server) != 0)
        return tool_usage_error(cmd, "bad server address '%s': expected HOST:PORT", da.o.server);
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    rc = sub->body(st, &da);
    store_close(st);
    return rc;
}

/* ---------------------------------------------------------------- add --- */

/* Adds the device in a transaction that its provisioning file must
 * complete: a device whose file could not be written is not kept. */
static int device_add(struct store *st, const struct device_args *da)
{
    char path[4096];
    int rc;

    if (store_begin(st) != 0)
        return admin_fail(st);
    if (store_device_add(st, da->id, da->group, NULL, admin_now(), NULL) != 0)
        rc = admin_fail(st);
    else
        rc = provision_make(st, da->id, &da->o, path, sizeof(path));
    if (rc == 0 && store_commit(st) != 0) {
        rc = admin_fail(st);
        if (da->o.output == NULL)
            (void)unlink(path);
    }
    if (rc != 0) {
        store_rollback(st);
        return rc;
    }
    printf("device %s added%s%s; provisioning file %s\n", da->id,
           da->group ? " to group " : "", da->group ? da->group : "", path);
    return 0;
}

static const struct device_sub add_sub = {add_options, 1, device_add};

/* ---------------------------------------------------------- provision --- */

static int device_provision(struct store *st, const struct device_args *da)
{
    char path[4096];
    int rc = provision_make(st, da->id, &da->o, path, sizeof(path));

    if (rc == 0)
        printf("device %s: provisioning file %s\n", da->id, path);
    return rc;
}

static const struct device_sub provision_sub = {add_options + 1, 0, device_provision};

/* ------------------------------------------------------------- remove --- */

static int device_remove(struct store *st, const struct device_args *da)
{
    char path[4096];

    if (store_device_remove(st, da->id) != 0 ||
        store_event_log(st, da->id, "removed", "", admin_now()) != 0)
        return admin_fail(st);
    /* Its default provisioning file holds a secret no longer valid. */
    if (store_provision_path(st, da->id, path, sizeof(path)) == 0)
        (void)unlink(path);
    printf("device %s removed\n", da->id);
    return 0;
}

static const struct device_sub remove_sub = {remove_options, 0, device_remove};

/* --------------------------------------------------------------- list --- */

static int list_one(void *ctx, const struct store_device *d)
{
    struct admin_list *l = ctx;
    int first = admin_list_row(l);
    char assigned[STORE_VERSION_TEXT_SIZE] = "", running[STORE_VERSION_TEXT_SIZE] = "";
    char seen[32], shown[STORE_VERSION_TEXT_SIZE + 8];

    if (d->has_assigned)
        store_version_format(assigned, sizeof(assigned), &d->assigned_version);
    if (d->has_running)
        store_version_format(running, sizeof(running), &d->running_version);
    admin_time(seen, sizeof(seen), d->last_seen);
    if (l->json) {
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
        return 0;
    }
    if (first)
        printf("%-32s %-16s %-16s %-16s %s\n", "ID", "GROUP", "ASSIGNED", "RUNNING", "LAST SEEN");
    snprintf(shown, sizeof(shown), "%s%s", assigned[0] ? assigned : "-",
             d->assigned_by_group ? " (g)" : "");
    printf("%-32s %-16s %-16s %-16s %s\n", d->id, d->group[0] ? d->group : "-", shown,
           running[0] ? running : "-", seen);
    return 0;
}

static int list_each(struct store *st, struct admin_list *l)
{
    return store_devices_each(st, list_one, l);
}

static const struct admin_listing device_listing = {list_each, "no devices", "device add ID"};

/* ---------------------------------------------------------- dispatch --- */

static const struct admin_sub device_subs[] = {
    {"add", device_sub_run, &add_sub},
    {"list", admin_list_sub, &device_listing},
    {"provision", device_sub_run, &provision_sub},
    {"remove", device_sub_run, &remove_sub},
    {NULL, NULL, NULL},
};

static int device_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                      char **argv)
{
    return admin_dispatch(cmd, g, argc, argv, device_subs, "add, list, provision or remove");
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
