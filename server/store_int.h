/*
 * Inside the store: the handle, the statement cache and the helpers shared
 * by store.c (opening, schema, settings, files), store_device.c (devices,
 * assignments, reports, event log) and store_image.c (images).
 */
#ifndef FOTA_SERVER_STORE_INT_H
#define FOTA_SERVER_STORE_INT_H

#include <sqlite3.h>

#include "host.h"
#include "store.h"

#if defined(__GNUC__)
#define STORE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define STORE_PRINTF(f, a)
#endif

/* One slot per cached statement. Each is prepared on first use, with the
 * SQL given at that use (store_stmt), and kept until store_close(). */
enum store_stmt_id {
    STMT_SETTING_GET,
    STMT_SETTING_SET,
    STMT_DEVICE_ADD,
    STMT_DEVICE_REMOVE,
    STMT_DEVICE_GET,
    STMT_DEVICE_LIST,
    STMT_DEVICE_HELLO,
    STMT_DEVICE_PROGRESS,
    STMT_DEVICE_RESULT,
    STMT_DEVICE_EXISTS,
    STMT_DEVICE_ASSIGN,
    STMT_GROUP_ASSIGN,
    STMT_GROUP_CLEAR_DEVICES,
    STMT_GROUP_COUNT,
    STMT_REPORT_SEEN,
    STMT_REPORT_ADD,
    STMT_EVENT_ADD,
    STMT_EVENT_LIST,
    STMT_EVENT_LIST_DEVICE,
    STMT_IMAGE_ADD,
    STMT_IMAGE_GET,
    STMT_IMAGE_LIST,
    STMT_IMAGE_BY_VERSION,
    STMT_IMAGE_BY_PREFIX,
    /* Transactions, run for every write: prepared once, not parsed again. */
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    STMT_COUNT
};

struct store {
    sqlite3 *db;
    char *datadir;
    char *db_path;
    int in_group;    /* inside store_begin() .. store_commit() */
    unsigned busy_ms;
    sqlite3_stmt *stmt[STMT_COUNT];
    char msg[STORE_MSG_SIZE];
};

/* Sets st->msg from fmt and returns err. */
int store_fail(struct store *st, int err, const char *fmt, ...) STORE_PRINTF(3, 4);

/* For a failed SQLite call (rc): a store_err, and "fota.db: WHAT: <sqlite's
 * message>" in st->msg. */
int store_db_fail(struct store *st, int rc, const char *what);

/* The cached statement for slot id, prepared from sql on first use; reset
 * and unbound. NULL on failure (st->msg set). */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id, const char *sql);

/* Steps a statement that returns no row, then resets it. 0 or a store_err. */
int store_stmt_run(struct store *st, sqlite3_stmt *s, const char *what);

/* Brackets one call's writes: a transaction of its own (BEGIN IMMEDIATE),
 * or a savepoint inside the caller's group. op_end commits when err >= 0
 * and rolls back otherwise; it returns err, or the commit's error. */
int store_op_begin(struct store *st);
int store_op_end(struct store *st, int err);

/* Column helpers: a 32-byte blob into out (zeros and 0 when NULL or of
 * another size, else 1); a version from four consecutive columns. */
int store_col_digest(sqlite3_stmt *s, int col, uint8_t out[STORE_DIGEST_SIZE]);
void store_col_version(sqlite3_stmt *s, int col, struct fota_version *v);
/* Binds a version to four consecutive parameters from first. */
int store_bind_version(sqlite3_stmt *s, int first, const struct fota_version *v);

/* mkdir that accepts an existing directory. 0 or -1 (errno). */
int store_mkdir(const char *path, unsigned mode);

#endif
