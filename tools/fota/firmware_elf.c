/*
 * ELF reader (32- and 64-bit, little-endian executables).
 *
 * What gets loaded is what `objcopy -O binary` would write: every allocated
 * section that has file contents (not .bss), at its load address (LMA). The
 * LMA comes from the PT_LOAD segment holding the section's bytes:
 * p_paddr + (sh_offset - p_offset). Sections rather than whole segments,
 * because linkers put the ELF header and alignment padding into segments
 * (a segment often starts at 0x08005000 with the ELF header in it when the
 * code starts at 0x08005200); those bytes are not firmware.
 *
 * A file without section headers is loaded by segments: each PT_LOAD with
 * p_filesz > 0 at p_paddr, its first p_filesz bytes (p_memsz beyond that is
 * zero-initialised RAM, not part of the image).
 */
#include <string.h>

#include "fota/bytes.h"
#include "firmware_int.h"
#include "util.h"

#define PT_LOAD 1
#define SHT_NOBITS 8
#define SHF_ALLOC 0x2
#define SHN_XINDEX 0xffff
#define ET_REL 1

struct elf {
    const char *path;
    const uint8_t *file;
    size_t len;
    int is64;
    uint64_t phoff, shoff;
    unsigned phentsize, shentsize;
    size_t phnum, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz;
};

struct elf_shdr {
    uint32_t name, type;
    uint64_t flags, offset, size;
};

/* Word of the file's class at off (bounds checked by the caller). */
static uint64_t elf_word(const struct elf *e, uint64_t off)
{
    return e->is64 ? fota_load64_le(e->file + off) : fota_load32_le(e->file + off);
}

static int elf_table_ok(const struct elf *e, uint64_t off, size_t num, unsigned entsize,
                        unsigned min_entsize)
{
    return entsize >= min_entsize && off <= e->len && num <= (e->len - off) / entsize;
}

static void elf_phdr_read(const struct elf *e, size_t i, struct elf_phdr *ph)
{
    uint64_t off = e->phoff + (uint64_t)i * e->phentsize;

    ph->type = fota_load32_le(e->file + off);
    if (e->is64) {
        ph->offset = fota_load64_le(e->file + off + 8);
        ph->paddr = fota_load64_le(e->file + off + 24);
        ph->filesz = fota_load64_le(e->file + off + 32);
    } else {
        ph->offset = fota_load32_le(e->file + off + 4);
        ph->paddr = fota_load32_le(e->file + off + 12);
        ph->filesz = fota_load32_le(e->file + off + 16);
    }
}

static void elf_shdr_read(const struct elf *e, size_t i, struct elf_shdr *sh)
{
    uint64_t off = e->shoff + (uint64_t)i * e->shentsize;

    sh->name = fota_load32_le(e->file + off);
    sh->type = fota_load32_le(e->file + off + 4);
    sh->flags = elf_word(e, off + 8);
    sh->offset = elf_word(e, off + (e->is64 ? 24 : 16));
    sh->size = elf_word(e, off + (e->is64 ? 32 : 20));
}

static int elf_header(struct elf *e)
{
    const uint8_t *f = e->file;

    if (e->len < 4 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F') {
        tool_error("%s: not an ELF file (no 7f 45 4c 46 magic)", e->path);
        return -1;
    }
    if (e->len < 52 || f[4] < 1 || f[4] > 2) {
        tool_error("%s: not a valid ELF file (bad class or too short)", e->path);
        return -1;
    }
    e->is64 = f[4] == 2;
    if (f[5] != 1) {
        tool_error("%s: big-endian ELF is not supported", e->path);
        return -1;
    }
    if (e->is64 && e->len < 64) {
        tool_error("%s: not a valid ELF file (too short)", e->path);
        return -1;
    }
    if (fota_load16_le(f + 16) == ET_REL) {
        tool_error("%s: a relocatable object (.o), not a linked executable", e->path);
        return -1;
    }
    e->phoff = elf_word(e, e->is64 ? 32 : 28);
    e->shoff = elf_word(e, e->is64 ? 40 : 32);
    e->phentsize = fota_load16_le(f + (e->is64 ? 54 : 42));
    e->phnum = fota_load16_le(f + (e->is64 ? 56 : 44));
    e->shentsize = fota_load16_le(f + (e->is64 ? 58 : 46));
    e->shnum = fota_load16_le(f + (e->is64 ? 60 : 48));
    e->shstrndx = fota_load16_le(f + (e->is64 ? 62 : 50));
    if (!elf_table_ok(e, e->phoff, e->phnum, e->phentsize, e->is64 ? 56 : 32)) {
        tool_error("%s: program header table at offset %llu is outside the file", e->path,
                   (unsigned long long)e->phoff);
        return -1;
    }
    if (e->shoff == 0) {
        e->shnum = 0;
        return 0;
    }
    if (!elf_table_ok(e, e->shoff, e->shnum ? e->shnum : 1, e->shentsize, e->is64 ? 64 : 40)) {
        tool_error("%s: section header table at offset %llu is outside the file", e->path,
                   (unsigned long long)e->shoff);
        return -1;
    }
    if (e->shnum == 0 || e->shstrndx == SHN_XINDEX) {
        /* Extended numbering: the real values sit in section header 0. */
        uint64_t off0 = e->shoff;

        if (e->shnum == 0)
            e->shnum = (size_t)elf_word(e, off0 + (e->is64 ? 32 : 20));
        if (e->shstrndx == SHN_XINDEX)
            e->shstrndx = fota_load32_le(e->file + off0 + (e->is64 ? 40 : 24));
        if (!elf_table_ok(e, e->shoff, e->shnum, e->shentsize, e->is64 ? 64 : 40)) {
            tool_error("%s: section header table is outside the file", e->path);
            return -1;
        }
    }
    return 0;
}

/* The section's name, or "" when the string table is unusable. */
static const char *elf_section_name(const struct elf *e, const struct elf_shdr *sh)
{
    struct elf_shdr strtab;

    if (e->shstrndx >= e->shnum)
        return "";
    elf_shdr_read(e, e->shstrndx, &strtab);
    if (strtab.offset > e->len || strtab.size > e->len - strtab.offset ||
        sh->name >= strtab.size ||
        memchr(e->file + strtab.offset + sh->name, '\0', strtab.size - sh->name) == NULL)
        return "";
    return (const char *)e->file + strtab.offset + sh->name;
}

/* Finds the LMA of file bytes [offset, offset + size) from the PT_LOAD
 * segment holding them; returns 0 or -1 when no segment holds them. */
static int elf_lma(const struct elf *e, uint64_t offset, uint64_t size, uint64_t *lma)
{
    size_t i;

    for (i = 0; i < e->phnum; i++) {
        struct elf_phdr ph;

        elf_phdr_read(e, i, &ph);
        if (ph.type != PT_LOAD || offset < ph.offset || offset - ph.offset > ph.filesz ||
            size > ph.filesz - (offset - ph.offset))
            continue;
        *lma = ph.paddr + (offset - ph.offset);
        return 0;
    }
    return -1;
}

static int elf_by_sections(const struct elf *e, struct fw_pieces *p)
{
    size_t i;

    p->where_name = "section";
    for (i = 1; i < e->shnum; i++) {
        struct elf_shdr sh;
        const char *name;
        uint64_t lma;

        elf_shdr_read(e, i, &sh);
        if (!(sh.flags & SHF_ALLOC) || sh.type == SHT_NOBITS || sh.size == 0)
            continue;
        name = elf_section_name(e, &sh);
        if (sh.offset > e->len || sh.size > e->len - sh.offset) {
            tool_error("%s: section %zu (%s) lies outside the file", e->path, i, name);
            return -1;
        }
        if (elf_lma(e, sh.offset, sh.size, &lma) != 0) {
            tool_error("%s: section %zu (%s) is allocated but in no loadable segment",
                       e->path, i, name);
            return -1;
        }
        if (fw_pieces_add(p, lma, sh.size, e->file + sh.offset, i, name)) {
            tool_error("%s: out of memory", e->path);
            return -1;
        }
    }
    return 0;
}

static int elf_by_segments(const struct elf *e, struct fw_pieces *p)
{
    size_t i;

    p->where_name = "segment";
    for (i = 0; i < e->phnum; i++) {
        struct elf_phdr ph;

        elf_phdr_read(e, i, &ph);
        if (ph.type != PT_LOAD || ph.filesz == 0)
            continue;
        if (ph.offset > e->len || ph.filesz > e->len - ph.offset) {
            tool_error("%s: segment %zu lies outside the file", e->path, i);
            return -1;
        }
        if (fw_pieces_add(p, ph.paddr, ph.filesz, e->file + ph.offset, i, NULL)) {
            tool_error("%s: out of memory", e->path);
            return -1;
        }
    }
    return 0;
}

int firmware_elf_parse(struct firmware *fw, const char *path, const uint8_t *file, size_t len)
{
    struct elf e;
    struct fw_pieces pieces;
    int err;

    memset(&e, 0, sizeof(e));
    memset(&pieces, 0, sizeof(pieces));
    e.path = path;
    e.file = file;
    e.len = len;
    if (elf_header(&e) != 0)
        return -1;
    err = e.shnum > 0 ? elf_by_sections(&e, &pieces) : elf_by_segments(&e, &pieces);
    if (err == 0)
        err = firmware_assemble(fw, path, &pieces);
    fw_pieces_free(&pieces);
    return err;
}
