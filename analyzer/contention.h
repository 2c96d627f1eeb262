/* Lock contention figures (not findings): per lock, acquisitions (every
 * successful one, trylocks included), contended acquisitions (the ones a
 * *-wait event preceded), wait time (from the wait event to the
 * acquisition) and hold time (from the acquisition to the release), each
 * total and max, the lock's creation site, and its busiest call sites. */
#ifndef CTRACE_ANALYZER_CONTENTION_H
#define CTRACE_ANALYZER_CONTENTION_H

#include <stdint.h>

#include "finding.h"
#include "state.h"

struct analyzer;

/* The counting is inline: it runs for every acquisition and release.  A
 * lock's first acquisition allocates its figures, and a call site new to
 * the lock enters its table, out of line. */
struct an_contention *contention_new(struct an_obj *o);
struct an_site_count *contention_site_new(struct an_contention *ct,
                                          uint64_t pc);

/* A lock's call sites: open addressing on the pc; a slot with no
 * acquisitions is empty (a slot is counted as soon as it is made). */
static inline size_t contention_site_home(uint64_t pc, size_t cap)
{
    return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* The counts of call site `pc`, or NULL past CONTENTION_SITES_MAX. */
static inline struct an_site_count *contention_site(struct an_contention *ct,
                                                    uint64_t pc)
{
    if (ct->sites_cap) {
        size_t mask = ct->sites_cap - 1;
        for (size_t i = contention_site_home(pc, ct->sites_cap);;
             i = (i + 1) & mask) {
            struct an_site_count *s = &ct->sites[i];
            if (!s->acquisitions)
                break;
            if (s->pc == pc)
                return s;
        }
    }
    return contention_site_new(ct, pc);
}

/* An acquisition at `site`; `waited_ns` is the wait when contended. */
static inline void contention_acquire(struct an_obj *o, uint64_t site,
                                      bool contended, uint64_t waited_ns)
{
    struct an_contention *ct = o->ct ? o->ct : contention_new(o);
    ct->acquisitions++;
    if (contended) {
        ct->contended++;
        ct->wait_total += waited_ns;
        if (waited_ns > ct->wait_max)
            ct->wait_max = waited_ns;
    }
    struct an_site_count *s = contention_site(ct, site);
    if (s) {
        s->acquisitions++;
        if (contended)
            s->wait_ns += waited_ns;
    }
}

/* A hold of `held_ns` ended. */
static inline void contention_release(struct an_obj *o, uint64_t held_ns)
{
    struct an_contention *ct = o->ct ? o->ct : contention_new(o);
    ct->hold_total += held_ns;
    if (held_ns > ct->hold_max)
        ct->hold_max = held_ns;
}

/* Every lock with at least one acquisition, hottest first (total wait,
 * then contended count, then acquisitions).  Caller frees *out. */
void contention_collect(struct analyzer *a, struct contention_entry **out,
                        size_t *n);

#endif
