/* The analyzer's invariants, checked as it runs in builds configured
 * with -Dinvariants=true (HACKING.md, "Invariants"); in other builds
 * the calls compile to nothing.
 *
 *  - a lock's exclusive owner holds it: the owner's held list has it,
 *    for writing;
 *  - an rwlock's reader count is the number of threads holding it for
 *    reading;
 *  - a blocked thread waits on an object that exists. */
#ifndef CTRACE_ANALYZER_CHECK_H
#define CTRACE_ANALYZER_CHECK_H

#include "reader.h"

struct analyzer;

#if CTRACE_INVARIANTS
/* After the core handled `ev`: the invariants of its thread and of the
 * object it names. */
void an_check_event(struct analyzer *a, const struct trace_event *ev);
#else
static inline void an_check_event(struct analyzer *a,
                                  const struct trace_event *ev)
{
    (void)a;
    (void)ev;
}
#endif

#endif
