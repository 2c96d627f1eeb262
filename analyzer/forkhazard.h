/* Fork hazards: fork() while another thread holds a lock
 * (fork-with-lock-held; docs/analysis.md, "Fork hazards").
 *
 * fork() copies memory but only the calling thread: a lock another
 * thread held at that instant stays locked in the child, with no thread
 * there to release it.  At every fork the analyzer takes a snapshot of
 * the locks held in the parent (by whom, taken where).  A lock held by
 * another thread gives a warning.  In the child, the inherited copy of
 * such a lock is "ghost-held"; when a child thread then waits for it the
 * finding becomes an error showing the parent holder's stack, the fork
 * and the child's acquire.  Locks the forking thread itself held stay
 * held by the child's first thread (it may unlock them, as atfork
 * handlers do).  Process-shared locks are not copies and are not ghosts.
 *
 * The child's process-start may come before the parent's fork event in
 * the merged order (the fork event is recorded after fork returns); the
 * snapshot is taken by whichever comes first, from the forking thread's
 * state, which no later event of that thread has changed yet.
 */
#ifndef CTRACE_ANALYZER_FORKHAZARD_H
#define CTRACE_ANALYZER_FORKHAZARD_H

#include <stdint.h>

#include "reader.h"

struct analyzer;

/* The parent's fork event (arg = child pid). */
void forkhazard_on_fork(struct analyzer *a, uint32_t thread,
                        const struct trace_event *ev);
/* A forked image starts: `thread` is its first thread. */
void forkhazard_child_start(struct analyzer *a, uint32_t proc, uint32_t thread,
                            uint32_t parent_serial,
                            const struct trace_event *ev);
/* A child thread begins to wait for a ghost-held lock. */
void forkhazard_child_waits(struct analyzer *a, uint32_t thread, uint32_t obj,
                            const struct trace_event *ev);
/* End of trace: warnings for forks whose parent event never came. */
void forkhazard_finish(struct analyzer *a);

#endif
