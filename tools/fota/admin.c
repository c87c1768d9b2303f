/*
 * Helpers of the server administration commands (see admin.h).
 */
#include <string.h>
#include <time.h>

#include "admin.h"
#include "args.h"

int admin_open(const struct tool_command *cmd, const struct tool_globals *g, int create,
               struct store **st)
{
    struct store_config cfg = {0, 0};
    char msg[STORE_MSG_SIZE];

    *st = NULL;
    if (g->datadir == NULL)
        return tool_usage_error(cmd, "the server's data directory is missing: "
                                "fota -d DATADIR %s ...", cmd->name);
    cfg.create = create;
    if (store_open(st, g->datadir, &cfg, msg, sizeof(msg)) != 0) {
        tool_error("%s", msg);
        return TOOL_EXIT_FAIL;
    }
    return TOOL_EXIT_OK;
}

int admin_fail(const struct store *st)
{
    tool_error("%s", store_errmsg(st));
    return TOOL_EXIT_FAIL;
}

int admin_close(struct store *st, int err)
{
    int rc = err != 0 ? admin_fail(st) : TOOL_EXIT_OK;

    store_close(st);
    return rc;
}

void admin_time(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, size, "never");
        return;
    }
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t admin_now(void)
{
    return (int64_t)time(NULL);
}

void admin_json_opt(FILE *out, const char *s)
{
    if (s == NULL || s[0] == '\0')
        fputs("null", out);
    else
        tool_json_string(out, s);
}

/* ---- listings ---- */

enum { LIST_HELP = 1, LIST_JSON };

/* list_args() found nothing that ends the command. */
#define LIST_GO_ON (-1)

static const struct args_option list_options[] = {
    {"json", 0, 0, LIST_JSON},
    {"help", 'h', 0, LIST_HELP},
    {NULL, 0, 0, 0},
};

/* Returns LIST_GO_ON with l->json set, or the exit code of a command that
 * ends here (help printed, usage error). */
static int list_args(const struct tool_command *cmd, int argc, char **argv, int first,
                     struct admin_list *l)
{
    const char *value;
    struct args a;
    int opt;

    args_init(&a, argc, argv, first);
    while ((opt = args_next(&a, list_options, &value)) != ARGS_END) {
        switch (opt) {
        case LIST_JSON: l->json = 1; break;
        case LIST_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL: return tool_usage_error(cmd, "unexpected argument '%s'", value);
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    return LIST_GO_ON;
}

int admin_list_row(struct admin_list *l)
{
    if (l->json)
        fputs(l->count ? ",\n  {" : "\n  {", stdout);
    return l->count++ == 0;
}

int admin_list_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                   char **argv, int first, const struct admin_listing *what)
{
    struct admin_list l = {0, 0};
    struct store *st;
    int rc = list_args(cmd, argc, argv, first, &l);

    if (rc != LIST_GO_ON)
        return rc;
    rc = admin_open(cmd, g, 0, &st);
    if (rc != TOOL_EXIT_OK)
        return rc;
    if (l.json)
        fputs("[", stdout);
    if (what->each(st, &l) != 0)
        return admin_close(st, -1);
    if (l.json)
        fputs(l.count ? "\n]\n" : "]\n", stdout);
    else if (l.count == 0 && what->add != NULL)
        printf("%s (add one with fota -d %s %s)\n", what->none, g->datadir, what->add);
    else if (l.count == 0)
        printf("%s\n", what->none);
    return admin_close(st, 0);
}

/* ---- subcommands ---- */

int admin_list_sub(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                   char **argv, const void *ctx)
{
    return admin_list_run(cmd, g, argc, argv, 2, ctx);
}

int admin_dispatch(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                   char **argv, const struct admin_sub *subs, const char *names)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (sub == NULL)
        return tool_usage_error(cmd, "no %s command given: %s", cmd->name, names);
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        tool_usage(cmd, stdout);
        return TOOL_EXIT_OK;
    }
    for (; subs->name != NULL; subs++)
        if (strcmp(sub, subs->name) == 0)
            return subs->run(cmd, g, argc, argv, subs->ctx);
    return tool_usage_error(cmd, "unknown %s command '%s': %s", cmd->name, sub, names);
}
