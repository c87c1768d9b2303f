/* Helpers shared by the crypto tests (see test_crypto_util.h). */
#include "test_crypto_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prng_seed(struct prng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t prng_next(struct prng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ z >> 27) * 0x94d049bb133111ebULL;
    return z ^ z >> 31;
}

uint32_t prng_below(struct prng *r, uint32_t n)
{
    return (uint32_t)(prng_next(r) % n);
}

void prng_fill(struct prng *r, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(prng_next(r) >> 56);
}

int vec_json_open(struct vec_json *j, const char *file)
{
    const char *dir = getenv("FOTA_TEST_VECTORS");
    char path[1024];
    FILE *f;
    long size;

    memset(j, 0, sizeof *j);
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "vectors", file);
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(j->text = malloc((size_t)size + 1)) ||
        fread(j->text, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        fclose(f);
        vec_json_close(j);
        return -1;
    }
    fclose(f);
    j->len = (size_t)size;
    j->text[j->len] = '\0';
    return 0;
}

static void skip_space(struct vec_json *j)
{
    while (j->pos < j->len && strchr(" \t\r\n", j->text[j->pos]))
        j->pos++;
}

/* At an opening quote: the contents up to the closing one, which is passed. */
static int read_string(struct vec_json *j, const char **s, size_t *n)
{
    size_t start = ++j->pos;

    while (j->pos < j->len && j->text[j->pos] != '"')
        j->pos += j->text[j->pos] == '\\' ? 2 : 1;
    if (j->pos >= j->len)
        return -1;
    *s = j->text + start;
    *n = j->pos++ - start;
    return 0;
}

static void read_value(struct vec_json *j, struct vec_pair *p)
{
    size_t start = j->pos;

    p->value = NULL;
    p->value_len = 0;
    if (j->pos >= j->len || j->text[j->pos] == '{' || j->text[j->pos] == '[')
        return;
    if (j->text[j->pos] == '"') {
        if (read_string(j, &p->value, &p->value_len) != 0)
            p->value = NULL;
        return;
    }
    while (j->pos < j->len && !strchr(",}] \t\r\n", j->text[j->pos]))
        j->pos++;
    p->value = j->text + start;
    p->value_len = j->pos - start;
}

int vec_json_next(struct vec_json *j, struct vec_pair *p)
{
    while (j->pos < j->len) {
        if (j->text[j->pos] != '"') {
            j->pos++;
            continue;
        }
        if (read_string(j, &p->name, &p->name_len) != 0)
            return -1;
        skip_space(j);
        if (j->pos < j->len && j->text[j->pos] == ':') {
            j->pos++;
            skip_space(j);
            read_value(j, p);
            return 1;
        }
    }
    return 0;
}

int vec_pair_is(const struct vec_pair *p, const char *name)
{
    return p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0;
}

long vec_pair_number(const struct vec_pair *p)
{
    long v = 0;

    if (!p->value || p->value_len == 0 || p->value_len > 9)
        return -1;
    for (size_t i = 0; i < p->value_len; i++) {
        if (p->value[i] < '0' || p->value[i] > '9')
            return -1;
        v = v * 10 + (p->value[i] - '0');
    }
    return v;
}

void vec_json_close(struct vec_json *j)
{
    free(j->text);
    memset(j, 0, sizeof *j);
}
