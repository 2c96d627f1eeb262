/* Shadow memory for the race analysis (see race_shadow.h): blocks of
 * granules in an open-addressing table of pointers (linear probing,
 * deletion by backward shift), cell lists, and the bulk operations
 * (clear a range, sweep, evict). */
#include <stdlib.h>
#include <string.h>

#include "race_shadow.h"

static inline size_t block_hash(uint32_t proc1, uint64_t block)
{
    uint64_t h = (block ^ ((uint64_t)proc1 << 50)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h ^ (h >> 31));
}

static void gran_release(struct race_gran *e)
{
    if (e->cap > RACE_INLINE)
        free(e->u.ext);
    memset(e, 0, sizeof *e);
    e->cap = RACE_INLINE;
}

static void block_release(struct race_sblock *b)
{
    for (unsigned i = 0; i < RACE_BLOCK_GRANS; i++)
        if (b->g[i].cap > RACE_INLINE)
            free(b->g[i].u.ext);
    free(b);
}

/* ---- the table ---- */

static void table_place(struct race_shadow *s, struct race_sblock *b)
{
    size_t mask = s->cap - 1;
    size_t i = block_hash(b->proc1, b->block) & mask;
    while (s->slots[i])
        i = (i + 1) & mask;
    s->slots[i] = b;
}

static void table_resize(struct race_shadow *s, size_t cap)
{
    struct race_sblock **old = s->slots;
    size_t oldcap = s->cap;
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->slots)
        abort();
    s->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            table_place(s, old[i]);
    free(old);
}

static size_t table_index(const struct race_shadow *s, uint32_t proc1,
                          uint64_t block)
{
    size_t mask = s->cap - 1;
    for (size_t i = block_hash(proc1, block) & mask;; i = (i + 1) & mask) {
        const struct race_sblock *b = s->slots[i];
        if (!b || (b->block == block && b->proc1 == proc1))
            return i;
    }
}

static struct race_sblock *block_find(struct race_shadow *s, uint32_t proc1,
                                      uint64_t block)
{
    struct race_sblock *b = s->last;
    if (b && b->block == block && b->proc1 == proc1)
        return b;
    if (!s->cap)
        return NULL;
    b = s->slots[table_index(s, proc1, block)];
    if (b)
        s->last = b;
    return b;
}

/* Remove the block in slot i (backward shift) and free it. */
static void table_remove_at(struct race_shadow *s, size_t i)
{
    size_t mask = s->cap - 1;
    if (s->last == s->slots[i])
        s->last = NULL;
    block_release(s->slots[i]);
    s->slots[i] = NULL;
    s->n--;
    for (size_t j = (i + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
        size_t home = block_hash(s->slots[j]->proc1, s->slots[j]->block) & mask;
        bool between =
            i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            s->slots[i] = s->slots[j];
            s->slots[j] = NULL;
            i = j;
        }
    }
}

struct race_gran *shadow_find(struct race_shadow *s, uint32_t proc,
                              uint64_t addr)
{
    struct race_sblock *b = block_find(s, proc + 1, addr >> RACE_BLOCK_SHIFT);
    return b ? &b->g[(addr >> 3) & (RACE_BLOCK_GRANS - 1)] : NULL;
}

struct race_gran *shadow_get(struct race_shadow *s, uint32_t proc,
                             uint64_t addr)
{
    uint32_t proc1 = proc + 1;
    uint64_t block = addr >> RACE_BLOCK_SHIFT;
    struct race_sblock *b = block_find(s, proc1, block);
    if (!b) {
        if ((s->n + 1) * 10 > s->cap * 7)
            table_resize(s, s->cap ? s->cap * 2 : 1024);
        b = calloc(1, sizeof *b);
        if (!b)
            abort();
        b->block = block;
        b->proc1 = proc1;
        for (unsigned i = 0; i < RACE_BLOCK_GRANS; i++)
            b->g[i].cap = RACE_INLINE;
        table_place(s, b);
        s->n++;
        if (s->n > s->peak)
            s->peak = s->n;
        s->last = b;
    }
    return &b->g[(addr >> 3) & (RACE_BLOCK_GRANS - 1)];
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

/* Forget [lo, hi) within the block in slot i: the whole block, or its
 * granules in the range.  Returns true when the slot was emptied. */
static bool block_clear(struct race_shadow *s, size_t i, uint64_t lo,
                        uint64_t hi)
{
    struct race_sblock *b = s->slots[i];
    uint64_t a = b->block << RACE_BLOCK_SHIFT, z = a + (1u << RACE_BLOCK_SHIFT);
    if (a >= lo && z <= hi) {
        table_remove_at(s, i);
        return true;
    }
    uint64_t g0 = (a > lo ? a : lo) >> 3, g1 = ((z < hi ? z : hi) + 7) >> 3;
    for (uint64_t g = g0; g < g1; g++)
        gran_release(&b->g[g & (RACE_BLOCK_GRANS - 1)]);
    return false;
}

void shadow_clear_range(struct race_shadow *s, uint32_t proc, uint64_t lo,
                        uint64_t hi)
{
    if (!s->n || hi <= lo)
        return;
    uint32_t proc1 = proc + 1;
    uint64_t first = lo >> RACE_BLOCK_SHIFT,
             last = (hi - 1) >> RACE_BLOCK_SHIFT;
    if (last - first + 1 > s->cap) { /* more blocks than slots: scan these */
        for (size_t i = 0; i < s->cap;) {
            struct race_sblock *b = s->slots[i];
            if (b && b->proc1 == proc1 && b->block >= first &&
                b->block <= last && block_clear(s, i, lo, hi))
                continue; /* slot i holds the next one now */
            i++;
        }
        return;
    }
    for (uint64_t blk = first; blk <= last && s->n; blk++) {
        size_t i = table_index(s, proc1, blk);
        if (s->slots[i])
            block_clear(s, i, lo, hi);
    }
}

static bool block_empty(const struct race_sblock *b)
{
    for (unsigned i = 0; i < RACE_BLOCK_GRANS; i++)
        if (b->g[i].n || b->g[i].finding1)
            return false;
    return true;
}

size_t shadow_sweep(struct race_shadow *s, shadow_keep_fn *keep, void *ctx)
{
    size_t freed = 0;
    for (size_t i = 0; i < s->cap;) {
        struct race_sblock *b = s->slots[i];
        if (!b) {
            i++;
            continue;
        }
        for (unsigned k = 0; k < RACE_BLOCK_GRANS; k++) {
            struct race_gran *e = &b->g[k];
            struct race_cell *c = shadow_cells(e);
            for (unsigned j = e->n; j-- > 0;)
                if (!keep(ctx, b->proc1 - 1, &c[j]))
                    shadow_cell_remove(e, j);
            if (!e->n) /* no past left: its race mark goes too */
                gran_release(e);
        }
        if (block_empty(b)) {
            table_remove_at(s, i);
            freed++;
        } else {
            i++;
        }
    }
    return freed;
}

size_t shadow_evict(struct race_shadow *s, size_t target)
{
    size_t freed = 0;
    /* every k-th block, from a moving start, until few enough are left */
    size_t step = s->n > target && target ? s->n / (s->n - target) + 1 : 1;
    for (size_t i = 0, seen = 0; i < s->cap && s->n > target;) {
        if (s->slots[i] && seen++ % step == 0) {
            table_remove_at(s, i);
            freed++;
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < s->cap && s->n > target;) {
        if (s->slots[i]) {
            table_remove_at(s, i);
            freed++;
        } else {
            i++;
        }
    }
    return freed;
}

void shadow_free(struct race_shadow *s)
{
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            block_release(s->slots[i]);
    free(s->slots);
    memset(s, 0, sizeof *s);
}
