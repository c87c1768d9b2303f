/*
 * The server's store (server/store.h) and provisioning files
 * (server/provision.h), each test in a data directory of its own.
 *
 * Beyond the API: two handles on one database (a writer waits for another
 * through the busy timeout, readers do not wait), and a writer killed with
 * SIGKILL at random instants, after which the database opens and passes
 * its integrity check with every committed group of writes whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "fota/boot.h"
#include "fota/error.h"
#include "provision.h"
#include "store.h"
#include "test_images.h"

#define NOW 1700000000

/* ==== fixtures ============================================================== */

struct fixture {
    char dir[256];     /* the test's temporary directory */
    char datadir[300]; /* dir/data */
    struct store *st;
    struct test_key key;
};

static void rm_tree(const char *path)
{
    struct stat sb;
    struct dirent *e;
    char child[1024];
    DIR *d;

    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
            rm_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static struct store *open_ok(const char *datadir, int create)
{
    struct store_config cfg = {0, create};
    char msg[STORE_MSG_SIZE] = "";
    struct store *st = NULL;
    int err = store_open(&st, datadir, &cfg, msg, sizeof(msg));

    if (err != 0)
        fail_msg("store_open(%s): %d: %s", datadir, err, msg);
    assert_non_null(st);
    return st;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "%s/fota-store-test.XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->datadir, sizeof(f->datadir), "%s/data", f->dir);
    f->st = open_ok(f->datadir, 1);
    test_key_make(&f->key, 7);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->st);
    rm_tree(f->dir);
    free(f);
    return 0;
}

/* A store with the test key set and images 1.0.0, 2.0.0 added. */
static size_t make_image(uint8_t *buf, size_t size, const struct test_key *key, uint8_t major,
                         uint32_t build, uint8_t seed)
{
    struct test_image_spec spec = {
        .version = {major, 0, 0, build},
        .security_counter = major,
        .payload_size = 3000 + seed,
        .load_address = 0x08005200,
        .payload_seed = seed,
    };
    size_t n = test_image_make(buf, size, key, &spec);

    assert_true(n > 0);
    return n;
}

static uint8_t image_buf[8192];

static void add_image(struct fixture *f, uint8_t major, uint32_t build, uint8_t seed,
                      struct store_image *out)
{
    size_t n = make_image(image_buf, sizeof(image_buf), &f->key, major, build, seed);
    int err = store_image_add(f->st, image_buf, n, 0, NOW, out);

    if (err != 0)
        fail_msg("store_image_add: %d: %s", err, store_errmsg(f->st));
}

static void set_key(struct fixture *f)
{
    assert_int_equal(store_set_public_key(f->st, f->key.pub), 0);
}

static int64_t sql_int(const char *datadir, const char *sql)
{
    char path[512];
    sqlite3 *db;
    sqlite3_stmt *s;
    int64_t v = -1;

    snprintf(path, sizeof(path), "%s/%s", datadir, STORE_DB_NAME);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *datadir, const char *sql)
{
    char path[512];
    sqlite3 *db;

    snprintf(path, sizeof(path), "%s/%s", datadir, STORE_DB_NAME);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ==== opening ================================================================ */

static void test_open_layout(void **state)
{
    struct fixture *f = *state;
    char path[512];
    struct stat sb;

    assert_string_equal(store_datadir(f->st), f->datadir);
    assert_int_equal(stat(f->datadir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/fota.db", f->datadir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0077, 0);
    snprintf(path, sizeof(path), "%s/images", f->datadir);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    snprintf(path, sizeof(path), "%s/provision", f->datadir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(sql_int(f->datadir, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM sqlite_master WHERE "
                                         "name = 'devices'"), 1);
    /* WAL mode is persistent: a plain connection sees it. */
    snprintf(path, sizeof(path), "%s/fota.db-wal", f->datadir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(store_check(f->st), 0);
}

static void test_open_not_initialised(void **state)
{
    struct fixture *f = *state;
    char msg[STORE_MSG_SIZE], path[512];
    struct store *st = (struct store *)1;

    snprintf(path, sizeof(path), "%s/missing", f->dir);
    assert_int_equal(store_open(&st, path, NULL, msg, sizeof(msg)), STORE_E_NOT_INIT);
    assert_null(st);
    assert_non_null(strstr(msg, "no such data directory"));
    assert_non_null(strstr(msg, "init"));
    /* A directory without the database is not a data directory either, and is
     * left as it was. */
    snprintf(path, sizeof(path), "%s/empty", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(store_open(&st, path, NULL, msg, sizeof(msg)), STORE_E_NOT_INIT);
    assert_non_null(strstr(msg, "not a fota data directory"));
    snprintf(path, sizeof(path), "%s/empty/fota.db", f->dir);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(store_open(&st, "", NULL, msg, sizeof(msg)), STORE_E_INVAL);
}

static void test_open_again_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct store_device d;

    assert_int_equal(store_device_add(f->st, "keep", NULL, NULL, NOW, NULL), 0);
    store_close(f->st);
    /* init again on an existing store changes nothing. */
    f->st = open_ok(f->datadir, 1);
    assert_int_equal(store_device_get(f->st, "keep", &d), 0);
    store_close(f->st);
    f->st = open_ok(f->datadir, 0);
    assert_int_equal(store_device_get(f->st, "keep", &d), 0);
}

static void test_open_newer_schema(void **state)
{
    struct fixture *f = *state;
    char msg[STORE_MSG_SIZE];
    struct store *st;

    store_close(f->st);
    f->st = NULL;
    sql_exec(f->datadir, "PRAGMA user_version = 99");
    assert_int_equal(store_open(&st, f->datadir, NULL, msg, sizeof(msg)), STORE_E_SCHEMA);
    assert_non_null(strstr(msg, "99"));
    sql_exec(f->datadir, "PRAGMA user_version = 1");
    f->st = open_ok(f->datadir, 0);
}

static void test_open_not_a_database(void **state)
{
    struct fixture *f = *state;
    char msg[STORE_MSG_SIZE], path[512], junk[4096];
    struct store *st;
    int fd;

    store_close(f->st);
    f->st = NULL;
    snprintf(path, sizeof(path), "%s/fota.db", f->datadir);
    rm_tree(f->datadir);
    assert_int_equal(mkdir(f->datadir, 0700), 0);
    memset(junk, 'x', sizeof(junk));
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    close(fd);
    assert_int_equal(store_open(&st, f->datadir, NULL, msg, sizeof(msg)), STORE_E_IO);
    assert_non_null(strstr(msg, "not a SQLite database"));
    f->st = NULL;
    /* teardown closes NULL */
}

/* A database at schema 0 (an empty file) is migrated on open. */
static void test_open_migrates(void **state)
{
    struct fixture *f = *state;
    char path[512];
    int fd;

    store_close(f->st);
    rm_tree(f->datadir);
    assert_int_equal(mkdir(f->datadir, 0700), 0);
    snprintf(path, sizeof(path), "%s/fota.db", f->datadir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    f->st = open_ok(f->datadir, 0);
    assert_int_equal(sql_int(f->datadir, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(store_device_add(f->st, "after-migration", NULL, NULL, NOW, NULL), 0);
}

/* ==== names, versions, settings ================================================== */

static void test_id_check(void **state)
{
    (void)state;
    assert_int_equal(store_id_check("a"), 0);
    assert_int_equal(store_id_check("dev-001_X.y:z@1"), 0);
    assert_int_equal(store_id_check("0123456789abcdef0123456789abcdef"), 0);
    assert_int_equal(store_id_check("0123456789abcdef0123456789abcdef0"), STORE_E_INVAL);
    assert_int_equal(store_id_check(""), STORE_E_INVAL);
    assert_int_equal(store_id_check(NULL), STORE_E_INVAL);
    assert_int_equal(store_id_check("a b"), STORE_E_INVAL);
    assert_int_equal(store_id_check("a\tb"), STORE_E_INVAL);
    assert_int_equal(store_id_check("a/b"), STORE_E_INVAL);
    assert_int_equal(store_id_check("..\\x"), STORE_E_INVAL);
    assert_int_equal(store_id_check("caf\xc3\xa9"), STORE_E_INVAL);
    assert_int_equal(store_id_check("a\x7f"), STORE_E_INVAL);
}

static void test_server_check(void **state)
{
    (void)state;
    assert_int_equal(store_server_check("localhost:9995"), 0);
    assert_int_equal(store_server_check("10.0.0.1:1"), 0);
    assert_int_equal(store_server_check("[::1]:65535"), 0);
    assert_int_equal(store_server_check("fota.example.com:443"), 0);
    assert_int_equal(store_server_check("host"), STORE_E_INVAL);
    assert_int_equal(store_server_check("host:"), STORE_E_INVAL);
    assert_int_equal(store_server_check(":80"), STORE_E_INVAL);
    assert_int_equal(store_server_check("host:0"), STORE_E_INVAL);
    assert_int_equal(store_server_check("host:65536"), STORE_E_INVAL);
    assert_int_equal(store_server_check("host:80a"), STORE_E_INVAL);
    assert_int_equal(store_server_check("host:+80"), STORE_E_INVAL);
    assert_int_equal(store_server_check("::1:80"), STORE_E_INVAL);
    assert_int_equal(store_server_check("a b:80"), STORE_E_INVAL);
    assert_int_equal(store_server_check("[::1:80"), STORE_E_INVAL);
}

static void test_version_text(void **state)
{
    struct fota_version v;
    char buf[STORE_VERSION_TEXT_SIZE];
    int has_build;

    (void)state;
    assert_int_equal(store_version_parse("1.2.3", &v, &has_build), 0);
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.patch, 3);
    assert_int_equal(v.build, 0);
    assert_int_equal(has_build, 0);
    assert_int_equal(store_version_parse("255.255.65535+4294967295", &v, &has_build), 0);
    assert_int_equal(has_build, 1);
    assert_int_equal(v.build, 4294967295u);
    store_version_format(buf, sizeof(buf), &v);
    assert_string_equal(buf, "255.255.65535+4294967295");
    assert_int_equal(store_version_parse("2.0.0+0", &v, &has_build), 0);
    assert_int_equal(has_build, 1);
    store_version_format(buf, sizeof(buf), &v);
    assert_string_equal(buf, "2.0.0");
    assert_int_equal(store_version_parse("256.0.0", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("1.2", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("1.2.3.4", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("1.2.3+", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("01.2.3", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("-1.2.3", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("1.2.65536", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("1.2.3+4294967296", &v, &has_build), STORE_E_INVAL);
    assert_int_equal(store_version_parse("v1.2.3", &v, &has_build), STORE_E_INVAL);
}

static void test_settings(void **state)
{
    struct fixture *f = *state;
    struct store_settings s;

    assert_int_equal(store_settings_get(f->st, &s), 0);
    assert_int_equal(s.has_public_key, 0);
    assert_string_equal(s.server, "");
    set_key(f);
    assert_int_equal(store_set_server(f->st, "fota.example.com:9995"), 0);
    assert_int_equal(store_set_server(f->st, "no-port"), STORE_E_INVAL);
    assert_non_null(strstr(store_errmsg(f->st), "no-port"));
    store_close(f->st);
    f->st = open_ok(f->datadir, 0);
    assert_int_equal(store_settings_get(f->st, &s), 0);
    assert_int_equal(s.has_public_key, 1);
    assert_memory_equal(s.public_key, f->key.pub, 32);
    assert_string_equal(s.server, "fota.example.com:9995");
    assert_int_equal(store_set_server(f->st, "other:1"), 0);
    assert_int_equal(store_settings_get(f->st, &s), 0);
    assert_string_equal(s.server, "other:1");
}

/* ==== devices ==================================================================== */

static void test_device_add_get(void **state)
{
    struct fixture *f = *state;
    static const uint8_t zero[STORE_SECRET_SIZE];
    uint8_t given[STORE_SECRET_SIZE];
    struct store_device a, b, c;

    assert_int_equal(store_device_add(f->st, "dev-1", "field", NULL, NOW, &a), 0);
    assert_string_equal(a.id, "dev-1");
    assert_string_equal(a.group, "field");
    assert_int_equal(a.created, NOW);
    assert_memory_not_equal(a.secret, zero, sizeof(zero));
    assert_int_equal(a.has_assigned, 0);
    assert_int_equal(a.has_running, 0);
    assert_int_equal(a.has_result, 0);
    assert_int_equal(a.last_seen, 0);
    assert_int_equal(store_device_add(f->st, "dev-2", NULL, NULL, NOW, &b), 0);
    assert_string_equal(b.group, "");
    assert_memory_not_equal(a.secret, b.secret, STORE_SECRET_SIZE);
    memset(given, 0x5a, sizeof(given));
    assert_int_equal(store_device_add(f->st, "dev-3", "", given, NOW, NULL), 0);
    assert_int_equal(store_device_get(f->st, "dev-3", &c), 0);
    assert_memory_equal(c.secret, given, sizeof(given));
    assert_string_equal(c.group, "");
    assert_int_equal(store_device_get(f->st, "dev-1", &c), 0);
    assert_memory_equal(c.secret, a.secret, STORE_SECRET_SIZE);
    assert_string_equal(c.group, "field");
}

static void test_device_refusals(void **state)
{
    struct fixture *f = *state;
    struct store_device d;
    struct store_device before;

    assert_int_equal(store_device_add(f->st, "dup", NULL, NULL, NOW, &before), 0);
    assert_int_equal(store_device_add(f->st, "dup", "g", NULL, NOW + 1, NULL), STORE_E_EXISTS);
    assert_non_null(strstr(store_errmsg(f->st), "'dup' already exists"));
    /* The first one is untouched. */
    assert_int_equal(store_device_get(f->st, "dup", &d), 0);
    assert_memory_equal(d.secret, before.secret, STORE_SECRET_SIZE);
    assert_string_equal(d.group, "");
    assert_int_equal(store_device_add(f->st, "bad id", NULL, NULL, NOW, NULL), STORE_E_INVAL);
    assert_non_null(strstr(store_errmsg(f->st), "bad device id 'bad id'"));
    assert_int_equal(store_device_add(f->st, "ok", "bad/group", NULL, NOW, NULL),
                     STORE_E_INVAL);
    assert_non_null(strstr(store_errmsg(f->st), "bad group name"));
    assert_int_equal(store_device_get(f->st, "ok", &d), STORE_E_NOT_FOUND);
    assert_int_equal(store_device_get(f->st, "nobody", &d), STORE_E_NOT_FOUND);
    assert_string_equal(store_errmsg(f->st), "no device 'nobody'");
    assert_int_equal(store_device_get(f->st, "x y", &d), STORE_E_INVAL);
    assert_int_equal(store_device_remove(f->st, "dup"), 0);
    assert_int_equal(store_device_get(f->st, "dup", &d), STORE_E_NOT_FOUND);
    assert_int_equal(store_device_remove(f->st, "dup"), STORE_E_NOT_FOUND);
    /* The id is free again. */
    assert_int_equal(store_device_add(f->st, "dup", NULL, NULL, NOW, NULL), 0);
}

static void test_hello_and_progress(void **state)
{
    struct fixture *f = *state;
    struct fota_version v1 = {1, 0, 0, 0};
    struct store_image img;
    struct store_device d;
    uint8_t other[32];

    set_key(f);
    add_image(f, 2, 0, 1, &img);
    assert_int_equal(store_device_add(f->st, "dev", NULL, NULL, NOW, NULL), 0);
    memset(other, 0x11, sizeof(other));
    assert_int_equal(store_device_hello(f->st, "dev", &v1, other, NOW + 5), 0);
    assert_int_equal(store_device_hello(f->st, "dev", &v1, other, NOW + 6), 0);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(d.has_running, 1);
    assert_memory_equal(&d.running_version, &v1, sizeof(v1));
    assert_memory_equal(d.running_digest, other, 32);
    assert_int_equal(d.last_seen, NOW + 6);
    assert_int_equal(d.connections, 2);
    /* Nothing assigned: no percentage. */
    assert_int_equal(store_device_percent(&d), -1);
    assert_int_equal(store_assign_device(f->st, "dev", img.digest, NOW), 0);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(store_device_percent(&d), 0);
    assert_int_equal(store_device_progress(f->st, "dev", img.digest, img.size / 4, img.size,
                                           NOW + 7), 0);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(d.progress_offset, img.size / 4);
    assert_int_equal(d.progress_total, img.size);
    assert_int_equal(d.progress_time, NOW + 7);
    assert_memory_equal(d.progress_digest, img.digest, 32);
    assert_int_equal(store_device_percent(&d), (int)((uint64_t)(img.size / 4) * 100 / img.size));
    assert_int_equal(store_device_percent(&d), 24); /* rounded down */
    /* Progress on another image does not count for the assigned one. */
    assert_int_equal(store_device_progress(f->st, "dev", other, 100, 100, NOW + 8), 0);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(store_device_percent(&d), 0);
    /* Running the assigned image is 100 %. */
    assert_int_equal(store_device_hello(f->st, "dev", &img.header.version, img.digest,
                                        NOW + 9), 0);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(store_device_percent(&d), 100);
    assert_int_equal(store_device_hello(f->st, "ghost", &v1, other, NOW), STORE_E_NOT_FOUND);
    assert_int_equal(store_device_progress(f->st, "ghost", other, 1, 2, NOW),
                     STORE_E_NOT_FOUND);
    assert_string_equal(store_errmsg(f->st), "no device 'ghost'");
}

/* ==== images ===================================================================== */

static void test_image_add_and_get(void **state)
{
    struct fixture *f = *state;
    struct store_image img, got;
    char path[512];
    uint8_t *copy;
    size_t n;
    struct stat sb;
    FILE *fp;

    n = make_image(image_buf, sizeof(image_buf), &f->key, 2, 0, 1);
    /* No key set: refused, unless told not to verify. */
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW, &img), STORE_E_NO_SETTING);
    assert_non_null(strstr(store_errmsg(f->st), "no public key"));
    set_key(f);
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW, &img), 0);
    assert_int_equal(img.verified, 1);
    assert_int_equal(img.verify_error, 0);
    assert_string_equal(img.version, "2.0.0");
    assert_int_equal(img.size, n);
    assert_int_equal(img.header.security_counter, 2);
    assert_int_equal(img.header.payload_size, 3001);
    assert_int_equal(img.manifest_size, 512 + 96);
    assert_memory_equal(img.manifest, image_buf, 512);
    assert_memory_equal(img.manifest + 512, image_buf + 512 + 3001, 96);
    assert_memory_equal(img.digest, image_buf + 512 + 3001, 32);
    /* The file: named by the digest, the image's bytes. */
    assert_int_equal(store_image_path(f->st, img.digest, path, sizeof(path)), 0);
    assert_non_null(strstr(path, "/images/"));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, (off_t)n);
    copy = malloc(n);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(copy, 1, n, fp), n);
    fclose(fp);
    assert_memory_equal(copy, image_buf, n);
    free(copy);
    assert_int_equal(store_image_path(f->st, img.digest, path, 20), STORE_E_INVAL);
    assert_int_equal(store_image_path(f->st, img.digest, path, sizeof(path)), 0);
    /* By digest. */
    assert_int_equal(store_image_get(f->st, img.digest, &got), 0);
    assert_memory_equal(got.manifest, img.manifest, img.manifest_size);
    assert_int_equal(got.size, img.size);
    assert_int_equal(got.verified, 1);
    assert_int_equal(got.added, NOW);
    assert_int_equal(got.header.has_key_id, 1);
    /* The same bytes again: already stored. */
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW + 1, &got), 1);
    assert_memory_equal(got.digest, img.digest, 32);
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM images"), 1);
    /* Its file lost: added again, the file is back. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW + 1, NULL), 1);
    assert_int_equal(stat(path, &sb), 0);
    memset(got.digest, 0xee, 32);
    assert_int_equal(store_image_get(f->st, got.digest, &got), STORE_E_NOT_FOUND);
    assert_non_null(strstr(store_errmsg(f->st), "no image with digest eeee"));
}

static void test_image_refusals(void **state)
{
    struct fixture *f = *state;
    struct store_image img;
    struct test_key other;
    size_t n;

    set_key(f);
    n = make_image(image_buf, sizeof(image_buf), &f->key, 2, 0, 1);
    /* A payload byte changed: digest mismatch; nothing stored. */
    image_buf[600] ^= 1;
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW, &img), STORE_E_IMAGE);
    assert_int_equal(img.verify_error, FOTA_E_DIGEST);
    assert_non_null(strstr(store_errmsg(f->st), "digest mismatch"));
    image_buf[600] ^= 1;
    /* Signature byte. */
    image_buf[n - 1] ^= 1;
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW, &img), STORE_E_IMAGE);
    assert_int_equal(img.verify_error, FOTA_E_SIGNATURE);
    assert_non_null(strstr(store_errmsg(f->st), "bad signature"));
    image_buf[n - 1] ^= 1;
    /* Truncated, trailing bytes, not an image. */
    assert_int_equal(store_image_add(f->st, image_buf, n - 1, 0, NOW, &img), STORE_E_IMAGE);
    assert_non_null(strstr(store_errmsg(f->st), "truncated"));
    assert_int_equal(store_image_add(f->st, image_buf, n + 1, 0, NOW, &img), STORE_E_IMAGE);
    assert_non_null(strstr(store_errmsg(f->st), "trailing"));
    assert_int_equal(store_image_add(f->st, (const uint8_t *)"hello world", 11, 0, NOW, &img),
                     STORE_E_IMAGE);
    assert_int_equal(img.verify_error, FOTA_E_MAGIC);
    /* Signed with another key. */
    test_key_make(&other, 99);
    n = make_image(image_buf, sizeof(image_buf), &other, 3, 0, 2);
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW, &img), STORE_E_IMAGE);
    assert_int_equal(img.verify_error, FOTA_E_SIGNATURE);
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM images"), 0);
    /* ... unless told not to verify: stored, marked. The header must still parse. */
    assert_int_equal(store_image_add(f->st, image_buf, n, STORE_IMAGE_NO_VERIFY, NOW, &img), 0);
    assert_int_equal(img.verified, 0);
    assert_int_equal(img.verify_error, FOTA_E_SIGNATURE);
    assert_int_equal(store_image_add(f->st, (const uint8_t *)"hello world", 11,
                                     STORE_IMAGE_NO_VERIFY, NOW, &img), STORE_E_IMAGE);
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM images"), 1);
    assert_int_equal(sql_int(f->datadir, "SELECT verified FROM images"), 0);
    /* A tampered copy of a stored image has its digest: refused even with
     * no-verify, and the stored one kept. */
    n = make_image(image_buf, sizeof(image_buf), &f->key, 2, 0, 1);
    assert_int_equal(store_image_add(f->st, image_buf, n, 0, NOW, &img), 0);
    image_buf[700] ^= 0x80;
    assert_int_equal(store_image_add(f->st, image_buf, n, STORE_IMAGE_NO_VERIFY, NOW, NULL),
                     STORE_E_EXISTS);
    assert_non_null(strstr(store_errmsg(f->st), "already stored (version 2.0.0)"));
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM images"), 2);
    assert_int_equal(store_check(f->st), 0);
}

struct collect {
    char names[16][48];
    int count;
    int stop_at; /* return 7 at this index, -1 never */
};

static int collect_image(void *ctx, const struct store_image *img)
{
    struct collect *c = ctx;

    snprintf(c->names[c->count], sizeof(c->names[0]), "%s", img->version);
    return c->count++ == c->stop_at ? 7 : 0;
}

static void test_image_find(void **state)
{
    struct fixture *f = *state;
    struct store_image a, b, c, got;
    struct collect col = {.stop_at = -1};
    char hex[65], prefix[17];
    size_t i;

    set_key(f);
    add_image(f, 3, 0, 1, &c);
    add_image(f, 1, 1, 2, &a);
    add_image(f, 1, 2, 3, &b);
    assert_int_equal(store_image_find(f->st, "3.0.0", &got), 0);
    assert_memory_equal(got.digest, c.digest, 32);
    assert_int_equal(store_image_find(f->st, "3.0.0+0", &got), 0);
    assert_int_equal(store_image_find(f->st, "1.0.0+2", &got), 0);
    assert_memory_equal(got.digest, b.digest, 32);
    assert_int_equal(store_image_find(f->st, "1.0.0", &got), STORE_E_AMBIGUOUS);
    assert_non_null(strstr(store_errmsg(f->st), "2 images match '1.0.0'"));
    assert_non_null(strstr(store_errmsg(f->st), "1.0.0+1"));
    assert_non_null(strstr(store_errmsg(f->st), "1.0.0+2"));
    assert_int_equal(store_image_find(f->st, "4.0.0", &got), STORE_E_NOT_FOUND);
    assert_string_equal(store_errmsg(f->st), "no image with version 4.0.0");
    assert_int_equal(store_image_find(f->st, "1.0.0+3", &got), STORE_E_NOT_FOUND);
    assert_int_equal(store_image_find(f->st, "latest", &got), STORE_E_INVAL);
    /* By digest, whole or a prefix, any case. */
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", a.digest[i]);
    assert_int_equal(store_image_find(f->st, hex, &got), 0);
    assert_memory_equal(got.digest, a.digest, 32);
    memcpy(prefix, hex, 8);
    prefix[8] = '\0';
    assert_int_equal(store_image_find(f->st, prefix, &got), 0);
    assert_memory_equal(got.digest, a.digest, 32);
    assert_int_equal(store_image_find(f->st, "0000000000000000", &got), STORE_E_NOT_FOUND);
    assert_int_equal(store_image_find(f->st, "abc", &got), STORE_E_INVAL);
    /* Listing in version order; a non-zero return stops it. */
    assert_int_equal(store_images_each(f->st, collect_image, &col), 0);
    assert_int_equal(col.count, 3);
    assert_string_equal(col.names[0], "1.0.0+1");
    assert_string_equal(col.names[1], "1.0.0+2");
    assert_string_equal(col.names[2], "3.0.0");
    memset(&col, 0, sizeof(col));
    col.stop_at = 1;
    assert_int_equal(store_images_each(f->st, collect_image, &col), 7);
    assert_int_equal(col.count, 2);
}

/* ==== assignments ================================================================= */

static void assigned_is(struct fixture *f, const char *id, const struct store_image *img,
                        int by_group)
{
    struct store_device d;

    assert_int_equal(store_device_get(f->st, id, &d), 0);
    if (img == NULL) {
        assert_int_equal(d.has_assigned, 0);
        return;
    }
    if (!d.has_assigned || memcmp(d.assigned_digest, img->digest, 32) != 0)
        fail_msg("device %s: not assigned %s", id, img->version);
    assert_int_equal(d.assigned_by_group, by_group);
    assert_memory_equal(&d.assigned_version, &img->header.version,
                        sizeof(struct fota_version));
    assert_int_equal(d.assigned_size, img->size);
}

static void test_assign(void **state)
{
    struct fixture *f = *state;
    struct store_image v2, v3, v4;
    uint8_t missing[32];

    set_key(f);
    add_image(f, 2, 0, 1, &v2);
    add_image(f, 3, 0, 2, &v3);
    add_image(f, 4, 0, 3, &v4);
    assert_int_equal(store_device_add(f->st, "a", "field", NULL, NOW, NULL), 0);
    assert_int_equal(store_device_add(f->st, "b", "field", NULL, NOW, NULL), 0);
    assert_int_equal(store_device_add(f->st, "c", "lab", NULL, NOW, NULL), 0);
    assert_int_equal(store_device_add(f->st, "d", NULL, NULL, NOW, NULL), 0);
    assigned_is(f, "a", NULL, 0);

    /* One device. */
    assert_int_equal(store_assign_device(f->st, "a", v2.digest, NOW), 0);
    assigned_is(f, "a", &v2, 0);
    assigned_is(f, "b", NULL, 0);
    /* A group: its devices, the one with its own assignment included. */
    assert_int_equal(store_assign_group(f->st, "field", v3.digest, NOW), 2);
    assigned_is(f, "a", &v3, 1);
    assigned_is(f, "b", &v3, 1);
    assigned_is(f, "c", NULL, 0);
    assigned_is(f, "d", NULL, 0);
    /* A device's own assignment overrides the group's afterwards. */
    assert_int_equal(store_assign_device(f->st, "b", v4.digest, NOW), 0);
    assigned_is(f, "b", &v4, 0);
    assigned_is(f, "a", &v3, 1);
    /* A device added to the group later follows the group. */
    assert_int_equal(store_device_add(f->st, "e", "field", NULL, NOW, NULL), 0);
    assigned_is(f, "e", &v3, 1);
    /* Clearing the device's own assignment: back to the group's. */
    assert_int_equal(store_assign_device(f->st, "b", NULL, NOW), 0);
    assigned_is(f, "b", &v3, 1);
    /* A group with no device yet. */
    assert_int_equal(store_assign_group(f->st, "future", v2.digest, NOW), 0);
    assert_int_equal(store_device_add(f->st, "f", "future", NULL, NOW, NULL), 0);
    assigned_is(f, "f", &v2, 1);
    /* Clearing the group's. */
    assert_int_equal(store_assign_group(f->st, "field", NULL, NOW), 3);
    assigned_is(f, "a", NULL, 0);
    /* Refusals. */
    assert_int_equal(store_assign_device(f->st, "nobody", v2.digest, NOW), STORE_E_NOT_FOUND);
    assert_string_equal(store_errmsg(f->st), "no device 'nobody'");
    memset(missing, 0xab, sizeof(missing));
    assert_int_equal(store_assign_device(f->st, "a", missing, NOW), STORE_E_NOT_FOUND);
    assert_non_null(strstr(store_errmsg(f->st), "no image with digest abab"));
    assert_int_equal(store_assign_group(f->st, "field", missing, NOW), STORE_E_NOT_FOUND);
    assert_int_equal(store_assign_group(f->st, "bad group", v2.digest, NOW), STORE_E_INVAL);
    assigned_is(f, "a", NULL, 0);
    assert_int_equal(store_check(f->st), 0);
}

/* ==== reports and the event log ====================================================== */

struct events {
    int count;
    char kinds[32][32];
    char details[32][256];
    char devices[32][STORE_ID_MAX + 1];
    int64_t last_seq;
    int ordered;
};

static int collect_event(void *ctx, const struct store_event_row *e)
{
    struct events *ev = ctx;

    if (ev->count < 32) {
        snprintf(ev->kinds[ev->count], 32, "%s", e->kind);
        snprintf(ev->details[ev->count], 256, "%s", e->detail);
        snprintf(ev->devices[ev->count], STORE_ID_MAX + 1, "%s", e->device);
    }
    if (e->seq <= ev->last_seq)
        ev->ordered = 0;
    ev->last_seq = e->seq;
    ev->count++;
    return 0;
}

static void test_reports(void **state)
{
    struct fixture *f = *state;
    struct store_result r = {
        .sequence = 1,
        .event = STORE_EVENT_DOWNLOADED,
        .version = {2, 0, 0, 0},
    };
    struct events ev = {.ordered = 1};
    struct store_device d;
    char buf[160];

    memset(r.digest, 0x22, sizeof(r.digest));
    assert_int_equal(store_device_add(f->st, "dev", NULL, NULL, NOW, NULL), 0);
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW + 1), 0);
    /* Sent again (REPORTED lost): stored once. */
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW + 2), 1);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(d.has_result, 1);
    assert_int_equal(d.result.event, STORE_EVENT_DOWNLOADED);
    assert_int_equal(d.result_time, NOW + 1);
    r.sequence = 2;
    r.event = STORE_EVENT_REVERTED;
    r.reason = FOTA_BOOT_REASON_NOT_CONFIRMED;
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW + 3), 0);
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW + 3), 1);
    assert_int_equal(store_device_get(f->st, "dev", &d), 0);
    assert_int_equal(d.result.sequence, 2);
    assert_int_equal(d.result.event, STORE_EVENT_REVERTED);
    assert_int_equal(d.result.reason, FOTA_BOOT_REASON_NOT_CONFIRMED);
    assert_memory_equal(d.result.digest, r.digest, 32);
    assert_int_equal(d.last_seen, NOW + 3);
    store_result_describe(buf, sizeof(buf), &d.result);
    assert_string_equal(buf, "reverted 2.0.0: not confirmed");
    /* The sequence repeats with another content: the device started
     * counting again; stored. */
    r.sequence = 1;
    r.event = STORE_EVENT_REFUSED;
    r.reason = 0;
    r.error = FOTA_E_SIGNATURE;
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW + 4), 0);
    /* Another device's report with the same sequence is its own. */
    assert_int_equal(store_device_add(f->st, "dev2", NULL, NULL, NOW, NULL), 0);
    assert_int_equal(store_device_report(f->st, "dev2", &r, NOW + 4), 0);
    /* Refusals. */
    assert_int_equal(store_device_report(f->st, "ghost", &r, NOW), STORE_E_NOT_FOUND);
    r.event = 9;
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW), STORE_E_INVAL);
    r.event = 0;
    assert_int_equal(store_device_report(f->st, "dev", &r, NOW), STORE_E_INVAL);
    /* The log: one row per stored report, in order, with its description. */
    assert_int_equal(store_events_each(f->st, "dev", 0, collect_event, &ev), 0);
    assert_int_equal(ev.count, 4); /* added + 3 reports */
    assert_true(ev.ordered);
    assert_string_equal(ev.kinds[0], "added");
    assert_string_equal(ev.kinds[1], "downloaded");
    assert_string_equal(ev.details[1], "downloaded 2.0.0");
    assert_string_equal(ev.kinds[2], "reverted");
    assert_string_equal(ev.kinds[3], "refused");
    assert_string_equal(ev.details[3], "refused 2.0.0: bad signature");
    /* The newest 2 of all, oldest first. */
    memset(&ev, 0, sizeof(ev));
    ev.ordered = 1;
    assert_int_equal(store_events_each(f->st, NULL, 2, collect_event, &ev), 0);
    assert_int_equal(ev.count, 2);
    assert_string_equal(ev.devices[1], "dev2");
    assert_string_equal(ev.kinds[1], "refused");
    assert_true(ev.ordered);
}

static void test_event_log(void **state)
{
    struct fixture *f = *state;
    struct events ev = {.ordered = 1};

    assert_int_equal(store_event_log(f->st, "unknown-id", "auth-failed", "from 10.0.0.1:5000",
                                     NOW), 0);
    assert_int_equal(store_event_log(f->st, "bad id", "auth-failed", NULL, NOW), 0);
    assert_int_equal(store_event_log(f->st, NULL, "started", "fotad", NOW), 0);
    assert_int_equal(store_event_log(f->st, NULL, "", "x", NOW), STORE_E_INVAL);
    assert_int_equal(store_events_each(f->st, NULL, 0, collect_event, &ev), 0);
    assert_int_equal(ev.count, 3);
    assert_string_equal(ev.devices[0], "unknown-id");
    assert_string_equal(ev.details[0], "from 10.0.0.1:5000");
    assert_string_equal(ev.devices[1], ""); /* a malformed id is not stored */
    assert_string_equal(ev.details[1], "");
    assert_string_equal(ev.kinds[2], "started");
}

static void test_result_describe(void **state)
{
    struct store_result r = {.event = STORE_EVENT_CONFIRMED, .version = {2, 0, 0, 0}};
    char buf[160];

    (void)state;
    store_result_describe(buf, sizeof(buf), &r);
    assert_string_equal(buf, "confirmed 2.0.0");
    r.event = STORE_EVENT_INSTALLED;
    r.reason = FOTA_BOOT_REASON_REQUESTED;
    r.version.build = 7;
    store_result_describe(buf, sizeof(buf), &r);
    assert_string_equal(buf, "installed 2.0.0+7");
    r.event = STORE_EVENT_REFUSED;
    r.reason = FOTA_BOOT_REASON_ROLLBACK;
    r.error = FOTA_E_ROLLBACK;
    store_result_describe(buf, sizeof(buf), &r);
    assert_non_null(strstr(buf, "refused 2.0.0+7: rollback refused ("));
    memset(&r, 0, sizeof(r));
    r.event = STORE_EVENT_FAILED;
    r.error = FOTA_E_IO;
    store_result_describe(buf, sizeof(buf), &r);
    assert_string_equal(buf, "failed: I/O error");
    r.event = 42;
    r.error = 0;
    store_result_describe(buf, sizeof(buf), &r);
    assert_string_equal(buf, "event 42");
    assert_string_equal(store_event_name(STORE_EVENT_DOWNLOADED), "downloaded");
    assert_string_equal(store_strerror(STORE_E_NOT_FOUND), "not found");
}

/* ==== status listing ============================================================== */

struct listing {
    char ids[8][STORE_ID_MAX + 1];
    int percent[8];
    int count;
};

static int collect_device(void *ctx, const struct store_device *d)
{
    struct listing *l = ctx;

    snprintf(l->ids[l->count], sizeof(l->ids[0]), "%s", d->id);
    l->percent[l->count] = store_device_percent(d);
    l->count++;
    return strcmp(d->id, "stop") == 0 ? 5 : 0;
}

static void test_device_listing(void **state)
{
    struct fixture *f = *state;
    struct listing l = {.count = 0};
    struct store_image img;

    set_key(f);
    add_image(f, 2, 0, 1, &img);
    assert_int_equal(store_devices_each(f->st, collect_device, &l), 0);
    assert_int_equal(l.count, 0);
    assert_int_equal(store_device_add(f->st, "m", "g", NULL, NOW, NULL), 0);
    assert_int_equal(store_device_add(f->st, "b", "g", NULL, NOW, NULL), 0);
    assert_int_equal(store_device_add(f->st, "x", NULL, NULL, NOW, NULL), 0);
    assert_int_equal(store_assign_group(f->st, "g", img.digest, NOW), 2);
    assert_int_equal(store_device_progress(f->st, "m", img.digest, img.size / 2, img.size,
                                           NOW), 0);
    assert_int_equal(store_devices_each(f->st, collect_device, &l), 0);
    assert_int_equal(l.count, 3);
    assert_string_equal(l.ids[0], "b");
    assert_string_equal(l.ids[1], "m");
    assert_string_equal(l.ids[2], "x");
    assert_int_equal(l.percent[0], 0);
    assert_int_equal(l.percent[1], 49); /* 1804 of 3609 bytes, rounded down */
    assert_int_equal(l.percent[2], -1);
    assert_int_equal(store_device_add(f->st, "stop", NULL, NULL, NOW, NULL), 0);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_devices_each(f->st, collect_device, &l), 5);
    assert_int_equal(l.count, 3); /* b, m, stop */
}

/* ==== transactions ================================================================= */

static void test_transactions(void **state)
{
    struct fixture *f = *state;
    struct store_device d;
    char id[16];
    int i;

    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_begin(f->st), STORE_E_INVAL);
    for (i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "t%d", i);
        assert_int_equal(store_device_add(f->st, id, NULL, NULL, NOW, NULL), 0);
    }
    /* A failing call inside the group undoes only itself. */
    assert_int_equal(store_device_add(f->st, "t0", NULL, NULL, NOW, NULL), STORE_E_EXISTS);
    assert_int_equal(store_commit(f->st), 0);
    assert_int_equal(store_commit(f->st), STORE_E_INVAL);
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM devices"), 50);
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_device_add(f->st, "gone", NULL, NULL, NOW, NULL), 0);
    assert_int_equal(store_device_get(f->st, "gone", &d), 0);
    store_rollback(f->st);
    assert_int_equal(store_device_get(f->st, "gone", &d), STORE_E_NOT_FOUND);
    store_rollback(f->st); /* no group: nothing */
    assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM devices"), 50);
}

/* ==== two processes ================================================================= */

/* A child holds the write lock (inside store_begin) for hold_ms, then
 * commits; the parent writes meanwhile. */
static void test_concurrent_writer(void **state)
{
    struct fixture *f = *state;
    struct store_config quick = {200, 0};
    char msg[STORE_MSG_SIZE];
    struct store_device d;
    struct store *other;
    int ready[2], status;
    double t0, waited;
    pid_t pid;
    char c;

    assert_int_equal(pipe(ready), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *st;
        int ok;

        close(ready[0]);
        if (store_open(&st, f->datadir, NULL, msg, sizeof(msg)) != 0)
            _exit(10);
        ok = store_begin(st) == 0 &&
             store_device_add(st, "from-child", NULL, NULL, NOW, NULL) == 0;
        if (write(ready[1], "x", 1) != 1 || !ok)
            _exit(11);
        sleep_us(800 * 1000);
        ok = store_commit(st) == 0;
        store_close(st);
        _exit(ok ? 0 : 12);
    }
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);

    /* A reader does not wait and does not see the uncommitted row. */
    t0 = now_seconds();
    assert_int_equal(store_device_get(f->st, "from-child", &d), STORE_E_NOT_FOUND);
    assert_true(now_seconds() - t0 < 0.5);
    /* A writer with a short timeout gives up with STORE_E_BUSY ... */
    assert_int_equal(store_open(&other, f->datadir, &quick, msg, sizeof(msg)), 0);
    t0 = now_seconds();
    assert_int_equal(store_device_add(other, "too-soon", NULL, NULL, NOW, NULL), STORE_E_BUSY);
    waited = now_seconds() - t0;
    assert_true(waited >= 0.15);
    assert_non_null(strstr(store_errmsg(other), "locked"));
    store_close(other);
    /* ... one with the default timeout waits for the commit and succeeds. */
    t0 = now_seconds();
    assert_int_equal(store_device_add(f->st, "after", NULL, NULL, NOW, NULL), 0);
    waited = now_seconds() - t0;
    assert_true(waited >= 0.2);
    assert_true(waited < 5.0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(store_device_get(f->st, "from-child", &d), 0);
    assert_int_equal(store_device_get(f->st, "too-soon", &d), STORE_E_NOT_FOUND);
}

/* The child writes groups of related rows as fast as it can: a device, its
 * progress and its report in one transaction, and progress updates on their
 * own; it is killed at a random instant. */
static void killed_writer(const char *datadir, unsigned round)
{
    struct store_result r = {.event = STORE_EVENT_CONFIRMED, .version = {1, 0, 0, 0}};
    uint8_t digest[32];
    char msg[STORE_MSG_SIZE], id[32];
    struct store *st;
    unsigned i;

    if (store_open(&st, datadir, NULL, msg, sizeof(msg)) != 0)
        _exit(10);
    memset(digest, 0x33, sizeof(digest));
    for (i = 0;; i++) {
        snprintf(id, sizeof(id), "r%u-%u", round, i);
        r.sequence = i;
        if (store_begin(st) != 0 || store_device_add(st, id, "k", NULL, NOW, NULL) != 0 ||
            store_device_progress(st, id, digest, i, 1000000, NOW) != 0 ||
            store_device_report(st, id, &r, NOW) != 0 || store_commit(st) != 0)
            _exit(11);
        if (store_device_progress(st, id, digest, i + 1, 1000000, NOW + 1) != 0)
            _exit(12);
    }
}

static void test_sigkill_writer(void **state)
{
    struct fixture *f = *state;
    struct store_device d;
    unsigned round;
    int status;
    pid_t pid;
    int64_t devices, reports;

    store_close(f->st);
    f->st = NULL;
    for (round = 0; round < 6; round++) {
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            killed_writer(f->datadir, round);
        sleep_us(100 * 1000 + randombytes_uniform(300 * 1000));
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("round %u: the writer stopped by itself, status 0x%x", round, status);
        f->st = open_ok(f->datadir, 0);
        if (store_check(f->st) != 0)
            fail_msg("round %u: %s", round, store_errmsg(f->st));
        /* Every committed group is whole: each device has its report row. */
        devices = sql_int(f->datadir, "SELECT count(*) FROM devices");
        reports = sql_int(f->datadir, "SELECT count(*) FROM events WHERE kind = 'confirmed'");
        assert_true(devices > 0);
        assert_int_equal(devices, reports);
        assert_int_equal(sql_int(f->datadir, "SELECT count(*) FROM devices WHERE "
                                             "result_event IS NULL OR progress_total = 0"), 0);
        assert_int_equal(store_device_get(f->st, "r0-0", &d), 0);
        assert_int_equal(d.has_result, 1);
        /* And it takes writes again. */
        assert_int_equal(store_event_log(f->st, NULL, "restart", NULL, NOW), 0);
        store_close(f->st);
        f->st = NULL;
    }
    f->st = open_ok(f->datadir, 0);
    assert_int_equal(store_check(f->st), 0);
}

/* ==== provisioning ================================================================= */

static void provision_sample(struct provision *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->id, sizeof(p->id), "dev-001");
    memset(p->secret, 0xa5, sizeof(p->secret));
    snprintf(p->server, sizeof(p->server), "fota.example.com:9995");
    p->has_public_key = 1;
    memset(p->public_key, 0x3c, sizeof(p->public_key));
}

static void test_provision_text(void **state)
{
    struct provision p, q;
    char buf[PROVISION_FILE_MAX], msg[STORE_MSG_SIZE];
    int n;

    (void)state;
    provision_sample(&p);
    n = provision_format(&p, buf, sizeof(buf), msg, sizeof(msg));
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_non_null(strstr(buf, "\nid = dev-001\n"));
    assert_non_null(strstr(buf, "\nsecret = a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"
                                "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5\n"));
    assert_non_null(strstr(buf, "\nserver = fota.example.com:9995\n"));
    assert_non_null(strstr(buf, "\npublic_key = 3c3c3c3c"));
    assert_int_equal(buf[0], '#');
    assert_int_equal(provision_parse(&q, buf, (size_t)n, msg, sizeof(msg)), 0);
    assert_memory_equal(&q, &p, sizeof(p));
    assert_int_equal(provision_format(&p, buf, 40, msg, sizeof(msg)), STORE_E_INVAL);
    p.server[0] = '\0';
    assert_int_equal(provision_format(&p, buf, sizeof(buf), msg, sizeof(msg)), STORE_E_INVAL);
    assert_non_null(strstr(msg, "no server address"));
}

static void parse_fails(const char *text, const char *why)
{
    char msg[STORE_MSG_SIZE] = "";
    struct provision p;

    assert_int_equal(provision_parse(&p, text, strlen(text), msg, sizeof(msg)), STORE_E_INVAL);
    if (strstr(msg, why) == NULL)
        fail_msg("parse: expected '%s' in '%s'", why, msg);
}

#define HEX64A "A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5"
#define HEX64B "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"

static void test_provision_parse(void **state)
{
    static const char loose[] = "# comment\r\n"
                                "\r\n"
                                "  id=dev-001  \r\n"
                                "\tsecret =\t" HEX64A "\r\n"
                                "future_key = whatever it is\r\n"
                                "server = fota.example.com:9995\r\n"
                                "public_key = " HEX64B; /* no final newline */
    char msg[STORE_MSG_SIZE];
    struct provision p, want;

    (void)state;
    provision_sample(&want);
    assert_int_equal(provision_parse(&p, loose, strlen(loose), msg, sizeof(msg)), 0);
    assert_memory_equal(&p, &want, sizeof(p));
    parse_fails("id = a\nsecret = " HEX64A "\nserver = h:1\n", "no public_key line");
    parse_fails("secret = " HEX64A "\nserver = h:1\npublic_key = " HEX64B "\n", "no id line");
    parse_fails("id = a\nid = b\n", "line 2: id given twice");
    parse_fails("id = a b\n", "line 1: bad id");
    parse_fails("id = a\nsecret = 1234\n", "line 2: secret must be 64 hex digits");
    parse_fails("id = a\nsecret = " HEX64A "x\n", "secret must be 64 hex digits");
    parse_fails("id = a\nsecret = " HEX64A "\npublic_key = zz\n",
                "line 3: public_key must be 64 hex digits");
    parse_fails("server = nowhere\n", "line 1: bad server 'nowhere'");
    parse_fails("just words\n", "line 1: expected 'key = value'");
    assert_int_equal(provision_parse(&p, "id = a\0b", 8, msg, sizeof(msg)), STORE_E_INVAL);
    assert_non_null(strstr(msg, "NUL"));
}

static void test_provision_files(void **state)
{
    struct fixture *f = *state;
    struct store_device d;
    struct provision p;
    char path[512], msg[STORE_MSG_SIZE];
    struct stat sb;

    assert_int_equal(store_device_add(f->st, "dev-9", NULL, NULL, NOW, &d), 0);
    /* The settings are needed. */
    assert_int_equal(store_provision_write(f->st, "dev-9", NULL), STORE_E_NO_SETTING);
    assert_non_null(strstr(store_errmsg(f->st), "no server address"));
    assert_int_equal(store_set_server(f->st, "127.0.0.1:9995"), 0);
    assert_int_equal(store_provision_write(f->st, "dev-9", NULL), STORE_E_NO_SETTING);
    assert_non_null(strstr(store_errmsg(f->st), "no public key"));
    set_key(f);
    assert_int_equal(store_provision_write(f->st, "dev-9", NULL), 0);
    assert_int_equal(store_provision_path(f->st, "dev-9", path, sizeof(path)), 0);
    assert_non_null(strstr(path, "/provision/dev-9.conf"));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(provision_read(path, &p, msg, sizeof(msg)), 0);
    assert_string_equal(p.id, "dev-9");
    assert_memory_equal(p.secret, d.secret, STORE_SECRET_SIZE);
    assert_string_equal(p.server, "127.0.0.1:9995");
    assert_memory_equal(p.public_key, f->key.pub, 32);
    /* Elsewhere, not replacing an existing file when asked not to. */
    snprintf(path, sizeof(path), "%s/dev.conf", f->dir);
    assert_int_equal(provision_write(path, &p, 1, msg, sizeof(msg)), 0);
    assert_int_equal(provision_write(path, &p, 1, msg, sizeof(msg)), STORE_E_EXISTS);
    assert_non_null(strstr(msg, "already exists"));
    assert_int_equal(provision_write(path, &p, 0, msg, sizeof(msg)), 0);
    assert_int_equal(store_provision_write(f->st, "nobody", NULL), STORE_E_NOT_FOUND);
    assert_int_equal(store_provision_path(f->st, "../x", path, sizeof(path)), STORE_E_INVAL);
    snprintf(path, sizeof(path), "%s/none.conf", f->dir);
    assert_int_equal(provision_read(path, &p, msg, sizeof(msg)), STORE_E_IO);
    assert_non_null(strstr(msg, "none.conf: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_not_initialised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_again_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_migrates, setup, teardown),
        cmocka_unit_test(test_id_check),
        cmocka_unit_test(test_server_check),
        cmocka_unit_test(test_version_text),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_add_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hello_and_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_add_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_log, setup, teardown),
        cmocka_unit_test(test_result_describe),
        cmocka_unit_test_setup_teardown(test_device_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_writer, setup, teardown),
        cmocka_unit_test(test_provision_text),
        cmocka_unit_test(test_provision_parse),
        cmocka_unit_test_setup_teardown(test_provision_files, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
