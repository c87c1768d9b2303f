#include "test_boot_sim.h"

#include <stdlib.h>
#include <string.h>

#include "fota/error.h"

#define SMALL_BASE 0x08000000u
#define SMALL_PAGE 256u

const struct fota_posix_flash_geometry boot_sim_small_geometry = {
    .base = SMALL_BASE,
    .size = 32u * SMALL_PAGE,
    .page_size = SMALL_PAGE,
    .write_size = 2u,
    .erased = 0xFFu,
};

const struct fota_boot_layout boot_sim_small_layout = {
    .state_addr = SMALL_BASE + 2u * SMALL_PAGE,
    .primary_addr = SMALL_BASE + 4u * SMALL_PAGE,
    .primary_pages = 9u,
    .secondary_addr = SMALL_BASE + 13u * SMALL_PAGE,
    .secondary_pages = 8u,
};

static void *checked_malloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL)
        abort();
    return p;
}

void boot_sim_open(struct boot_sim *sim, const struct fota_posix_flash_geometry *geo,
                   const struct fota_boot_layout *layout, uint32_t buf_size)
{
    memset(sim, 0, sizeof(*sim));
    if (fota_posix_flash_open(&sim->flash, NULL, geo) != 0)
        abort();
    test_key_make(&sim->key, 0x5A);
    sim->buf = checked_malloc(buf_size);
    sim->cfg.flash = &sim->flash.flash;
    sim->cfg.layout = *layout;
    sim->cfg.public_key = sim->key.pub;
    sim->cfg.buf = sim->buf;
    sim->cfg.buf_size = buf_size;
}

void boot_sim_close(struct boot_sim *sim)
{
    fota_posix_flash_close(&sim->flash);
    free(sim->buf);
    sim->buf = NULL;
}

void boot_sim_image_make_at(const struct boot_sim *sim, struct boot_sim_image *img,
                            uint8_t major, uint32_t counter, uint32_t payload_size,
                            uint16_t header_size, uint8_t seed, uint32_t load_address)
{
    struct test_image_spec spec = {
        .version = {major, 0, 0, seed},
        .security_counter = counter,
        .payload_size = payload_size,
        .load_address = load_address,
        .header_size = header_size,
        .payload_seed = seed,
    };
    size_t cap = (size_t)header_size + payload_size + FOTA_IMAGE_TRAILER_SIZE;

    img->bytes = checked_malloc(cap);
    img->size = (uint32_t)test_image_make(img->bytes, cap, &sim->key, &spec);
    if (img->size == 0)
        abort();
    img->version = spec.version;
    img->counter = counter;
}

void boot_sim_image_make(const struct boot_sim *sim, struct boot_sim_image *img,
                         uint8_t major, uint32_t counter, uint32_t payload_size,
                         uint16_t header_size, uint8_t seed)
{
    boot_sim_image_make_at(sim, img, major, counter, payload_size, header_size, seed,
                           sim->cfg.layout.primary_addr + header_size);
}

void boot_sim_image_copy(struct boot_sim_image *dst, const struct boot_sim_image *src)
{
    *dst = *src;
    dst->bytes = checked_malloc(src->size);
    memcpy(dst->bytes, src->bytes, src->size);
}

void boot_sim_image_free(struct boot_sim_image *img)
{
    free(img->bytes);
    img->bytes = NULL;
}

void boot_sim_factory(struct boot_sim *sim, uint32_t slot_addr, uint32_t slot_pages,
                      const struct boot_sim_image *img)
{
    const struct fota_flash *fl = &sim->flash.flash;
    uint8_t *at = sim->flash.mem + (slot_addr - fl->base);

    memset(at, fl->erased, (size_t)slot_pages * fl->page_size);
    if (img != NULL)
        memcpy(at, img->bytes, img->size);
}

int boot_sim_download(struct boot_sim *sim, const struct boot_sim_image *img)
{
    const struct fota_flash *fl = &sim->flash.flash;
    uint32_t addr = sim->cfg.layout.secondary_addr;
    uint32_t page = fl->page_size;
    uint8_t *chunk = checked_malloc(page);
    int err = 0;

    for (uint32_t off = 0; err == 0 && off < img->size; off += page)
        err = fl->erase(fl->ctx, addr + off);
    for (uint32_t off = 0; err == 0 && off < img->size; off += page) {
        uint32_t n = img->size - off < page ? img->size - off : page;

        memset(chunk, fl->erased, page);
        memcpy(chunk, img->bytes + off, n);
        n = (n + fl->write_size - 1) / fl->write_size * fl->write_size;
        err = fl->prog(fl->ctx, addr + off, chunk, n);
    }
    free(chunk);
    return err;
}

int boot_sim_holds(const struct boot_sim *sim, uint32_t addr, const struct boot_sim_image *img)
{
    return memcmp(sim->flash.mem + (addr - sim->flash.flash.base), img->bytes, img->size) == 0;
}

uint32_t boot_sim_page(const struct boot_sim *sim, uint32_t addr)
{
    return (addr - sim->flash.flash.base) / sim->flash.flash.page_size;
}
