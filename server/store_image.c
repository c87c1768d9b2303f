/*
 * The store's images: adding a signed image (verified with the store's key,
 * written to DATADIR/images/<digest>.img), and finding images by digest,
 * version or digest prefix (see store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fota/error.h"
#include "store_int.h"

#define IMAGE_COLUMNS                                                         \
    "SELECT digest, major, minor, patch, build, version, counter,"            \
    " header_size, payload_size, load_address, size, manifest, verified, added" \
    " FROM images "
#define IMAGE_ORDER " ORDER BY major, minor, patch, build, digest"

enum {
    ICOL_DIGEST, ICOL_VERSION, ICOL_VERSION_TEXT = 5, ICOL_COUNTER, ICOL_HEADER_SIZE,
    ICOL_PAYLOAD_SIZE, ICOL_LOAD_ADDRESS, ICOL_SIZE, ICOL_MANIFEST, ICOL_VERIFIED,
    ICOL_ADDED,
};

/* ==== reading ================================================================ */

static int image_from_row(struct store *st, struct store_image *img, sqlite3_stmt *s)
{
    const void *manifest = sqlite3_column_blob(s, ICOL_MANIFEST);
    int manifest_size = sqlite3_column_bytes(s, ICOL_MANIFEST);
    uint32_t header_size = (uint32_t)sqlite3_column_int64(s, ICOL_HEADER_SIZE);
    char hex[2 * STORE_DIGEST_SIZE + 1];

    memset(img, 0, sizeof(*img));
    store_col_digest(s, ICOL_DIGEST, img->digest);
    host_hex(hex, img->digest, STORE_DIGEST_SIZE);
    if (manifest == NULL || manifest_size <= 0 || manifest_size > STORE_MANIFEST_MAX ||
        (uint32_t)manifest_size != header_size + FOTA_IMAGE_TRAILER_SIZE)
        return store_fail(st, STORE_E_IO, "%s: image %s: stored manifest is malformed",
                          st->db_path, hex);
    memcpy(img->manifest, manifest, (size_t)manifest_size);
    img->manifest_size = (uint32_t)manifest_size;
    /* The header as the core reads it (key id included); it parsed when the
     * image was added, so a failure here means the database was altered. */
    if (fota_image_header_parse(&img->header, img->manifest, header_size) != 0)
        return store_fail(st, STORE_E_IO, "%s: image %s: stored header does not parse",
                          st->db_path, hex);
    snprintf(img->version, sizeof(img->version), "%s",
             (const char *)sqlite3_column_text(s, ICOL_VERSION_TEXT));
    img->size = (uint32_t)sqlite3_column_int64(s, ICOL_SIZE);
    img->verified = sqlite3_column_int(s, ICOL_VERIFIED);
    img->added = sqlite3_column_int64(s, ICOL_ADDED);
    return 0;
}

int store_image_get(struct store *st, const uint8_t digest[STORE_DIGEST_SIZE],
                    struct store_image *img)
{
    char hex[2 * STORE_DIGEST_SIZE + 1];
    sqlite3_stmt *s = store_stmt(st, STMT_IMAGE_GET, IMAGE_COLUMNS "WHERE digest = ?1");
    int rc, err = 0;

    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_blob(s, 1, digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        err = image_from_row(st, img, s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        host_hex(hex, digest, STORE_DIGEST_SIZE);
        return store_fail(st, STORE_E_NOT_FOUND, "no image with digest %s", hex);
    }
    return rc == SQLITE_ROW ? err : store_db_fail(st, rc, "reading an image");
}

int store_images_each(struct store *st, store_image_fn fn, void *ctx)
{
    struct store_image *img = malloc(sizeof(*img));
    sqlite3_stmt *s = store_stmt(st, STMT_IMAGE_LIST, IMAGE_COLUMNS IMAGE_ORDER);
    int rc = SQLITE_DONE, r = 0;

    if (img == NULL)
        return store_fail(st, STORE_E_NOMEM, "out of memory");
    if (s == NULL) {
        free(img);
        return STORE_E_IO;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        r = image_from_row(st, img, s);
        if (r == 0)
            r = fn(ctx, img);
        if (r != 0)
            break;
    }
    sqlite3_reset(s);
    free(img);
    if (r != 0)
        return r;
    return rc == SQLITE_DONE ? 0 : store_db_fail(st, rc, "listing images");
}

int store_image_path(const struct store *st, const uint8_t digest[STORE_DIGEST_SIZE],
                     char *buf, size_t size)
{
    char hex[2 * STORE_DIGEST_SIZE + 1];
    int n;

    host_hex(hex, digest, STORE_DIGEST_SIZE);
    n = snprintf(buf, size, "%s/%s/%s.img", st->datadir, STORE_IMAGES_DIR, hex);
    return n < 0 || (size_t)n >= size ? STORE_E_INVAL : 0;
}

/* ==== finding by name ========================================================= */

static int is_hex_prefix(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 8 || n > 2 * STORE_DIGEST_SIZE)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

int store_image_find(struct store *st, const char *name, struct store_image *img)
{
    char lower[2 * STORE_DIGEST_SIZE + 1], list[STORE_MSG_SIZE - 96] = "", hex[17];
    struct fota_version v;
    struct store_image *row;
    sqlite3_stmt *s;
    int has_build, rc, count = 0, err = 0;
    size_t i;

    if (name == NULL)
        return store_fail(st, STORE_E_INVAL, "no image version given");
    if (store_version_parse(name, &v, &has_build) == 0) {
        s = store_stmt(st, STMT_IMAGE_BY_VERSION,
                       IMAGE_COLUMNS "WHERE major = ?1 AND minor = ?2 AND patch = ?3"
                       " AND (?5 IS NULL OR build = ?4)" IMAGE_ORDER);
        if (s == NULL)
            return STORE_E_IO;
        store_bind_version(s, 1, &v);
        if (has_build)
            sqlite3_bind_int(s, 5, 1);
    } else if (is_hex_prefix(name)) {
        for (i = 0; name[i] != '\0'; i++)
            lower[i] = (name[i] >= 'A' && name[i] <= 'F') ? (char)(name[i] - 'A' + 'a')
                                                          : name[i];
        lower[i] = '\0';
        s = store_stmt(st, STMT_IMAGE_BY_PREFIX,
                       IMAGE_COLUMNS "WHERE substr(lower(hex(digest)), 1, length(?1)) = ?1"
                       IMAGE_ORDER);
        if (s == NULL)
            return STORE_E_IO;
        sqlite3_bind_text(s, 1, lower, -1, SQLITE_TRANSIENT);
    } else {
        return store_fail(st, STORE_E_INVAL, "bad image version '%s': expected "
                          "MAJOR.MINOR.PATCH[+BUILD] or a digest (8 to 64 hex digits)", name);
    }
    row = malloc(sizeof(*row));
    if (row == NULL) {
        sqlite3_reset(s);
        return store_fail(st, STORE_E_NOMEM, "out of memory");
    }
    while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        err = image_from_row(st, row, s);
        if (err != 0)
            break;
        if (count == 0)
            *img = *row;
        host_hex(hex, row->digest, 8);
        if (strlen(list) + 64 < sizeof(list))
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s (digest %s)",
                     count ? ", " : "", row->version, hex);
        count++;
    }
    sqlite3_reset(s);
    free(row);
    if (err != 0)
        return err;
    if (rc != SQLITE_DONE)
        return store_db_fail(st, rc, "finding an image");
    if (count == 0)
        return store_fail(st, STORE_E_NOT_FOUND, "no image with %s %s",
                          is_hex_prefix(name) && strchr(name, '.') == NULL ? "digest"
                                                                            : "version",
                          name);
    if (count > 1)
        return store_fail(st, STORE_E_AMBIGUOUS, "%d images match '%s': %s; name one by "
                          "its build (+N) or digest", count, name, list);
    return 0;
}

/* ==== adding ==================================================================== */

struct mem_source {
    const uint8_t *data;
    uint32_t len;
};

static int mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    const struct mem_source *m = ctx;

    if (offset > m->len || len > m->len - offset)
        return FOTA_E_TRUNCATED;
    memcpy(buf, m->data + offset, len);
    return 0;
}

/* 1 when the file at path holds exactly data[0..len), 0 when it differs,
 * -1 when it cannot be read. */
static int file_equals(const char *path, const uint8_t *data, size_t len)
{
    uint8_t buf[4096];
    size_t at = 0;
    int fd = open(path, O_RDONLY), same = 1;

    if (fd < 0)
        return -1;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            same = -1;
            break;
        }
        if (n == 0)
            break;
        if ((size_t)n > len - at || memcmp(buf, data + at, (size_t)n) != 0) {
            same = 0;
            break;
        }
        at += (size_t)n;
    }
    close(fd);
    return same == 1 && at != len ? 0 : same;
}

/* Parses, sizes and (unless told not to) verifies the image; fills img. */
static int image_check(struct store *st, const uint8_t *data, size_t len, unsigned flags,
                       struct store_image *img)
{
    uint8_t scratch[FOTA_IMAGE_MAX_HEADER_SIZE];
    struct store_settings set;
    struct fota_image_source src;
    struct mem_source mem;
    struct fota_image_header hdr;
    uint32_t total;
    int err;

    err = fota_image_header_parse(&img->header, data, len);
    if (err != 0) {
        img->verify_error = err;
        return store_fail(st, STORE_E_IMAGE, "not a valid fota image: %s",
                          fota_strerror(err));
    }
    total = fota_image_total_size(&img->header);
    if (total == 0 || len < total) {
        img->verify_error = FOTA_E_TRUNCATED;
        return store_fail(st, STORE_E_IMAGE, "truncated: %zu bytes, the header says "
                          "%lu", len, (unsigned long)total);
    }
    if (len > total)
        return store_fail(st, STORE_E_IMAGE, "trailing garbage: %zu bytes after the end "
                          "of the image at byte %lu", len - total, (unsigned long)total);
    err = store_settings_get(st, &set);
    if (err != 0)
        return err;
    if (!set.has_public_key && !(flags & STORE_IMAGE_NO_VERIFY))
        return store_fail(st, STORE_E_NO_SETTING, "%s: no public key configured to verify "
                          "images: set it with fota -d %s init -k PUB.pem", st->datadir,
                          st->datadir);
    if (set.has_public_key) {
        mem.data = data;
        mem.len = (uint32_t)len;
        src.ctx = &mem;
        src.read = mem_read;
        src.size = (uint32_t)len;
        err = fota_image_verify(&src, set.public_key, scratch, sizeof(scratch), &hdr);
        img->verify_error = err;
        img->verified = err == 0;
        if (err != 0 && !(flags & STORE_IMAGE_NO_VERIFY))
            return store_fail(st, STORE_E_IMAGE, "image fails verification: %s",
                              fota_strerror(err));
    }
    memcpy(img->digest, data + img->header.header_size + img->header.payload_size,
           STORE_DIGEST_SIZE);
    memcpy(img->manifest, data, img->header.header_size);
    memcpy(img->manifest + img->header.header_size,
           data + img->header.header_size + img->header.payload_size,
           FOTA_IMAGE_TRAILER_SIZE);
    img->manifest_size = img->header.header_size + FOTA_IMAGE_TRAILER_SIZE;
    img->size = total;
    store_version_format(img->version, sizeof(img->version), &img->header.version);
    return 0;
}

static int image_insert(struct store *st, const struct store_image *img)
{
    sqlite3_stmt *s = store_stmt(st, STMT_IMAGE_ADD,
                                 "INSERT INTO images (digest, major, minor, patch, build,"
                                 " version, counter, header_size, payload_size, load_address,"
                                 " size, manifest, verified, added) VALUES (?1, ?2, ?3, ?4,"
                                 " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");

    if (s == NULL)
        return STORE_E_IO;
    sqlite3_bind_blob(s, 1, img->digest, STORE_DIGEST_SIZE, SQLITE_STATIC);
    store_bind_version(s, 2, &img->header.version);
    sqlite3_bind_text(s, 6, img->version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, img->header.security_counter);
    sqlite3_bind_int64(s, 8, img->header.header_size);
    sqlite3_bind_int64(s, 9, img->header.payload_size);
    sqlite3_bind_int64(s, 10, img->header.load_address);
    sqlite3_bind_int64(s, 11, img->size);
    sqlite3_bind_blob(s, 12, img->manifest, (int)img->manifest_size, SQLITE_STATIC);
    sqlite3_bind_int(s, 13, img->verified);
    sqlite3_bind_int64(s, 14, img->added);
    return store_stmt_run(st, s, "recording an image");
}

int store_image_add(struct store *st, const uint8_t *data, size_t len, unsigned flags,
                    int64_t now, struct store_image *out)
{
    char path[4096], hex[2 * STORE_DIGEST_SIZE + 1], detail[128];
    struct store_image *img = calloc(2, sizeof(*img));
    struct store_image *old = img + 1;
    int err, same, added = 0;

    if (img == NULL)
        return store_fail(st, STORE_E_NOMEM, "out of memory");
    if (len > UINT32_MAX) {
        err = store_fail(st, STORE_E_IMAGE, "too large for a fota image (%zu bytes)", len);
        goto out;
    }
    img->added = now;
    err = image_check(st, data, len, flags, img);
    if (err != 0)
        goto out;
    host_hex(hex, img->digest, STORE_DIGEST_SIZE);
    snprintf(path, sizeof(path), "%s/%s", st->datadir, STORE_IMAGES_DIR);
    if (store_mkdir(path, 0755) != 0) {
        err = store_fail(st, STORE_E_IO, "%s: cannot create: %s", path, strerror(errno));
        goto out;
    }
    if (store_image_path(st, img->digest, path, sizeof(path)) != 0) {
        err = store_fail(st, STORE_E_INVAL, "%s: data directory path too long", st->datadir);
        goto out;
    }
    /* Under the write lock, so that the check, the file and the row agree
     * even when two processes add images at once. */
    err = store_op_begin(st);
    if (err != 0)
        goto out;
    err = store_image_get(st, img->digest, old);
    if (err == 0) {
        same = file_equals(path, data, len);
        if (same == 0 || old->size != img->size)
            err = store_fail(st, STORE_E_EXISTS, "another image with digest %s is already "
                             "stored (version %s)", hex, old->version);
        else if (same < 0) /* the row without its file: write the file again */
            err = store_file_write_atomic(path, data, len, 0644, 0, st->msg, sizeof(st->msg));
        old->verify_error = img->verify_error;
        *img = *old;
    } else if (err == STORE_E_NOT_FOUND) {
        /* The file before the row: a crash in between leaves a file no row
         * names, which the next add of this image replaces. */
        err = store_file_write_atomic(path, data, len, 0644, 0, st->msg, sizeof(st->msg));
        if (err == 0)
            err = image_insert(st, img);
        if (err == 0) {
            snprintf(detail, sizeof(detail), "%s %.16s%s", img->version, hex,
                     img->verified ? "" : " (not verified)");
            err = store_event_log(st, NULL, "image-added", detail, now);
        }
        added = 1;
    }
    err = store_op_end(st, err);
    if (err == 0 && !added)
        err = 1;
out:
    if (out != NULL)
        *out = *img;
    free(img);
    return err;
}
