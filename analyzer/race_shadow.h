/* Shadow memory for the race analysis (race.c): per 8-byte granule of a
 * process image, the accesses that may still race with a later one.
 *
 * A granule holds cells; a cell is one access (or several of one thread
 * in one epoch): its thread, the epoch it ran in, the bytes of the
 * granule it touched (a mask), whether it wrote and whether it was
 * atomic, and an access-info id for reports.
 *
 * Granules come in blocks of RACE_BLOCK_GRANS (512 bytes of the program's
 * memory), allocated when first touched and kept in one hash table keyed
 * by (process, address / 512): a scan over an array finds its granules
 * next to each other, one hash lookup per block, and forgetting a range
 * (a block handed out again, a new thread's stack) frees whole blocks.
 * Granule pointers stay valid until their block is freed (clear, sweep,
 * evict).
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

static inline uint64_t rc_epoch(const struct race_cell *c)
{
    return c->em >> 16;
}
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
#define RACE_BLOCK_SHIFT 9 /* 512 bytes of memory per block */
#define RACE_BLOCK_GRANS (1u << (RACE_BLOCK_SHIFT - 3))

/* One granule: its cells (cap > RACE_INLINE: they are in ext). */
struct race_gran {
    uint32_t finding1; /* 1 + the finding of its first race; 0: none */
    uint16_t n, cap;
    union {
        struct race_cell in[RACE_INLINE];
        struct race_cell *ext;
    } u;
};

struct race_sblock {
    uint64_t block; /* address >> RACE_BLOCK_SHIFT */
    uint32_t proc1; /* reader process index + 1 */
    uint32_t pad;
    struct race_gran g[RACE_BLOCK_GRANS];
};

struct race_shadow {
    struct race_sblock **slots; /* open addressing; NULL: empty */
    size_t cap, n;              /* cap: power of two, or 0 */
    size_t peak;                /* most blocks at once */
    struct race_sblock *last;   /* the latest block looked up */
};

static inline struct race_cell *shadow_cells(struct race_gran *e)
{
    return e->cap > RACE_INLINE ? e->u.ext : e->u.in;
}

/* Bytes of shadow one block costs (for budgets and notes). */
#define RACE_SBLOCK_BYTES sizeof(struct race_sblock)

/* The granule of `addr`, or NULL when its block was never touched. */
struct race_gran *shadow_find(struct race_shadow *s, uint32_t proc,
                              uint64_t addr);
/* The granule of `addr`, its block made when needed. */
struct race_gran *shadow_get(struct race_shadow *s, uint32_t proc,
                             uint64_t addr);

/* Append a cell; false (nothing added) when `max` cells are there. */
bool shadow_cell_add(struct race_gran *e, const struct race_cell *c,
                     unsigned max);
void shadow_cell_remove(struct race_gran *e, unsigned i);

/* Forget every granule of [lo, hi) in a process image. */
void shadow_clear_range(struct race_shadow *s, uint32_t proc, uint64_t lo,
                        uint64_t hi);

/* Keep the cells `keep` says yes to, free blocks left without any.
 * Returns the blocks freed. */
typedef bool shadow_keep_fn(void *ctx, uint32_t proc,
                            const struct race_cell *c);
size_t shadow_sweep(struct race_shadow *s, shadow_keep_fn *keep, void *ctx);

/* Free blocks until at most `target` are left; returns how many. */
size_t shadow_evict(struct race_shadow *s, size_t target);

void shadow_free(struct race_shadow *s);

#endif
