/* The GIL (docs/python.md): CPython's global interpreter lock is a mutex
 * and a condition variable (plus a second pair for forced switches) used
 * only by CPython's take_gil/drop_gil.  python.c recognises their events
 * by their call sites (inside CPython's own code) and hands them here,
 * so that they never reach the lock analyses; this module measures, per
 * thread, how long it waited for the GIL: the time spent in those
 * condition waits and mutex waits, the number of waits (a wait that
 * times out and waits again is the same wait) and the longest one. */
#ifndef CTRACE_ANALYZER_GIL_H
#define CTRACE_ANALYZER_GIL_H

#include <stdint.h>

#include "finding.h"
#include "reader.h"

struct analyzer;
struct gil_state;

/* One GIL mutex or condition variable event of thread `thread`. */
void gil_feed(struct analyzer *a, uint32_t thread,
              const struct trace_event *ev);

/* The per-thread figures, into out->gil (sorted by process, then most
 * waiting first). */
void gil_collect(struct analyzer *a, struct analysis_result *out);

void gil_state_free(struct gil_state *g);

#endif
