/* Misuse of the pthread API, as Helgrind and DRD report it: what each
 * misuse finding says, which threads, objects and stacks it shows, and
 * what makes two occurrences "the same" (same kind at the same sites).
 *
 * The conditions themselves are noticed where the state changes
 * (sync.c for locks, conds, semaphores and barriers; lifecycle.c for
 * threads), which then call these reporters with the state as it was
 * just before the event.  docs/analysis.md has an example of each. */
#ifndef CTRACE_ANALYZER_MISUSE_H
#define CTRACE_ANALYZER_MISUSE_H

#include <stdint.h>

#include "reader.h"

struct analyzer;
struct an_held;

/* `held`: the thread's hold of the lock it takes again. */
void misuse_double_lock(struct analyzer *a, uint32_t thread, uint32_t obj,
                        const struct trace_event *ev,
                        const struct an_held *held);
void misuse_unlock_unlocked(struct analyzer *a, uint32_t thread, uint32_t obj,
                            const struct trace_event *ev);
void misuse_unlock_non_owner(struct analyzer *a, uint32_t thread, uint32_t obj,
                             uint32_t owner, const struct trace_event *ev);
/* A lock destroyed or initialised again while held, or a condition
 * variable while threads wait on it. */
void misuse_destroy_locked(struct analyzer *a, uint32_t thread, uint32_t obj,
                           const struct trace_event *ev);
void misuse_use_destroyed(struct analyzer *a, uint32_t thread, uint32_t obj,
                          const struct trace_event *ev);
/* `mutex` may be AN_NONE (not known). */
void misuse_cond_without_mutex(struct analyzer *a, uint32_t thread,
                               uint32_t cond, uint32_t mutex,
                               const struct trace_event *ev);
void misuse_cond_multiple(struct analyzer *a, uint32_t thread, uint32_t cond,
                          uint32_t mutex, const struct trace_event *ev);
void misuse_exit_holding(struct analyzer *a, uint32_t thread,
                         const struct trace_event *ev);
/* Threads of `proc` that finished but were never joined nor detached
 * (called when the process exits). */
void misuse_thread_leaks(struct analyzer *a, uint32_t proc, uint64_t ts);
/* `target` may be AN_NONE; `why` says what is wrong ("was already
 * joined"). */
void misuse_invalid_join(struct analyzer *a, uint32_t thread, uint32_t target,
                         const char *why, const struct trace_event *ev);
/* Lock `obj` is taken both inside a signal handler and outside (its
 * sig_* and plain_* first acquisitions). */
void misuse_signal_lock(struct analyzer *a, uint32_t obj, uint64_t ts);
/* Semaphore and barrier misuse: `why` completes "{thread} ..." */
void misuse_sem(struct analyzer *a, uint32_t thread, uint32_t obj,
                const char *why, const struct trace_event *ev);
void misuse_barrier(struct analyzer *a, uint32_t thread, uint32_t obj,
                    const char *why, const struct trace_event *ev);

/* End of trace: threads left forever in a barrier that had more waiters
 * than its count, joins blocked on threads that can never be joined. */
void misuse_finish(struct analyzer *a);

#endif
