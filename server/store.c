/*
 * The store: opening a data directory, the schema and its migrations,
 * transactions, settings, names and versions, files (see store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "provision.h"
#include "store_int.h"

/* ==== schema ============================================================
 *
 * migrations[i] brings a database from schema version i to i + 1; the
 * last one leaves STORE_SCHEMA_VERSION. To change the schema, append a
 * script (ALTER TABLE, CREATE ..., UPDATE ...) and raise
 * STORE_SCHEMA_VERSION: store_open() runs the missing scripts in one
 * transaction and then sets PRAGMA user_version.
 *
 * Versions are kept as four integer columns (major, minor, patch, build);
 * digests, secrets and keys as 32-byte blobs; times as Unix seconds.
 */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE settings ("
    "  name TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"

    "CREATE TABLE images ("
    "  digest BLOB PRIMARY KEY CHECK (length(digest) = 32),"
    "  major INTEGER NOT NULL, minor INTEGER NOT NULL,"
    "  patch INTEGER NOT NULL, build INTEGER NOT NULL,"
    "  version TEXT NOT NULL,"
    "  counter INTEGER NOT NULL,"
    "  header_size INTEGER NOT NULL,"
    "  payload_size INTEGER NOT NULL,"
    "  load_address INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  manifest BLOB NOT NULL,"
    "  verified INTEGER NOT NULL,"
    "  added INTEGER NOT NULL);"
    "CREATE INDEX images_version ON images (major, minor, patch, build);"

    "CREATE TABLE groups ("
    "  name TEXT PRIMARY KEY,"
    "  image BLOB REFERENCES images (digest),"
    "  assigned_at INTEGER);"

    "CREATE TABLE devices ("
    "  id TEXT PRIMARY KEY,"
    "  grp TEXT,"
    "  secret BLOB NOT NULL CHECK (length(secret) = 32),"
    "  created INTEGER NOT NULL,"
    "  image BLOB REFERENCES images (digest),"
    "  assigned_at INTEGER,"
    "  running_major INTEGER, running_minor INTEGER,"
    "  running_patch INTEGER, running_build INTEGER,"
    "  running_digest BLOB,"
    "  last_seen INTEGER NOT NULL DEFAULT 0,"
    "  connections INTEGER NOT NULL DEFAULT 0,"
    "  progress_digest BLOB,"
    "  progress_offset INTEGER NOT NULL DEFAULT 0,"
    "  progress_total INTEGER NOT NULL DEFAULT 0,"
    "  progress_time INTEGER NOT NULL DEFAULT 0,"
    "  result_seq INTEGER, result_event INTEGER,"
    "  result_reason INTEGER, result_error INTEGER,"
    "  result_major INTEGER, result_minor INTEGER,"
    "  result_patch INTEGER, result_build INTEGER,"
    "  result_digest BLOB,"
    "  result_time INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX devices_group ON devices (grp);"

    /* The event log: device is not a foreign key, so that refusals of
     * unknown ids are logged and rows outlive a removed device. report_*
     * identify a stored REPORT, for deduplication. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time INTEGER NOT NULL,"
    "  device TEXT,"
    "  kind TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  report_seq INTEGER, report_event INTEGER, report_digest BLOB);"
    "CREATE INDEX events_device ON events (device, seq);"
    "CREATE INDEX events_report ON events (device, report_seq)"
    "  WHERE report_seq IS NOT NULL;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ==== messages and SQLite helpers ======================================== */

int store_fail(struct store *st, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
    va_end(ap);
    return err;
}

static int rc_to_err(int rc)
{
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return STORE_E_NOT_FOUND; /* a row names an image that is not stored */
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_E_BUSY;
    case SQLITE_NOMEM:
        return STORE_E_NOMEM;
    case SQLITE_CONSTRAINT:
        return STORE_E_EXISTS;
    default:
        return STORE_E_IO;
    }
}

int store_db_fail(struct store *st, int rc, const char *what)
{
    int err = rc_to_err(rc);

    if (err == STORE_E_BUSY)
        return store_fail(st, err, "%s: %s: the database stayed locked by another process "
                          "for %u ms", st->db_path, what, st->busy_ms);
    return store_fail(st, err, "%s: %s: %s", st->db_path, what, sqlite3_errmsg(st->db));
}

sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id, const char *sql)
{
    sqlite3_stmt *s = st->stmt[id];
    int rc;

    if (s != NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return s;
    }
    rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK) {
        store_db_fail(st, rc, "preparing a statement");
        return NULL;
    }
    st->stmt[id] = s;
    return s;
}

int store_stmt_run(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store_db_fail(st, rc, what);
    return 0;
}

static int exec(struct store *st, const char *sql, const char *what)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : store_db_fail(st, rc, what);
}

/* Runs one of the transaction statements (STMT_BEGIN .. STMT_ROLLBACK_TO),
 * prepared on first use. Returns SQLITE_OK or SQLite's code. */
static int tx_run(struct store *st, enum store_stmt_id id)
{
    static const char *const sql[] = {
        [STMT_BEGIN] = "BEGIN IMMEDIATE",   [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",       [STMT_SAVEPOINT] = "SAVEPOINT store_op",
        [STMT_RELEASE] = "RELEASE store_op", [STMT_ROLLBACK_TO] = "ROLLBACK TO store_op",
    };
    sqlite3_stmt *s = st->stmt[id];
    int rc;

    if (s == NULL) {
        rc = sqlite3_prepare_v3(st->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (rc != SQLITE_OK)
            return sqlite3_exec(st->db, sql[id], NULL, NULL, NULL); /* at least try */
        st->stmt[id] = s;
    }
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int tx_exec(struct store *st, enum store_stmt_id id, const char *what)
{
    int rc = tx_run(st, id);

    return rc == SQLITE_OK ? 0 : store_db_fail(st, rc, what);
}

int store_op_begin(struct store *st)
{
    if (st->in_group)
        return tx_exec(st, STMT_SAVEPOINT, "starting a savepoint");
    return tx_exec(st, STMT_BEGIN, "starting a transaction");
}

int store_op_end(struct store *st, int err)
{
    int rc;

    if (st->in_group) {
        if (err < 0)
            (void)tx_run(st, STMT_ROLLBACK_TO);
        rc = tx_run(st, STMT_RELEASE);
    } else if (err < 0) {
        (void)tx_run(st, STMT_ROLLBACK);
        return err;
    } else {
        rc = tx_run(st, STMT_COMMIT);
        if (rc != SQLITE_OK)
            (void)tx_run(st, STMT_ROLLBACK);
    }
    if (err < 0)
        return err;
    return rc == SQLITE_OK ? err : store_db_fail(st, rc, "committing");
}

int store_col_digest(sqlite3_stmt *s, int col, uint8_t out[STORE_DIGEST_SIZE])
{
    const void *b = sqlite3_column_blob(s, col);

    if (b == NULL || sqlite3_column_bytes(s, col) != STORE_DIGEST_SIZE) {
        memset(out, 0, STORE_DIGEST_SIZE);
        return 0;
    }
    memcpy(out, b, STORE_DIGEST_SIZE);
    return 1;
}

void store_col_version(sqlite3_stmt *s, int col, struct fota_version *v)
{
    v->major = (uint8_t)sqlite3_column_int(s, col);
    v->minor = (uint8_t)sqlite3_column_int(s, col + 1);
    v->patch = (uint16_t)sqlite3_column_int(s, col + 2);
    v->build = (uint32_t)sqlite3_column_int64(s, col + 3);
}

int store_bind_version(sqlite3_stmt *s, int first, const struct fota_version *v)
{
    int rc = sqlite3_bind_int(s, first, v->major);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, first + 1, v->minor);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, first + 2, v->patch);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, first + 3, v->build);
    return rc;
}

int store_mkdir(const char *path, unsigned mode)
{
    struct stat sb;

    if (mkdir(path, (mode_t)mode) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 0;
    if (errno == EEXIST)
        errno = ENOTDIR;
    return -1;
}

/* ==== opening ============================================================= */

static char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);

    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* Creates DATADIR, its subdirectories and an empty database file with mode
 * 0600 (SQLite gives its -wal and -shm files the database's mode). */
static int datadir_create(struct store *st)
{
    char *images = path_join(st->datadir, STORE_IMAGES_DIR);
    char *prov = path_join(st->datadir, STORE_PROVISION_DIR);
    int fd, err = 0;

    if (images == NULL || prov == NULL) {
        err = store_fail(st, STORE_E_NOMEM, "out of memory");
    } else if (store_mkdir(st->datadir, 0700) != 0) {
        err = store_fail(st, STORE_E_IO, "%s: cannot create the data directory: %s",
                         st->datadir, strerror(errno));
    } else if (store_mkdir(images, 0755) != 0 || store_mkdir(prov, 0700) != 0) {
        err = store_fail(st, STORE_E_IO, "%s: cannot create its subdirectories: %s",
                         st->datadir, strerror(errno));
    } else {
        fd = open(st->db_path, O_RDWR | O_CREAT, 0600);
        if (fd < 0)
            err = store_fail(st, STORE_E_IO, "%s: cannot create: %s", st->db_path,
                             strerror(errno));
        else
            close(fd);
    }
    free(images);
    free(prov);
    return err;
}

static int pragma_int(struct store *st, const char *sql, int64_t *v)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

    if (rc != SQLITE_OK)
        return store_db_fail(st, rc, "reading the schema version");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : store_db_fail(st, rc, "reading the schema version");
}

static int schema_migrate(struct store *st)
{
    char sql[64];
    int64_t version;
    int err;

    err = pragma_int(st, "PRAGMA user_version", &version);
    if (err == 0 && version == STORE_SCHEMA_VERSION)
        return 0;
    if (err == 0 && version > STORE_SCHEMA_VERSION)
        return store_fail(st, STORE_E_SCHEMA,
                          "%s: schema version %lld is newer than this program's (%d): "
                          "use a newer fota", st->db_path, (long long)version,
                          STORE_SCHEMA_VERSION);
    if (err == 0)
        err = exec(st, "BEGIN IMMEDIATE", "starting the schema migration");
    if (err != 0)
        return err;
    /* Read again under the write lock: another process may have migrated. */
    err = pragma_int(st, "PRAGMA user_version", &version);
    if (err == 0 && (version < 0 || version > STORE_SCHEMA_VERSION))
        err = store_fail(st, STORE_E_SCHEMA, "%s: schema version %lld is not one this "
                         "program knows", st->db_path, (long long)version);
    while (err == 0 && version < STORE_SCHEMA_VERSION) {
        err = exec(st, migrations[version], "migrating the schema");
        version++;
    }
    if (err == 0) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
        err = exec(st, sql, "setting the schema version");
    }
    if (err == 0)
        err = exec(st, "COMMIT", "committing the schema migration");
    if (err != 0)
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

static int db_setup(struct store *st)
{
    sqlite3_stmt *s;
    int rc, err = 0;

    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, (int)st->busy_ms);
    /* Also the first read: a file that is not a database fails here. */
    rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW &&
            strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0)
            err = store_fail(st, STORE_E_IO, "%s: cannot switch to WAL journal mode",
                             st->db_path);
        sqlite3_finalize(s);
    }
    if (err != 0)
        return err;
    if (rc != SQLITE_ROW && rc != SQLITE_OK)
        return (rc & 0xff) == SQLITE_NOTADB
                   ? store_fail(st, STORE_E_IO, "%s: not a SQLite database", st->db_path)
                   : store_db_fail(st, rc, "setting WAL journal mode");
    err = exec(st, "PRAGMA synchronous = NORMAL", "setting synchronous mode");
    if (err == 0)
        err = exec(st, "PRAGMA foreign_keys = ON", "enabling foreign keys");
    if (err == 0)
        err = schema_migrate(st);
    return err;
}

int store_open(struct store **out, const char *datadir, const struct store_config *cfg,
               char *msg, size_t msg_size)
{
    static const struct store_config defaults = {0, 0};
    struct store *st;
    struct stat sb;
    int rc, err = 0;

    *out = NULL;
    if (cfg == NULL)
        cfg = &defaults;
    if (datadir == NULL || datadir[0] == '\0') {
        return host_fail(msg, msg_size, STORE_E_INVAL, "no data directory given");
    }
    if (sodium_init() < 0) {
        return host_fail(msg, msg_size, STORE_E_IO, "libsodium failed to initialise");
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL || (st->datadir = strdup(datadir)) == NULL ||
        (st->db_path = path_join(datadir, STORE_DB_NAME)) == NULL) {
        store_close(st);
        return host_fail(msg, msg_size, STORE_E_NOMEM, "out of memory");
    }
    st->busy_ms = cfg->busy_timeout_ms ? cfg->busy_timeout_ms : STORE_BUSY_TIMEOUT_MS;
    if (cfg->create) {
        err = datadir_create(st);
    } else if (stat(datadir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        err = store_fail(st, STORE_E_NOT_INIT, "%s: no such data directory; create it "
                         "with fota -d %s init", datadir, datadir);
    } else if (stat(st->db_path, &sb) != 0) {
        err = store_fail(st, STORE_E_NOT_INIT, "%s: not a fota data directory (no %s); "
                         "create it with fota -d %s init", datadir, STORE_DB_NAME, datadir);
    }
    if (err == 0) {
        rc = sqlite3_open_v2(st->db_path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK)
            err = st->db ? store_db_fail(st, rc, "cannot open")
                         : store_fail(st, STORE_E_NOMEM, "out of memory");
    }
    if (err == 0)
        err = db_setup(st);
    if (err != 0) {
        host_fail(msg, msg_size, err, "%s", st->msg);
        store_close(st);
        return err;
    }
    st->msg[0] = '\0';
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    size_t i;

    if (st == NULL)
        return;
    for (i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    if (st->db != NULL) {
        if (st->in_group)
            (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(st->db);
    }
    free(st->datadir);
    free(st->db_path);
    free(st);
}

const char *store_errmsg(const struct store *st)
{
    return st->msg;
}

const char *store_datadir(const struct store *st)
{
    return st->datadir;
}

const char *store_strerror(int err)
{
    switch (err) {
    case STORE_OK: return "success";
    case STORE_E_INVAL: return "invalid argument";
    case STORE_E_IO: return "I/O error";
    case STORE_E_NOT_FOUND: return "not found";
    case STORE_E_EXISTS: return "already exists";
    case STORE_E_AMBIGUOUS: return "ambiguous";
    case STORE_E_BUSY: return "database locked";
    case STORE_E_NOT_INIT: return "data directory not initialised";
    case STORE_E_IMAGE: return "bad image";
    case STORE_E_SCHEMA: return "unknown schema version";
    case STORE_E_NO_SETTING: return "setting not configured";
    case STORE_E_NOMEM: return "out of memory";
    }
    return "unknown error";
}

/* Collects the first row of an integrity or foreign-key check. */
static int check_query(struct store *st, const char *sql, const char *what, int expect_ok)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), err = 0;

    if (rc != SQLITE_OK)
        return store_db_fail(st, rc, what);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *first = (const char *)sqlite3_column_text(s, 0);

        if (!expect_ok || first == NULL || strcmp(first, "ok") != 0)
            err = store_fail(st, STORE_E_IO, "%s: %s: %s", st->db_path, what,
                             first ? first : "a row violates a foreign key");
    } else if (rc != SQLITE_DONE) {
        err = store_db_fail(st, rc, what);
    }
    sqlite3_finalize(s);
    return err;
}

int store_check(struct store *st)
{
    int err = check_query(st, "PRAGMA integrity_check", "integrity check", 1);

    if (err == 0)
        err = check_query(st, "PRAGMA foreign_key_check", "foreign key check", 0);
    if (err == 0)
        st->msg[0] = '\0';
    return err;
}

/* ==== transactions ========================================================= */

int store_begin(struct store *st)
{
    int err;

    if (st->in_group)
        return store_fail(st, STORE_E_INVAL, "store_begin: a transaction is already open");
    err = tx_exec(st, STMT_BEGIN, "starting a transaction");
    if (err == 0)
        st->in_group = 1;
    return err;
}

int store_commit(struct store *st)
{
    int err;

    if (!st->in_group)
        return store_fail(st, STORE_E_INVAL, "store_commit: no transaction is open");
    err = tx_exec(st, STMT_COMMIT, "committing");
    if (err != 0)
        (void)tx_run(st, STMT_ROLLBACK);
    st->in_group = 0;
    return err;
}

void store_rollback(struct store *st)
{
    if (!st->in_group)
        return;
    (void)tx_run(st, STMT_ROLLBACK);
    st->in_group = 0;
}

/* ==== settings ============================================================= */

#define SETTING_PUBLIC_KEY "public_key"
#define SETTING_SERVER "server"

/* Reads setting name into buf; returns 1 when set, 0 when not, or a
 * store_err. */
static int setting_get(struct store *st, const char *name, char *buf, size_t size)
{
    sqlite3_stmt *s = store_stmt(st, STMT_SETTING_GET,
                                 "SELECT value FROM settings WHERE name = ?1");
    int rc, found = 0;

    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
        found = 1;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_db_fail(st, rc, "reading the settings");
    return found;
}

static int setting_set(struct store *st, const char *name, const char *value)
{
    sqlite3_stmt *s = store_stmt(st, STMT_SETTING_SET,
                                 "INSERT INTO settings (name, value) VALUES (?1, ?2) "
                                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value");

    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    return store_stmt_run(st, s, "writing a setting");
}

int store_settings_get(struct store *st, struct store_settings *set)
{
    char hex[2 * STORE_KEY_SIZE + 2];
    int r;

    memset(set, 0, sizeof(*set));
    r = setting_get(st, SETTING_PUBLIC_KEY, hex, sizeof(hex));
    if (r < 0)
        return r;
    if (r == 1) {
        if (host_unhex(set->public_key, STORE_KEY_SIZE, hex, strlen(hex)) != STORE_KEY_SIZE)
            return store_fail(st, STORE_E_IO, "%s: the stored public key is malformed",
                              st->db_path);
        set->has_public_key = 1;
    }
    r = setting_get(st, SETTING_SERVER, set->server, sizeof(set->server));
    return r < 0 ? r : 0;
}

int store_set_public_key(struct store *st, const uint8_t pub[STORE_KEY_SIZE])
{
    char hex[2 * STORE_KEY_SIZE + 1];

    host_hex(hex, pub, STORE_KEY_SIZE);
    return setting_set(st, SETTING_PUBLIC_KEY, hex);
}

int store_set_server(struct store *st, const char *host_port)
{
    if (store_server_check(host_port) != 0)
        return store_fail(st, STORE_E_INVAL, "bad server address '%s': expected HOST:PORT "
                          "with a port from 1 to 65535", host_port);
    return setting_set(st, SETTING_SERVER, host_port);
}

/* ==== names and versions ==================================================== */

int store_server_check(const char *s)
{
    const char *colon;
    size_t host_len, i;
    unsigned long port = 0;

    if (s == NULL || strlen(s) > STORE_SERVER_MAX)
        return STORE_E_INVAL;
    colon = strrchr(s, ':');
    if (colon == NULL || colon == s)
        return STORE_E_INVAL;
    host_len = (size_t)(colon - s);
    if (s[0] == '[') {
        if (host_len < 3 || s[host_len - 1] != ']')
            return STORE_E_INVAL;
    } else if (memchr(s, ':', host_len) != NULL || host_len > 253) {
        return STORE_E_INVAL;
    }
    for (i = 0; i < host_len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return STORE_E_INVAL;
    if (colon[1] == '\0')
        return STORE_E_INVAL;
    for (i = 1; colon[i] != '\0'; i++) {
        if (colon[i] < '0' || colon[i] > '9' || i > 5)
            return STORE_E_INVAL;
        port = port * 10 + (unsigned long)(colon[i] - '0');
    }
    return port >= 1 && port <= 65535 ? 0 : STORE_E_INVAL;
}

int store_id_check(const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0')
        return STORE_E_INVAL;
    for (i = 0; s[i] != '\0'; i++)
        if (i >= STORE_ID_MAX || s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '/' || s[i] == '\\')
            return STORE_E_INVAL;
    return 0;
}

/* A decimal number of at most max, with no sign and no leading zero.
 * Advances *s past it. */
static int version_number(const char **s, uint32_t max, uint32_t *v)
{
    const char *p = *s;
    uint64_t acc = 0;

    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        acc = acc * 10 + (uint64_t)(*p - '0');
        if (acc > max)
            return -1;
    }
    *v = (uint32_t)acc;
    *s = p;
    return 0;
}

int store_version_parse(const char *s, struct fota_version *v, int *has_build)
{
    uint32_t major, minor, patch, build = 0;

    memset(v, 0, sizeof(*v));
    *has_build = 0;
    if (s == NULL || version_number(&s, 255, &major) != 0 || *s++ != '.' ||
        version_number(&s, 255, &minor) != 0 || *s++ != '.' ||
        version_number(&s, 65535, &patch) != 0)
        return STORE_E_INVAL;
    if (*s == '+') {
        s++;
        if (version_number(&s, UINT32_MAX, &build) != 0)
            return STORE_E_INVAL;
        *has_build = 1;
    }
    if (*s != '\0')
        return STORE_E_INVAL;
    v->major = (uint8_t)major;
    v->minor = (uint8_t)minor;
    v->patch = (uint16_t)patch;
    v->build = build;
    return 0;
}

void store_version_format(char *buf, size_t size, const struct fota_version *v)
{
    if (v->build != 0)
        snprintf(buf, size, "%u.%u.%u+%lu", v->major, v->minor, v->patch,
                 (unsigned long)v->build);
    else
        snprintf(buf, size, "%u.%u.%u", v->major, v->minor, v->patch);
}

/* ==== files ================================================================== */

int store_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                            int no_clobber, char *msg, size_t msg_size)
{
    switch (host_write_file_atomic(path, data, len, mode, no_clobber, msg, msg_size)) {
    case 0: return 0;
    case HOST_E_EXISTS: return STORE_E_EXISTS;
    case HOST_E_NOMEM: return STORE_E_NOMEM;
    default: return STORE_E_IO;
    }
}

/* ==== provisioning ============================================================ */

int store_provision_path(const struct store *st, const char *id, char *buf, size_t size)
{
    int n;

    if (store_id_check(id) != 0)
        return STORE_E_INVAL;
    n = snprintf(buf, size, "%s/%s/%s.conf", st->datadir, STORE_PROVISION_DIR, id);
    return n < 0 || (size_t)n >= size ? STORE_E_INVAL : 0;
}

int store_provision_fill(struct store *st, const char *id, struct provision *p)
{
    struct store_settings set;
    struct store_device d;
    int err;

    memset(p, 0, sizeof(*p));
    err = store_device_get(st, id, &d);
    if (err == 0)
        err = store_settings_get(st, &set);
    if (err != 0) {
        sodium_memzero(&d, sizeof(d));
        return err;
    }
    memcpy(p->id, d.id, sizeof(p->id));
    memcpy(p->secret, d.secret, sizeof(p->secret));
    memcpy(p->server, set.server, sizeof(p->server));
    p->has_public_key = set.has_public_key;
    memcpy(p->public_key, set.public_key, sizeof(p->public_key));
    sodium_memzero(&d, sizeof(d));
    return 0;
}

int store_provision_write(struct store *st, const char *id, const char *path)
{
    char def[4096];
    struct provision p;
    int err;

    if (path == NULL) {
        if (store_provision_path(st, id, def, sizeof(def)) != 0)
            return store_fail(st, STORE_E_INVAL, "bad device id '%s'", id);
        /* The directory first (init made it; an older DATADIR may not have it). */
        snprintf(def, sizeof(def), "%s/%s", st->datadir, STORE_PROVISION_DIR);
        if (store_mkdir(def, 0700) != 0)
            return store_fail(st, STORE_E_IO, "%s: cannot create: %s", def, strerror(errno));
        (void)store_provision_path(st, id, def, sizeof(def));
        path = def;
    }
    err = store_provision_fill(st, id, &p);
    if (err != 0)
        return err;
    if (p.server[0] == '\0')
        err = store_fail(st, STORE_E_NO_SETTING, "%s: no server address configured: set "
                         "it with fota -d %s init --server HOST:PORT", st->datadir,
                         st->datadir);
    else if (!p.has_public_key)
        err = store_fail(st, STORE_E_NO_SETTING, "%s: no public key configured: set it "
                         "with fota -d %s init -k PUB.pem", st->datadir, st->datadir);
    else
        err = provision_write(path, &p, 0, st->msg, sizeof(st->msg));
    provision_wipe(&p);
    return err;
}
