/*
 * Helpers of the server administration commands (see admin.h).
 */
#include <string.h>
#include <time.h>

#include "admin.h"

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
