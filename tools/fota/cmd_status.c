/*
 * fota status: what every device runs, what it must run, how far its
 * download is, how its last update ended and when it was last seen.
 */
#include <string.h>

#include "admin.h"

/* One device's fields as text ("" for none). */
struct status_row {
    char running[STORE_VERSION_TEXT_SIZE];
    char assigned[STORE_VERSION_TEXT_SIZE];
    int percent; /* -1: nothing assigned */
    char result[160];
    char seen[32];
};

static void status_fill(struct status_row *r, const struct store_device *d)
{
    memset(r, 0, sizeof(*r));
    if (d->has_running)
        store_version_format(r->running, sizeof(r->running), &d->running_version);
    if (d->has_assigned)
        store_version_format(r->assigned, sizeof(r->assigned), &d->assigned_version);
    r->percent = store_device_percent(d);
    if (d->has_result)
        store_result_describe(r->result, sizeof(r->result), &d->result);
    if (d->last_seen != 0)
        admin_time(r->seen, sizeof(r->seen), d->last_seen);
}

static void status_json(const struct store_device *d, const struct status_row *r)
{
    char when[32];

    fputs("\"id\": ", stdout);
    tool_json_string(stdout, d->id);
    fputs(", \"group\": ", stdout);
    admin_json_opt(stdout, d->group);
    fputs(", \"running\": ", stdout);
    admin_json_opt(stdout, r->running);
    fputs(", \"assigned\": ", stdout);
    admin_json_opt(stdout, r->assigned);
    printf(", \"assigned_by_group\": %s", d->assigned_by_group ? "true" : "false");
    if (r->percent >= 0)
        printf(", \"progress\": %d", r->percent);
    else
        fputs(", \"progress\": null", stdout);
    fputs(", \"last_result\": ", stdout);
    admin_json_opt(stdout, r->result);
    fputs(", \"last_result_time\": ", stdout);
    if (d->has_result) {
        admin_time(when, sizeof(when), d->result_time);
        tool_json_string(stdout, when);
    } else {
        fputs("null", stdout);
    }
    fputs(", \"last_seen\": ", stdout);
    admin_json_opt(stdout, r->seen);
    printf(", \"connections\": %lu}", (unsigned long)d->connections);
}

static int status_one(void *ctx, const struct store_device *d)
{
    struct admin_list *l = ctx;
    int first = admin_list_row(l);
    struct status_row r;
    char pct[16];

    status_fill(&r, d);
    if (l->json) {
        status_json(d, &r);
        return 0;
    }
    if (first)
        printf("%-20s %-12s %-12s %-12s %-8s %-36s %s\n", "ID", "GROUP", "RUNNING", "ASSIGNED",
               "PROGRESS", "LAST RESULT", "LAST SEEN");
    if (r.percent >= 0)
        snprintf(pct, sizeof(pct), "%d%%", r.percent);
    else
        snprintf(pct, sizeof(pct), "-");
    printf("%-20s %-12s %-12s %-12s %-8s %-36s %s\n", d->id, d->group[0] ? d->group : "-",
           r.running[0] ? r.running : "-", r.assigned[0] ? r.assigned : "-", pct,
           r.result[0] ? r.result : "-", r.seen[0] ? r.seen : "never");
    return 0;
}

/* One read transaction: a consistent picture while fotad writes. */
static int status_each(struct store *st, struct admin_list *l)
{
    return store_devices_each(st, status_one, l);
}

static const struct admin_listing status_listing = {status_each, "no devices", NULL};

static int status_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                      char **argv)
{
    return admin_list_run(cmd, g, argc, argv, 1, &status_listing);
}

const struct tool_command tool_cmd_status = {
    "status",
    "show each device's versions, progress and last result",
    "usage: fota -d DATADIR status [--json]\n"
    "\n"
    "One line per device: its id and group, the version it runs (as it said at\n"
    "its last connection), the version assigned to it, the download's progress\n"
    "in percent of the assigned image (100% once it runs it), its last result\n"
    "(e.g. 'confirmed 2.0.0', 'reverted 2.0.0: not confirmed', 'refused 2.0.0:\n"
    "bad signature') and when it was last seen (ISO 8601, UTC). Safe to run\n"
    "while fotad runs.\n"
    "\n"
    "      --json   a JSON array of objects with the fields id, group, running,\n"
    "               assigned, assigned_by_group, progress, last_result,\n"
    "               last_result_time, last_seen, connections (null when none)\n"
    "  -h, --help   this text\n",
    status_run,
};
