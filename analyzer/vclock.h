/* Vector clocks: the type every thread and synchronization object
 * carries, and its operations (implemented in hb.c, which builds the
 * happens-before edges from them; see hb.h).  Apart from hb.h so that
 * state.h can embed clocks and hb.h's inline edges can read state.
 *
 * A clock is sparse: the entries it holds, sorted by thread index, each
 * thread at most once; a thread it holds no entry for reads 0.  A clock
 * holds the threads it has heard of, not every thread ever created, and
 * the entries of joined threads are folded away (struct hb_fold, hb.c):
 * the raw accessors below read only what is stored; hb_get (hb.h) reads
 * a clock's real value, folds included. */
#ifndef CTRACE_ANALYZER_VCLOCK_H
#define CTRACE_ANALYZER_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct vc_entry {
    uint64_t e;
    uint32_t t;
};

struct vclock {
    struct vc_entry *c;
    uint32_t n, cap;
};

/* A finished thread joined by `into`: from `into`'s epoch `at` on, every
 * clock that knows that epoch knows all of the thread, up to its last
 * epoch `last`.  at == 0: not folded. */
struct hb_fold {
    uint32_t into;
    uint64_t at, last;
};

/* The position of thread i's entry in v, or of the first entry past it.
 * Entries of threads 0..k-1 all present sit at their index: try that
 * first. */
uint32_t hb_vc_find_slow(const struct vclock *v, uint32_t i);
static inline uint32_t hb_vc_find(const struct vclock *v, uint32_t i)
{
    if (i < v->n && v->c[i].t == i)
        return i;
    return hb_vc_find_slow(v, i);
}

/* The stored entry of thread i (0 if none). */
static inline uint64_t hb_vc_get(const struct vclock *v, uint32_t i)
{
    uint32_t p = hb_vc_find(v, i);
    return p < v->n && v->c[p].t == i ? v->c[p].e : 0;
}

void hb_vc_insert(struct vclock *v, uint32_t p, uint32_t i, uint64_t x);
static inline void hb_vc_set(struct vclock *v, uint32_t i, uint64_t x)
{
    uint32_t p = hb_vc_find(v, i);
    if (p < v->n && v->c[p].t == i)
        v->c[p].e = x;
    else
        hb_vc_insert(v, p, i, x);
}

static inline void hb_vc_tick(struct vclock *v, uint32_t i)
{
    hb_vc_set(v, i, hb_vc_get(v, i) + 1);
}

/* dst := dst join src on the stored entries, O(|dst| + |src|).  Exact
 * with folds too (hb.c); hb_clock_join also drops what folds imply. */
void hb_vc_join(struct vclock *dst, const struct vclock *src);
void hb_vc_copy(struct vclock *dst, const struct vclock *src);
void hb_vc_clear(struct vclock *v);
void hb_vc_free(struct vclock *v);

#endif
