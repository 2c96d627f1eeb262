/* Vector clocks: the type every thread and synchronization object
 * carries, and its operations (implemented in hb.c, which builds the
 * happens-before edges from them; see hb.h).  Apart from hb.h so that
 * state.h can embed clocks and hb.h's inline edges can read state. */
#ifndef CTRACE_ANALYZER_VCLOCK_H
#define CTRACE_ANALYZER_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* A vector clock; entries past `n` are 0. */
struct vclock {
    uint64_t *c;
    uint32_t n, cap;
};

static inline uint64_t hb_vc_get(const struct vclock *v, uint32_t i)
{
    return i < v->n ? v->c[i] : 0;
}

void hb_vc_set_slow(struct vclock *v, uint32_t i, uint64_t x);
static inline void hb_vc_set(struct vclock *v, uint32_t i, uint64_t x)
{
    if (i < v->n)
        v->c[i] = x;
    else
        hb_vc_set_slow(v, i, x);
}

static inline void hb_vc_tick(struct vclock *v, uint32_t i)
{
    hb_vc_set(v, i, hb_vc_get(v, i) + 1);
}

void hb_vc_join(struct vclock *dst, const struct vclock *src);
void hb_vc_copy(struct vclock *dst, const struct vclock *src);
void hb_vc_clear(struct vclock *v);
bool hb_vc_leq(const struct vclock *a, const struct vclock *b);
void hb_vc_free(struct vclock *v);

#endif
