/* Data races (docs/races.md): the memory accesses that `ctrace cc`
 * programs record (mem-*, atomic-*), checked FastTrack-style against the
 * analyzer's happens-before (hb.h).
 *
 * This module owns the shadow memory (per 8-byte granule of each process
 * image: the accesses that may still race, with byte masks), the
 * happens-before edges of C11 atomics and fences, the heap blocks and
 * thread stacks that name racing addresses, and the data-race findings.
 * Memory is bounded: shadow entries that every live thread is already
 * ordered after are collected, and past a cap the oldest are evicted
 * (reported in a note).  It is a pass (pass.h) on the memory family. */
#ifndef CTRACE_ANALYZER_RACE_H
#define CTRACE_ANALYZER_RACE_H

#include <stdbool.h>
#include <stdint.h>

#include "reader.h"

struct analyzer;

/* Totals of the mem-stats records seen (all threads). */
struct race_stats {
    uint64_t accesses, filtered, merged, records, dropped;
    uint64_t mem_events;       /* mem-* and atomic-* events analysed */
    uint64_t shadow_bytes_max; /* largest shadow memory at once */
    uint64_t evicted;          /* shadow blocks (512 bytes of memory each)
                                  evicted past the cap */
    uint64_t cells_dropped;    /* accesses forgotten on crowded granules */
};
void race_get_stats(const struct analyzer *a, struct race_stats *out);

#endif
