/* Lock contention figures (not findings): per lock, acquisitions (every
 * successful one, trylocks included), contended acquisitions (the ones a
 * *-wait event preceded), wait time (from the wait event to the
 * acquisition) and hold time (from the acquisition to the release), each
 * total and max, the lock's creation site, and its busiest call sites. */
#ifndef CTRACE_ANALYZER_CONTENTION_H
#define CTRACE_ANALYZER_CONTENTION_H

#include <stdint.h>

#include "finding.h"

struct analyzer;
struct an_obj;

/* An acquisition at `site`; `waited_ns` is the wait when contended. */
void contention_acquire(struct an_obj *o, uint64_t site, bool contended,
                        uint64_t waited_ns);
/* A hold of `held_ns` ended. */
void contention_release(struct an_obj *o, uint64_t held_ns);

/* Every lock with at least one acquisition, hottest first (total wait,
 * then contended count, then acquisitions).  Caller frees *out. */
void contention_collect(struct analyzer *a, struct contention_entry **out,
                        size_t *n);

#endif
