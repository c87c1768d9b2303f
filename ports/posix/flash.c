/*
 * Host flash model: see fota/posix_flash.h for the rules it enforces.
 */
#define _POSIX_C_SOURCE 200809L

#include "fota/posix_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fota/error.h"

const struct fota_posix_flash_geometry fota_posix_flash_stm32f103ze = {
    .base = 0x08000000u,
    .size = 512u * 1024u,
    .page_size = 2048u,
    .write_size = 2u,
    .erased = 0xFFu,
};

/* XL density: two banks of 256 pages, one address range to the core. */
const struct fota_posix_flash_geometry fota_posix_flash_stm32f103zg = {
    .base = 0x08000000u,
    .size = 1024u * 1024u,
    .page_size = 2048u,
    .write_size = 2u,
    .erased = 0xFFu,
};

/* ---- geometry and argument checks ---- */

static int geometry_ok(const struct fota_posix_flash_geometry *g)
{
    return g->size > 0 && g->page_size > 0 &&
           (g->page_size & (g->page_size - 1)) == 0 &&
           g->size % g->page_size == 0 && g->write_size > 0 &&
           g->page_size % g->write_size == 0 &&
           g->size - 1 <= UINT32_MAX - g->base; /* last byte addressable */
}

/* Written so that no sum can wrap: addr + len may exceed 32 bits. */
static int in_range(const struct fota_flash *fl, uint32_t addr, uint32_t len)
{
    return addr >= fl->base && addr - fl->base <= fl->size &&
           len <= fl->size - (addr - fl->base);
}

static int prog_args_ok(const struct fota_flash *fl, uint32_t addr,
                        uint32_t len)
{
    return in_range(fl, addr, len) && (addr - fl->base) % fl->write_size == 0 &&
           len % fl->write_size == 0;
}

static int erase_args_ok(const struct fota_flash *fl, uint32_t addr)
{
    return in_range(fl, addr, fl->page_size) &&
           (addr - fl->base) % fl->page_size == 0;
}

/* ---- the generator behind the partial effects of a cut ---- */

/* splitmix64: one multiply-xorshift step per draw, enough to scatter the
 * outcomes; seeding with the op number as well as the seed makes a cut at
 * another operation look different under the same seed. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t rng_seed(const struct fota_posix_flash *f, uint64_t op)
{
    return ((uint64_t)f->cut_seed << 32) ^ op;
}

/* How much of the interrupted work got done. The extremes are picked
 * explicitly because independent coin flips per byte or bit would in practice
 * never leave a whole page old or a whole unit untouched, and recovery code
 * must be tested against exactly those. */
enum cut_mix { MIX_NONE, MIX_ALL, MIX_RANDOM };

static enum cut_mix pick_mix(uint64_t *s)
{
    switch (rng_next(s) % 4) {
    case 0: return MIX_NONE;
    case 1: return MIX_ALL;
    default: return MIX_RANDOM;
    }
}

/* A byte mask: the bits (or, using bit 0, the bytes) the cut work reached. */
static uint8_t mix_mask(enum cut_mix mix, uint64_t *s)
{
    switch (mix) {
    case MIX_NONE: return 0x00;
    case MIX_ALL: return 0xFF;
    default: return (uint8_t)rng_next(s);
    }
}

/* ---- operations ---- */

/* Counts the call as one operation and reports it before it takes effect, so
 * a sweep knows which operation a cut hit. */
static uint64_t begin_op(struct fota_posix_flash *f,
                         enum fota_posix_flash_op kind, uint32_t addr,
                         uint32_t len)
{
    uint64_t op = ++f->ops;
    if (f->trace)
        f->trace(f->trace_arg, op, kind, addr, len);
    return op;
}

static int power_cut(struct fota_posix_flash *f)
{
    f->off = 1;
    return FOTA_E_IO;
}

static int all_bytes(const uint8_t *p, uint32_t n, uint8_t v)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* The controller refuses (PGERR) a unit that is not erased, except that
 * RM0008 lets an all-zero half-word be programmed over anything. */
static int unit_programmable(const struct fota_posix_flash *f,
                             const uint8_t *dst, const uint8_t *src)
{
    uint32_t n = f->flash.write_size;
    return all_bytes(dst, n, f->flash.erased) || all_bytes(src, n, 0x00);
}

/* Unit by unit like the chip, so units before a refused one stay programmed.
 * Writing the new value is what NOR's bit clearing gives, since the target is
 * erased (or the value is all zero). */
static int prog_units(struct fota_posix_flash *f, uint8_t *dst,
                      const uint8_t *src, uint32_t units)
{
    uint32_t n = f->flash.write_size;
    for (uint32_t i = 0; i < units; i++, dst += n, src += n) {
        if (!unit_programmable(f, dst, src))
            return FOTA_E_NOT_ERASED;
        memcpy(dst, src, n);
    }
    return 0;
}

/* The unit being programmed when the power went: any subset of the bits it
 * was clearing got cleared. A unit the controller would refuse stays as is. */
static void prog_partial_unit(struct fota_posix_flash *f, uint64_t op,
                              uint8_t *dst, const uint8_t *src)
{
    if (!unit_programmable(f, dst, src))
        return;
    uint64_t s = rng_seed(f, op);
    enum cut_mix mix = pick_mix(&s);
    for (uint32_t i = 0; i < f->flash.write_size; i++) {
        uint8_t clearing = (uint8_t)(dst[i] & ~src[i]);
        dst[i] = (uint8_t)(dst[i] & ~(clearing & mix_mask(mix, &s)));
    }
}

static int prog_cut(struct fota_posix_flash *f, uint64_t op, uint8_t *dst,
                    const uint8_t *src, uint32_t units)
{
    uint32_t n = f->flash.write_size;
    uint32_t done = f->cut_units < units ? f->cut_units : units;
    if (prog_units(f, dst, src, done) == 0 && done < units)
        prog_partial_unit(f, op, dst + done * n, src + done * n);
    return power_cut(f);
}

static int flash_prog(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    struct fota_posix_flash *f = ctx;
    if (f->off)
        return FOTA_E_IO;
    /* A rejected call never reaches the controller: it is not an operation,
     * so it does not shift the numbering a sweep arms cuts by. */
    if (!prog_args_ok(&f->flash, addr, len))
        return FOTA_E_INVAL;
    uint64_t op = begin_op(f, FOTA_POSIX_FLASH_PROG, addr, len);
    uint8_t *dst = f->mem + (addr - f->flash.base);
    uint32_t units = len / f->flash.write_size;
    if (op == f->cut_at)
        return prog_cut(f, op, dst, buf, units);
    return prog_units(f, dst, buf, units);
}

/* Every byte of the page ends up either old or erased. */
static void erase_cut(struct fota_posix_flash *f, uint64_t op, uint8_t *page)
{
    uint64_t s = rng_seed(f, op);
    enum cut_mix mix = pick_mix(&s);
    for (uint32_t i = 0; i < f->flash.page_size; i++)
        if (mix_mask(mix, &s) & 1)
            page[i] = f->flash.erased;
}

static int flash_erase(void *ctx, uint32_t addr)
{
    struct fota_posix_flash *f = ctx;
    if (f->off)
        return FOTA_E_IO;
    if (!erase_args_ok(&f->flash, addr))
        return FOTA_E_INVAL;
    uint64_t op = begin_op(f, FOTA_POSIX_FLASH_ERASE, addr, f->flash.page_size);
    uint32_t off = addr - f->flash.base;
    uint8_t *page = f->mem + off;
    /* Counted even when cut: a started erase wears the page all the same. */
    f->erase_count[off / f->flash.page_size]++;
    if (op == f->cut_at) {
        erase_cut(f, op, page);
        return power_cut(f);
    }
    memset(page, f->flash.erased, f->flash.page_size);
    return 0;
}

static int flash_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    struct fota_posix_flash *f = ctx;
    if (f->off)
        return FOTA_E_IO;
    if (!in_range(&f->flash, addr, len))
        return FOTA_E_INVAL;
    if (len > 0) /* buf may be NULL then, which memcpy does not allow */
        memcpy(buf, f->mem + (addr - f->flash.base), len);
    return 0;
}

/* ---- backing store ---- */

/* Opens path read-write, creating it when missing; *created says which. */
static int open_or_create(const char *path, int *created)
{
    *created = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    *created = fd >= 0;
    return fd;
}

static int check_size(int fd, uint32_t size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return FOTA_E_IO;
    return st.st_size == (off_t)size ? 0 : FOTA_E_INVAL;
}

static int set_size(int fd, uint32_t size)
{
    return ftruncate(fd, (off_t)size) == 0 ? 0 : FOTA_E_IO;
}

/* Undoes a failed open without losing the errno the caller is told about;
 * a file this call created is removed so that a retry starts afresh. */
static void discard_file(int fd, const char *path, int created)
{
    int saved = errno;
    close(fd);
    if (created)
        unlink(path);
    errno = saved;
}

static int map_file(struct fota_posix_flash *f, const char *path,
                    uint32_t size, uint8_t erased)
{
    int created;
    int fd = open_or_create(path, &created);
    if (fd < 0)
        return FOTA_E_IO;
    int err = created ? set_size(fd, size) : check_size(fd, size);
    void *mem = MAP_FAILED;
    if (err == 0) {
        mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (mem == MAP_FAILED)
            err = FOTA_E_IO;
    }
    if (err != 0) {
        discard_file(fd, path, created);
        return err;
    }
    if (created)
        memset(mem, erased, size);
    f->mem = mem;
    f->fd = fd;
    return 0;
}

static int alloc_mem(struct fota_posix_flash *f, uint32_t size, uint8_t erased)
{
    f->mem = calloc(size, 1);
    if (f->mem == NULL)
        return FOTA_E_IO;
    memset(f->mem, erased, size);
    return 0;
}

/* ---- public API ---- */

int fota_posix_flash_open(struct fota_posix_flash *f, const char *path,
                          const struct fota_posix_flash_geometry *geo)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (geo == NULL || !geometry_ok(geo))
        return FOTA_E_INVAL;
    /* Filled in first so that close() knows the mapping's size on any path. */
    f->flash = (struct fota_flash){
        .ctx = f,
        .read = flash_read,
        .prog = flash_prog,
        .erase = flash_erase,
        .base = geo->base,
        .size = geo->size,
        .page_size = geo->page_size,
        .write_size = geo->write_size,
        .erased = geo->erased,
    };
    f->erase_count = calloc(geo->size / geo->page_size, sizeof *f->erase_count);
    int err = FOTA_E_IO;
    if (f->erase_count != NULL)
        err = path ? map_file(f, path, geo->size, geo->erased)
                   : alloc_mem(f, geo->size, geo->erased);
    if (err != 0)
        fota_posix_flash_close(f);
    return err;
}

/* fd is only trusted next to a mapping: a zeroed struct has fd 0, which is
 * not ours to close. */
void fota_posix_flash_close(struct fota_posix_flash *f)
{
    if (f->mem != NULL && f->fd >= 0) {
        munmap(f->mem, f->flash.size);
        close(f->fd);
    } else {
        free(f->mem);
    }
    free(f->erase_count);
    f->mem = NULL;
    f->erase_count = NULL;
    f->fd = -1;
}

void fota_posix_flash_cut_at(struct fota_posix_flash *f, uint64_t op,
                             uint32_t units, uint32_t seed)
{
    f->cut_at = op;
    f->cut_units = units;
    f->cut_seed = seed;
}

void fota_posix_flash_power_on(struct fota_posix_flash *f)
{
    f->off = 0;
    f->cut_at = 0;
}
