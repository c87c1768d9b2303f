/*
 * The store's devices: registry, HELLO / progress / REPORT records,
 * assignments to devices and groups, the event log, and the phrases that
 * describe results (see store.h).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "fota/boot.h"
#include "fota/error.h"
#include "store_int.h"

/* ==== reading devices =======================================================
 *
 * One SELECT for a device or all of them: the device's own row, its
 * group's assignment (a device's own image wins over its group's), and the
 * size and version of the image that results. The column numbers below
 * follow DEVICE_SELECT.
 */
#define DEVICE_SELECT                                                              \
    "SELECT d.id, d.grp, d.secret, d.created,"                                     \
    "  COALESCE(d.image, g.image), d.image IS NULL AND g.image IS NOT NULL,"       \
    "  i.major, i.minor, i.patch, i.build, i.size,"                                \
    "  d.running_major, d.running_minor, d.running_patch, d.running_build,"        \
    "  d.running_digest, d.last_seen, d.connections,"                              \
    "  d.progress_digest, d.progress_offset, d.progress_total, d.progress_time,"   \
    "  d.result_seq, d.result_event, d.result_reason, d.result_error,"             \
    "  d.result_major, d.result_minor, d.result_patch, d.result_build,"            \
    "  d.result_digest, d.result_time "                                            \
    "FROM devices d LEFT JOIN groups g ON g.name = d.grp "                         \
    "LEFT JOIN images i ON i.digest = COALESCE(d.image, g.image) "

enum {
    COL_ID, COL_GROUP, COL_SECRET, COL_CREATED,
    COL_ASSIGNED, COL_BY_GROUP, COL_ASSIGNED_VERSION, COL_ASSIGNED_SIZE = 10,
    COL_RUNNING_VERSION, COL_RUNNING_DIGEST = 15, COL_LAST_SEEN, COL_CONNECTIONS,
    COL_PROGRESS_DIGEST, COL_PROGRESS_OFFSET, COL_PROGRESS_TOTAL, COL_PROGRESS_TIME,
    COL_RESULT_SEQ, COL_RESULT_EVENT, COL_RESULT_REASON, COL_RESULT_ERROR,
    COL_RESULT_VERSION, COL_RESULT_DIGEST = 30, COL_RESULT_TIME,
};

static void text_col(char *out, size_t size, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);

    snprintf(out, size, "%s", t ? (const char *)t : "");
}

static void device_from_row(struct store_device *d, sqlite3_stmt *s)
{
    const void *secret = sqlite3_column_blob(s, COL_SECRET);

    memset(d, 0, sizeof(*d));
    text_col(d->id, sizeof(d->id), s, COL_ID);
    text_col(d->group, sizeof(d->group), s, COL_GROUP);
    if (secret != NULL && sqlite3_column_bytes(s, COL_SECRET) == STORE_SECRET_SIZE)
        memcpy(d->secret, secret, STORE_SECRET_SIZE);
    d->created = sqlite3_column_int64(s, COL_CREATED);

    d->has_assigned = store_col_digest(s, COL_ASSIGNED, d->assigned_digest);
    if (d->has_assigned) {
        d->assigned_by_group = sqlite3_column_int(s, COL_BY_GROUP);
        store_col_version(s, COL_ASSIGNED_VERSION, &d->assigned_version);
        d->assigned_size = (uint32_t)sqlite3_column_int64(s, COL_ASSIGNED_SIZE);
    }

    d->has_running = sqlite3_column_type(s, COL_RUNNING_VERSION) != SQLITE_NULL;
    if (d->has_running) {
        store_col_version(s, COL_RUNNING_VERSION, &d->running_version);
        store_col_digest(s, COL_RUNNING_DIGEST, d->running_digest);
    }
    d->last_seen = sqlite3_column_int64(s, COL_LAST_SEEN);
    d->connections = (uint32_t)sqlite3_column_int64(s, COL_CONNECTIONS);

    store_col_digest(s, COL_PROGRESS_DIGEST, d->progress_digest);
    d->progress_offset = (uint32_t)sqlite3_column_int64(s, COL_PROGRESS_OFFSET);
    d->progress_total = (uint32_t)sqlite3_column_int64(s, COL_PROGRESS_TOTAL);
    d->progress_time = sqlite3_column_int64(s, COL_PROGRESS_TIME);

    d->has_result = sqlite3_column_type(s, COL_RESULT_EVENT) != SQLITE_NULL;
    if (d->has_result) {
        d->result.sequence = (uint32_t)sqlite3_column_int64(s, COL_RESULT_SEQ);
        d->result.event = (uint8_t)sqlite3_column_int(s, COL_RESULT_EVENT);
        d->result.reason = (uint8_t)sqlite3_column_int(s, COL_RESULT_REASON);
        d->result.error = (int16_t)sqlite3_column_int(s, COL_RESULT_ERROR);
        store_col_version(s, COL_RESULT_VERSION, &d->result.version);
        store_col_digest(s, COL_RESULT_DIGEST, d->result.digest);
        d->result_time = sqlite3_column_int64(s, COL_RESULT_TIME);
    }
}

static int bad_id(struct store *st, const char *what, const char *id)
{
    return store_fail(st, STORE_E_INVAL, "bad %s '%s': 1 to %d printable characters, "
                      "without spaces, '/' or '\\'", what, id ? id : "(null)", STORE_ID_MAX);
}

int store_device_get(struct store *st, const char *id, struct store_device *d)
{
    sqlite3_stmt *s;
    int rc;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    s = store_stmt(st, STMT_DEVICE_GET, DEVICE_SELECT "WHERE d.id = ?1");
    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        device_from_row(d, s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return store_fail(st, STORE_E_NOT_FOUND, "no device '%s'", id);
    return rc == SQLITE_ROW ? 0 : store_db_fail(st, rc, "reading a device");
}

int store_devices_each(struct store *st, store_device_fn fn, void *ctx)
{
    struct store_device d;
    sqlite3_stmt *s = store_stmt(st, STMT_DEVICE_LIST, DEVICE_SELECT "ORDER BY d.id");
    int rc, r = 0;

    if (s == NULL)
        return STORE_E_IO;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        device_from_row(&d, s);
        r = fn(ctx, &d);
        if (r != 0)
            break;
    }
    sodium_memzero(&d, sizeof(d));
    sqlite3_reset(s);
    if (r != 0)
        return r;
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, rc, "listing devices");
}

int store_device_percent(const struct store_device *d)
{
    uint64_t pct;

    if (!d->has_assigned)
        return -1;
    if (d->has_running && memcmp(d->running_digest, d->assigned_digest, STORE_DIGEST_SIZE) == 0)
        return 100;
    if (d->progress_total == 0 ||
        memcmp(d->progress_digest, d->assigned_digest, STORE_DIGEST_SIZE) != 0)
        return 0;
    pct = (uint64_t)d->progress_offset * 100u / d->progress_total;
    return pct > 100 ? 100 : (int)pct;
}

/* ==== the event log ============================================================ */

int store_event_log(struct store *st, const char *device_id, const char *kind,
                    const char *detail, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, STMT_EVENT_ADD,
                                 "INSERT INTO events (time, device, kind, detail) "
                                 "VALUES (?1, ?2, ?3, ?4)");

    if (s == NULL)
        return STORE_E_IO;
    if (kind == NULL || kind[0] == '\0')
        return store_fail(st, STORE_E_INVAL, "an event needs a kind");
    sqlite3_bind_int64(s, 1, now);
    if (device_id != NULL && store_id_check(device_id) == 0)
        sqlite3_bind_text(s, 2, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, detail ? detail : "", -1, SQLITE_STATIC);
    return store_stmt_run(st, s, "writing the event log");
}

int store_events_each(struct store *st, const char *device, unsigned limit,
                      store_event_fn fn, void *ctx)
{
    struct store_event_row e;
    sqlite3_stmt *s;
    int rc, r = 0;

    if (device != NULL) {
        s = store_stmt(st, STMT_EVENT_LIST_DEVICE,
                       "SELECT * FROM (SELECT seq, time, device, kind, detail FROM events "
                       "WHERE device = ?2 ORDER BY seq DESC LIMIT ?1) ORDER BY seq");
        if (s != NULL)
            sqlite3_bind_text(s, 2, device, -1, SQLITE_STATIC);
    } else {
        s = store_stmt(st, STMT_EVENT_LIST,
                       "SELECT * FROM (SELECT seq, time, device, kind, detail FROM events "
                       "ORDER BY seq DESC LIMIT ?1) ORDER BY seq");
    }
    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_int64(s, 1, limit ? (int64_t)limit : -1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&e, 0, sizeof(e));
        e.seq = sqlite3_column_int64(s, 0);
        e.time = sqlite3_column_int64(s, 1);
        text_col(e.device, sizeof(e.device), s, 2);
        text_col(e.kind, sizeof(e.kind), s, 3);
        text_col(e.detail, sizeof(e.detail), s, 4);
        r = fn(ctx, &e);
        if (r != 0)
            break;
    }
    sqlite3_reset(s);
    if (r != 0)
        return r;
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, rc, "reading the event log");
}

/* ==== adding and removing ========================================================= */

int store_device_add(struct store *st, const char *id, const char *group,
                     const uint8_t secret[STORE_SECRET_SIZE], int64_t now,
                     struct store_device *out)
{
    uint8_t key[STORE_SECRET_SIZE];
    char detail[64];
    sqlite3_stmt *s;
    int rc, err;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    if (group != NULL && group[0] == '\0')
        group = NULL;
    if (group != NULL && store_id_check(group) != 0)
        return bad_id(st, "group name", group);
    s = store_stmt(st, STMT_DEVICE_ADD,
                   "INSERT INTO devices (id, grp, secret, created) VALUES (?1, ?2, ?3, ?4)");
    if (s == NULL)
        return STORE_E_IO;
    if (secret != NULL)
        memcpy(key, secret, sizeof(key));
    else
        randombytes_buf(key, sizeof(key));
    err = store_op_begin(st);
    if (err != 0) {
        sodium_memzero(key, sizeof(key));
        return err;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (group != NULL)
        sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, key, sizeof(key), SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    sodium_memzero(key, sizeof(key));
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        err = store_fail(st, STORE_E_EXISTS, "device '%s' already exists", id);
    else if (rc != SQLITE_DONE)
        err = store_db_fail(st, rc, "adding a device");
    if (err == 0) {
        snprintf(detail, sizeof(detail), "group %s", group ? group : "(none)");
        err = store_event_log(st, id, "added", detail, now);
    }
    err = store_op_end(st, err);
    if (err == 0 && out != NULL)
        err = store_device_get(st, id, out);
    return err;
}

int store_device_remove(struct store *st, const char *id)
{
    sqlite3_stmt *s;
    int err;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    s = store_stmt(st, STMT_DEVICE_REMOVE, "DELETE FROM devices WHERE id = ?1");
    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    err = store_stmt_run(st, s, "removing a device");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        err = store_fail(st, STORE_E_NOT_FOUND, "no device '%s'", id);
    return err;
}

/* ==== what fotad records ============================================================ */

/* After a single-row UPDATE by id: NOT_FOUND when no row changed. */
static int updated_one(struct store *st, int err, const char *id)
{
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return store_fail(st, STORE_E_NOT_FOUND, "no device '%s'", id);
    return err;
}

int store_device_hello(struct store *st, const char *id, const struct fota_version *running,
                       const uint8_t running_digest[STORE_DIGEST_SIZE], int64_t now)
{
    sqlite3_stmt *s;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    s = store_stmt(st, STMT_DEVICE_HELLO,
                   "UPDATE devices SET running_major = ?2, running_minor = ?3,"
                   " running_patch = ?4, running_build = ?5, running_digest = ?6,"
                   " last_seen = ?7, connections = connections + 1 WHERE id = ?1");
    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    store_bind_version(s, 2, running);
    sqlite3_bind_blob(s, 6, running_digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, now);
    return updated_one(st, store_stmt_run(st, s, "recording a hello"), id);
}

int store_device_progress(struct store *st, const char *id,
                          const uint8_t digest[STORE_DIGEST_SIZE], uint32_t offset,
                          uint32_t total, int64_t now)
{
    sqlite3_stmt *s;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    s = store_stmt(st, STMT_DEVICE_PROGRESS,
                   "UPDATE devices SET progress_digest = ?2, progress_offset = ?3,"
                   " progress_total = ?4, progress_time = ?5, last_seen = ?5 WHERE id = ?1");
    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, offset);
    sqlite3_bind_int64(s, 4, total);
    sqlite3_bind_int64(s, 5, now);
    return updated_one(st, store_stmt_run(st, s, "recording progress"), id);
}

/* 1 when the event log holds this very report of this device. */
static int report_seen(struct store *st, const char *id, const struct store_result *r)
{
    sqlite3_stmt *s = store_stmt(st, STMT_REPORT_SEEN,
                                 "SELECT 1 FROM events WHERE device = ?1 AND report_seq = ?2"
                                 " AND report_event = ?3 AND report_digest = ?4 LIMIT 1");
    int rc;

    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, r->sequence);
    sqlite3_bind_int(s, 3, r->event);
    sqlite3_bind_blob(s, 4, r->digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, rc, "looking up a report");
}

static int report_store(struct store *st, const char *id, const struct store_result *r,
                        int64_t now)
{
    char detail[160];
    sqlite3_stmt *s;
    int err;

    s = store_stmt(st, STMT_DEVICE_RESULT,
                   "UPDATE devices SET result_seq = ?2, result_event = ?3,"
                   " result_reason = ?4, result_error = ?5, result_major = ?6,"
                   " result_minor = ?7, result_patch = ?8, result_build = ?9,"
                   " result_digest = ?10, result_time = ?11, last_seen = ?11 WHERE id = ?1");
    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, r->sequence);
    sqlite3_bind_int(s, 3, r->event);
    sqlite3_bind_int(s, 4, r->reason);
    sqlite3_bind_int(s, 5, r->error);
    store_bind_version(s, 6, &r->version);
    sqlite3_bind_blob(s, 10, r->digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, now);
    err = updated_one(st, store_stmt_run(st, s, "recording a report"), id);
    if (err != 0)
        return err;
    /* The event log row, marked as this report for report_seen(). */
    s = store_stmt(st, STMT_REPORT_ADD,
                   "INSERT INTO events (time, device, kind, detail, report_seq,"
                   " report_event, report_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (s == NULL)
        return STORE_E_IO;
    store_result_describe(detail, sizeof(detail), r);
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, store_event_name(r->event), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, r->sequence);
    sqlite3_bind_int(s, 6, r->event);
    sqlite3_bind_blob(s, 7, r->digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    return store_stmt_run(st, s, "writing the event log");
}

int store_device_report(struct store *st, const char *id, const struct store_result *r,
                        int64_t now)
{
    int err;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    if (r->event < STORE_EVENT_DOWNLOADED || r->event > STORE_EVENT_FAILED)
        return store_fail(st, STORE_E_INVAL, "device '%s': unknown report event %u", id,
                          r->event);
    err = store_op_begin(st);
    if (err != 0)
        return err;
    err = report_seen(st, id, r);
    if (err == 0)
        err = report_store(st, id, r, now);
    return store_op_end(st, err);
}

/* ==== assignments ==================================================================== */

/* Checks that image digest is stored; its version text into version. */
static int image_known(struct store *st, const uint8_t digest[STORE_DIGEST_SIZE],
                       char *version, size_t size)
{
    struct store_image img;
    int err = store_image_get(st, digest, &img);

    if (err == 0)
        snprintf(version, size, "%s", img.version);
    return err;
}

int store_assign_device(struct store *st, const char *id,
                        const uint8_t digest[STORE_DIGEST_SIZE], int64_t now)
{
    char version[STORE_VERSION_TEXT_SIZE] = "(group's)", detail[160];
    char hex[2 * STORE_DIGEST_SIZE + 1] = "";
    sqlite3_stmt *s;
    int err;

    if (store_id_check(id) != 0)
        return bad_id(st, "device id", id);
    if (digest != NULL) {
        err = image_known(st, digest, version, sizeof(version));
        if (err != 0)
            return err;
        host_hex(hex, digest, STORE_DIGEST_SIZE);
    }
    s = store_stmt(st, STMT_DEVICE_ASSIGN,
                   "UPDATE devices SET image = ?2, assigned_at = ?3 WHERE id = ?1");
    if (s == NULL)
        return STORE_E_IO;
    err = store_op_begin(st);
    if (err != 0)
        return err;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (digest != NULL)
        sqlite3_bind_blob(s, 2, digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    err = updated_one(st, store_stmt_run(st, s, "assigning an image"), id);
    if (err == 0) {
        snprintf(detail, sizeof(detail), "%s %.16s", version, hex);
        err = store_event_log(st, id, digest ? "assigned" : "unassigned", detail, now);
    }
    return store_op_end(st, err);
}

int store_assign_group(struct store *st, const char *group,
                       const uint8_t digest[STORE_DIGEST_SIZE], int64_t now)
{
    char version[STORE_VERSION_TEXT_SIZE] = "", detail[160];
    char hex[2 * STORE_DIGEST_SIZE + 1] = "";
    sqlite3_stmt *s;
    int64_t members = 0;
    int err, rc;

    if (store_id_check(group) != 0)
        return bad_id(st, "group name", group);
    if (digest != NULL) {
        err = image_known(st, digest, version, sizeof(version));
        if (err != 0)
            return err;
        host_hex(hex, digest, STORE_DIGEST_SIZE);
    }
    err = store_op_begin(st);
    if (err != 0)
        return err;
    s = store_stmt(st, STMT_GROUP_ASSIGN,
                   "INSERT INTO groups (name, image, assigned_at) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (name) DO UPDATE SET image = excluded.image,"
                   " assigned_at = excluded.assigned_at");
    if (s == NULL) {
        err = STORE_E_IO;
    } else {
        sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
        if (digest != NULL)
            sqlite3_bind_blob(s, 2, digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now);
        err = store_stmt_run(st, s, "assigning an image to a group");
    }
    /* The group's assignment replaces its members' own ones. */
    if (err == 0 && digest != NULL) {
        s = store_stmt(st, STMT_GROUP_CLEAR_DEVICES,
                       "UPDATE devices SET image = NULL, assigned_at = ?2 WHERE grp = ?1");
        if (s == NULL) {
            err = STORE_E_IO;
        } else {
            sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, now);
            err = store_stmt_run(st, s, "assigning an image to a group");
        }
    }
    if (err == 0) {
        s = store_stmt(st, STMT_GROUP_COUNT, "SELECT count(*) FROM devices WHERE grp = ?1");
        if (s == NULL) {
            err = STORE_E_IO;
        } else {
            sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW)
                members = sqlite3_column_int64(s, 0);
            else
                err = store_db_fail(st, rc, "counting a group");
            sqlite3_reset(s);
        }
    }
    if (err == 0) {
        snprintf(detail, sizeof(detail), "group %s: %s %.16s (%lld devices)", group,
                 digest ? version : "(none)", hex, (long long)members);
        err = store_event_log(st, NULL, digest ? "assigned" : "unassigned", detail, now);
    }
    err = store_op_end(st, err);
    return err < 0 ? err : (int)members;
}

/* ==== descriptions ======================================================================= */

const char *store_event_name(unsigned event)
{
    static const char *const names[] = {
        NULL, "downloaded", "installed", "confirmed", "reverted", "refused", "failed",
    };

    if (event >= 1 && event < sizeof(names) / sizeof(names[0]))
        return names[event];
    return "event";
}

static const char *reason_text(unsigned reason)
{
    switch (reason) {
    case FOTA_BOOT_REASON_REQUESTED: return "requested";
    case FOTA_BOOT_REASON_NOT_CONFIRMED: return "not confirmed";
    case FOTA_BOOT_REASON_VERIFY_FAILED: return "failed verification";
    case FOTA_BOOT_REASON_ROLLBACK: return "rollback refused";
    case FOTA_BOOT_REASON_PRIMARY_INVALID: return "primary image invalid";
    }
    return NULL;
}

void store_result_describe(char *buf, size_t size, const struct store_result *r)
{
    static const struct fota_version zero;
    char version[STORE_VERSION_TEXT_SIZE + 1] = "", why[96] = "", name[24];
    const char *reason = reason_text(r->reason);

    if (r->event >= STORE_EVENT_DOWNLOADED && r->event <= STORE_EVENT_FAILED)
        snprintf(name, sizeof(name), "%s", store_event_name(r->event));
    else
        snprintf(name, sizeof(name), "event %u", r->event);
    if (memcmp(&r->version, &zero, sizeof(zero)) != 0) {
        version[0] = ' ';
        store_version_format(version + 1, sizeof(version) - 1, &r->version);
    }
    if (r->reason != 0 && reason == NULL)
        snprintf(why, sizeof(why), ": reason %u", r->reason);
    else if (reason != NULL && r->reason != FOTA_BOOT_REASON_REQUESTED)
        snprintf(why, sizeof(why), ": %s", reason);
    if (r->error != 0)
        snprintf(why + strlen(why), sizeof(why) - strlen(why), why[0] ? " (%s)" : ": %s",
                 fota_strerror(r->error));
    snprintf(buf, size, "%s%s%s", name, version, why);
}
