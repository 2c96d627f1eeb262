/* Shadow memory for the race analysis (see race_shadow.h): the granule
 * table (open addressing, linear probing, deletion by backward shift),
 * cell lists, the per-page counts and the bulk operations (clear a
 * range, sweep, evict). */
#include <stdlib.h>
#include <string.h>

#include "race_shadow.h"

#define PAGE_SHIFT 12
#define GRANS_PER_PAGE (1u << (PAGE_SHIFT - 3))

static inline size_t gran_hash(uint32_t proc1, uint64_t gran)
{
    uint64_t h = (gran ^ ((uint64_t)proc1 << 47)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h ^ (h >> 29));
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static void cells_release(struct race_gran *e)
{
    if (e->cap > RACE_INLINE)
        free(e->u.ext);
    e->cap = RACE_INLINE;
    e->n = 0;
}

/* ---- pages ---- */

static void page_add(struct race_shadow *s, uint32_t proc1, uint64_t gran)
{
    uint64_t page = gran >> (PAGE_SHIFT - 3);
    uint32_t n = an_map_get(&s->pages, proc1, page);
    an_map_put(&s->pages, proc1, page, n == AN_NONE ? 1 : n + 1);
}

static void page_sub(struct race_shadow *s, uint32_t proc1, uint64_t gran)
{
    uint64_t page = gran >> (PAGE_SHIFT - 3);
    uint32_t n = an_map_get(&s->pages, proc1, page);
    if (n == AN_NONE || n <= 1)
        an_map_del(&s->pages, proc1, page);
    else
        an_map_put(&s->pages, proc1, page, n - 1);
}

/* ---- the table ---- */

static void table_insert_moved(struct race_shadow *s, const struct race_gran *e)
{
    size_t mask = s->cap - 1;
    for (size_t i = gran_hash(e->proc1, e->gran) & mask;; i = (i + 1) & mask)
        if (!s->v[i].proc1) {
            s->v[i] = *e;
            return;
        }
}

static void table_resize(struct race_shadow *s, size_t cap)
{
    struct race_gran *old = s->v;
    size_t oldcap = s->cap;
    s->v = xcalloc(cap, sizeof *s->v);
    s->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].proc1)
            table_insert_moved(s, &old[i]);
    free(old);
}

struct race_gran *shadow_find(struct race_shadow *s, uint32_t proc,
                              uint64_t gran)
{
    if (!s->cap)
        return NULL;
    uint32_t proc1 = proc + 1;
    size_t mask = s->cap - 1;
    for (size_t i = gran_hash(proc1, gran) & mask;; i = (i + 1) & mask) {
        struct race_gran *e = &s->v[i];
        if (!e->proc1)
            return NULL;
        if (e->gran == gran && e->proc1 == proc1)
            return e;
    }
}

struct race_gran *shadow_get(struct race_shadow *s, uint32_t proc,
                             uint64_t gran)
{
    struct race_gran *e = shadow_find(s, proc, gran);
    if (e)
        return e;
    if ((s->n + 1) * 10 > s->cap * 7)
        table_resize(s, s->cap ? s->cap * 2 : 4096);
    uint32_t proc1 = proc + 1;
    size_t mask = s->cap - 1;
    size_t i = gran_hash(proc1, gran) & mask;
    while (s->v[i].proc1)
        i = (i + 1) & mask;
    e = &s->v[i];
    memset(e, 0, sizeof *e);
    e->gran = gran;
    e->proc1 = proc1;
    e->finding = AN_NONE;
    e->cap = RACE_INLINE;
    s->n++;
    if (s->n > s->peak)
        s->peak = s->n;
    page_add(s, proc1, gran);
    return e;
}

void shadow_delete(struct race_shadow *s, struct race_gran *e)
{
    size_t mask = s->cap - 1, i = (size_t)(e - s->v);
    page_sub(s, e->proc1, e->gran);
    cells_release(e);
    e->proc1 = 0;
    s->n--;
    for (size_t j = (i + 1) & mask; s->v[j].proc1; j = (j + 1) & mask) {
        size_t home = gran_hash(s->v[j].proc1, s->v[j].gran) & mask;
        bool between = i <= j ? (home > i && home <= j)
                              : (home > i || home <= j);
        if (!between) {
            s->v[i] = s->v[j];
            s->v[j].proc1 = 0;
            i = j;
        }
    }
}

/* ---- cells ---- */

bool shadow_cell_add(struct race_gran *e, const struct race_cell *c,
                     unsigned max)
{
    if (e->n >= max)
        return false;
    if (e->n == e->cap) {
        uint16_t cap = (uint16_t)(e->cap * 2);
        struct race_cell *v = malloc(cap * sizeof *v);
        if (!v)
            abort();
        memcpy(v, shadow_cells(e), e->n * sizeof *v);
        if (e->cap > RACE_INLINE)
            free(e->u.ext);
        e->u.ext = v;
        e->cap = cap;
    }
    shadow_cells(e)[e->n++] = *c;
    return true;
}

void shadow_cell_remove(struct race_gran *e, unsigned i)
{
    struct race_cell *v = shadow_cells(e);
    memmove(v + i, v + i + 1, (e->n - i - 1) * sizeof *v);
    e->n--;
}

/* ---- bulk ---- */

/* Rebuild the table from the granules `pick` keeps (others freed). */
typedef bool gran_pick_fn(void *ctx, struct race_gran *e);

static size_t table_filter(struct race_shadow *s, gran_pick_fn *pick,
                           void *ctx)
{
    struct race_gran *old = s->v;
    size_t oldcap = s->cap, dropped = 0;
    size_t cap = 4096;
    while (cap * 7 < s->n * 10 * 2 && cap < oldcap)
        cap *= 2;
    s->v = xcalloc(cap, sizeof *s->v);
    s->cap = cap;
    s->n = 0;
    an_map_free(&s->pages);
    for (size_t i = 0; i < oldcap; i++) {
        struct race_gran *e = &old[i];
        if (!e->proc1)
            continue;
        if (!pick(ctx, e)) {
            cells_release(e);
            dropped++;
            continue;
        }
        if ((s->n + 1) * 10 > s->cap * 7)
            table_resize(s, s->cap * 2);
        table_insert_moved(s, e);
        s->n++;
        page_add(s, e->proc1, e->gran);
    }
    free(old);
    return dropped;
}

struct range_ctx {
    uint32_t proc1;
    uint64_t lo, hi; /* granules */
};

static bool pick_outside(void *ctx, struct race_gran *e)
{
    const struct range_ctx *r = ctx;
    return e->proc1 != r->proc1 || e->gran < r->lo || e->gran >= r->hi;
}

void shadow_clear_range(struct race_shadow *s, uint32_t proc, uint64_t lo,
                        uint64_t hi)
{
    if (!s->n || hi <= lo)
        return;
    uint64_t glo = lo >> 3, ghi = (hi + 7) >> 3;
    uint64_t plo = lo >> PAGE_SHIFT, phi = (hi - 1) >> PAGE_SHIFT;
    if (phi - plo + 1 > s->n) { /* fewer granules than pages: scan them */
        struct range_ctx r = {proc + 1, glo, ghi};
        table_filter(s, pick_outside, &r);
        return;
    }
    for (uint64_t p = plo; p <= phi; p++) {
        if (an_map_get(&s->pages, proc + 1, p) == AN_NONE)
            continue;
        uint64_t a = p * GRANS_PER_PAGE, b = a + GRANS_PER_PAGE;
        for (uint64_t g = a > glo ? a : glo; g < b && g < ghi; g++) {
            struct race_gran *e = shadow_find(s, proc, g);
            if (e)
                shadow_delete(s, e);
        }
    }
}

struct sweep_ctx {
    shadow_keep_fn *keep;
    void *ctx;
};

static bool pick_sweep(void *ctx, struct race_gran *e)
{
    const struct sweep_ctx *sc = ctx;
    struct race_cell *c = shadow_cells(e);
    for (unsigned i = e->n; i-- > 0;)
        if (!sc->keep(sc->ctx, e->proc1 - 1, &c[i]))
            shadow_cell_remove(e, i);
    return e->n > 0;
}

size_t shadow_sweep(struct race_shadow *s, shadow_keep_fn *keep, void *ctx)
{
    struct sweep_ctx sc = {keep, ctx};
    return s->n ? table_filter(s, pick_sweep, &sc) : 0;
}

struct evict_ctx {
    size_t left, drop_every, seen;
};

static bool pick_evict(void *ctx, struct race_gran *e)
{
    struct evict_ctx *ec = ctx;
    (void)e;
    if (!ec->left)
        return true;
    if (ec->seen++ % ec->drop_every)
        return true;
    ec->left--;
    return false;
}

size_t shadow_evict(struct race_shadow *s, size_t target)
{
    if (s->n <= target)
        return 0;
    size_t drop = s->n - target;
    struct evict_ctx ec = {drop, s->n / drop ? s->n / drop : 1, 0};
    return table_filter(s, pick_evict, &ec);
}

void shadow_free(struct race_shadow *s)
{
    for (size_t i = 0; i < s->cap; i++)
        if (s->v[i].proc1)
            cells_release(&s->v[i]);
    free(s->v);
    an_map_free(&s->pages);
    memset(s, 0, sizeof *s);
}
