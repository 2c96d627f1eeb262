/* The synchronization-object state machine: what every mutex, rwlock,
 * spinlock, condition variable, semaphore, barrier and pthread_once
 * event does to the analyzer's state (owners, held sets, blocked
 * threads, generations), calling the analyses at the right moment:
 * misuse checks see the state before the event, the lock graph sees the
 * held set before an acquisition, happens-before and contention see the
 * transition itself. */
#ifndef CTRACE_ANALYZER_SYNC_H
#define CTRACE_ANALYZER_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "reader.h"

struct analyzer;
struct an_thread;

/* mutex-*, rwlock-*, spin-* */
void sync_lock_event(struct analyzer *a, uint32_t thread,
                     const struct trace_event *ev);
void sync_cond_event(struct analyzer *a, uint32_t thread,
                     const struct trace_event *ev);
void sync_sem_event(struct analyzer *a, uint32_t thread,
                    const struct trace_event *ev);
void sync_barrier_event(struct analyzer *a, uint32_t thread,
                        const struct trace_event *ev);
void sync_once_event(struct analyzer *a, uint32_t thread,
                     const struct trace_event *ev);

/* A thread begins / ends a blocking wait (BLK_*). */
void sync_block(struct an_thread *t, uint8_t kind, uint32_t obj, uint64_t ts,
                uint32_t stack, bool timed);
void sync_unblock(struct an_thread *t);

/* Forget every hold of lock `obj` (destroyed or initialised again). */
void sync_drop_holders(struct analyzer *a, uint32_t obj, uint64_t ts);

#endif
