/* Shadow memory for the race analysis (race.c): per 8-byte granule of a
 * process image, the accesses that may still race with a later one.
 *
 * A granule holds cells; a cell is one access (or several of one thread
 * in one epoch): its thread, the epoch it ran in, the bytes of the
 * granule it touched (a mask), whether it wrote and whether it was
 * atomic, and an access-info id for reports.  Granules live in one
 * open-addressing table keyed by (process, address / 8); a side map
 * counts granules per 4 KiB page so that forgetting a range (a block
 * handed out again, a new thread's stack) only visits pages that have
 * any.  Pointers to granules stay valid until the next insert or delete.
 */
#ifndef CTRACE_ANALYZER_RACE_SHADOW_H
#define CTRACE_ANALYZER_RACE_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define RC_WRITE 1u
#define RC_ATOMIC 2u
#define RC_FREE 4u /* the write of a free() */

struct race_cell {
    uint64_t em; /* epoch << 16 | flags << 8 | byte mask */
    uint32_t thread;
    uint32_t info;
};

static inline uint64_t rc_epoch(const struct race_cell *c) { return c->em >> 16; }
static inline unsigned rc_flags(const struct race_cell *c)
{
    return (unsigned)(c->em >> 8) & 0xffu;
}
static inline unsigned rc_mask(const struct race_cell *c)
{
    return (unsigned)c->em & 0xffu;
}
static inline uint64_t rc_pack(uint64_t epoch, unsigned flags, unsigned mask)
{
    return epoch << 16 | (uint64_t)(flags & 0xffu) << 8 | (mask & 0xffu);
}
static inline void rc_set_mask(struct race_cell *c, unsigned mask)
{
    c->em = (c->em & ~0xffull) | (mask & 0xffu);
}

#define RACE_INLINE 2

struct race_gran {
    uint64_t gran;    /* address >> 3 */
    uint32_t proc1;   /* reader process index + 1; 0: empty slot */
    uint32_t finding; /* finding of the granule's first race, or AN_NONE */
    uint16_t n, cap;  /* cells; cap > RACE_INLINE: they are in ext */
    uint32_t pad;
    union {
        struct race_cell in[RACE_INLINE];
        struct race_cell *ext;
    } u;
};

struct race_shadow {
    struct race_gran *v;
    size_t cap, n; /* cap: power of two, or 0 */
    size_t peak;
    struct an_map pages; /* (proc1, address >> 12) -> granules in it */
};

static inline struct race_cell *shadow_cells(struct race_gran *e)
{
    return e->cap > RACE_INLINE ? e->u.ext : e->u.in;
}

struct race_gran *shadow_find(struct race_shadow *s, uint32_t proc,
                              uint64_t gran);
/* The granule, made empty when it was not there. */
struct race_gran *shadow_get(struct race_shadow *s, uint32_t proc,
                             uint64_t gran);
void shadow_delete(struct race_shadow *s, struct race_gran *e);

/* Append a cell; false (nothing added) when `max` cells are there. */
bool shadow_cell_add(struct race_gran *e, const struct race_cell *c,
                     unsigned max);
void shadow_cell_remove(struct race_gran *e, unsigned i);

/* Forget every granule of [lo, hi) in a process image. */
void shadow_clear_range(struct race_shadow *s, uint32_t proc, uint64_t lo,
                        uint64_t hi);

/* Keep the cells `keep` says yes to, drop granules left without cells.
 * Returns the granules dropped. */
typedef bool shadow_keep_fn(void *ctx, uint32_t proc,
                            const struct race_cell *c);
size_t shadow_sweep(struct race_shadow *s, shadow_keep_fn *keep, void *ctx);

/* Drop granules until at most `target` are left; returns how many. */
size_t shadow_evict(struct race_shadow *s, size_t target);

void shadow_free(struct race_shadow *s);

#endif
