/* Real deadlocks and hangs, from the latest state (docs/analysis.md,
 * "Deadlock and hang").
 *
 * The wait-for graph: one node per blocked thread (a TF_BLOCK event
 * without its completion), an edge to every thread it waits for:
 *   mutex / spinlock wait      -> the owner
 *   rwlock read wait           -> the writer
 *   rwlock write wait          -> the writer and every reader
 *   join                       -> the thread being joined
 *   cond wait, once woken (a broadcast, or a signal with it the only
 *   waiter, came after it began) -> the owner of its mutex, which it
 *   must take again
 * A cycle is a deadlock: every thread in it waits for the next one,
 * forever.  Timed waits have no edges (they end by themselves); a thread
 * waiting for a lock it holds itself is a double-lock, not reported
 * again here.
 *
 * A hang: every live thread of a process blocked in an untimed
 * synchronization wait (locks, cond, sem, barrier, join, waitpid), no
 * thread being created, since a common moment.  If one of them waits on
 * something another process could end (a process-shared object, a
 * child), every other live process must be hung as well.  Reported live
 * after hang_timeout_ns; at the end of a trace when the process was
 * still in that state when the trace ended and either the timeout had
 * passed or the process never ended (killed from outside while hung: the
 * trace has no exit for it, or its parent reaped it only after the
 * timeout).  A process with a deadlock or a fork error is not reported
 * as hung as well: those findings already say why it is stuck.
 *
 * A hang that something outside the traced tree could still end (a
 * pending timer into a signal handler, a named semaphore: wakeup.h) is a
 * warning that says what could end it, reported once; the live monitor
 * leaves such a program running.  Should that way out go (the timer
 * fires, the name is unlinked) with the threads still blocked, the hang
 * is then reported as usual.
 */
#ifndef CTRACE_ANALYZER_WAITFOR_H
#define CTRACE_ANALYZER_WAITFOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct analyzer;

/* Report the deadlocks and hangs not reported yet.  `live`: as of
 * now_ns, only cycles older than deadlock_confirm_ns and hangs older
 * than hang_timeout_ns; otherwise now_ns is the end of the trace.
 * Returns how many findings were added. */
size_t waitfor_check(struct analyzer *a, uint64_t now_ns, bool live);

#endif
