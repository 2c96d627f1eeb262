/* Helpers shared by the shim's end-to-end tests: run a sample under the
 * real `ctrace run`, load its trace, count events, find objects and check
 * the protocol every lock family must follow in the trace. */
#ifndef CTRACE_TESTS_SHIM_TEST_H
#define CTRACE_TESTS_SHIM_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2e.h"

/* Matches any arg / any object in the counting helpers. */
#define ANY_ARG UINT64_MAX
#define ANY_OBJ UINT64_MAX

/* A sample ("c/rwlock_basic") run under ctrace, its trace loaded. */
struct shim_run {
    struct e2e_result res;
    struct e2e_trace t;
};

/* Run the sample through `ctrace run --no-report -o DIR`; fails the test
 * unless it exits 0 and its trace loads without loss.  `env` (may be
 * NULL): "NAME=value" strings added to the environment. */
void shim_run_sample(struct shim_run *r, const char *sample);
void shim_run_sample_env(struct shim_run *r, const char *sample,
                         const char *const env[]);
void shim_run_free(struct shim_run *r);

/* Events of `type` about `obj` (ANY_OBJ) with `arg` (ANY_ARG). */
size_t shim_count(const struct e2e_trace *t, uint32_t type, uint64_t obj,
                  uint64_t arg);
/* Events of `type` about `obj` whose arg has all bits of `bits`. */
size_t shim_count_bits(const struct e2e_trace *t, uint32_t type, uint64_t obj,
                       uint32_t bits);
/* The object of the nth (0-based) event of `type`; fails if none. */
uint64_t shim_obj_of(const struct e2e_trace *t, uint32_t type, size_t nth);
/* Distinct objects of events of `type`, in order of first appearance. */
size_t shim_objects(const struct e2e_trace *t, uint32_t type, uint64_t *objs,
                    size_t cap);
/* "name=0x..." printed by a sample on stderr; fails if missing. */
uint64_t shim_printed_addr(const struct shim_run *r, const char *name);

/* Event indexes of one thread (reader index) about one object, in
 * order; returns how many (fills up to cap). */
size_t shim_thread_obj_events(const struct e2e_trace *t, uint32_t thread,
                              uint64_t obj, size_t *idx, size_t cap);
/* The reader thread index of the first event of `type` about `obj`. */
uint32_t shim_thread_of(const struct e2e_trace *t, uint32_t type, uint64_t obj);
/* Check that the thread's events about `obj` are exactly `types` (and,
 * where `args` is not NULL, args; ANY_ARG matches anything).  Events of
 * type `skip` (e.g. a contention wait the scheduler may or may not
 * cause; 0: none) are left out. */
void shim_expect_sequence(const struct e2e_trace *t, uint32_t thread,
                          uint64_t obj, uint32_t skip, const uint32_t *types,
                          const uint64_t *args, size_t n);

/* The event types of a lock family (0 where the family has none). */
struct shim_lock_family {
    uint32_t wait[2];    /* e.g. rdwait, wrwait */
    uint32_t acquire[2]; /* matching acquisitions */
    uint32_t fail;
    uint32_t release;
    uint32_t release_fail;
};
extern const struct shim_lock_family shim_mutex_family, shim_rwlock_family,
    shim_spin_family, shim_sem_family;

/* Per thread, the events about `obj` follow the protocol: a *-wait is
 * followed by its acquisition (marked contended, timed when the wait was)
 * or by a failure; an acquisition without a wait is not marked contended;
 * a release (not followed by its release-fail) gives back a held lock;
 * nothing is held or awaited at the thread's end.  Semaphores are
 * counted, not held: `counting` skips the holding rules.  Returns the
 * number of events checked. */
size_t shim_check_lock_protocol(const struct e2e_trace *t, uint64_t obj,
                                const struct shim_lock_family *f,
                                bool counting);

/* Mutual exclusion as the trace shows it: in merged order, the lock's
 * acquisitions and releases strictly alternate, each release by the
 * thread that acquired, timestamps never go back (hold intervals never
 * overlap), and when the trace carries sequence numbers they increase
 * along the same order.  Returns the number of acquire/release pairs. */
size_t shim_check_exclusive(const struct e2e_trace *t, uint64_t obj,
                            const struct shim_lock_family *f);

/* Every cond-wait is immediately preceded, in its thread, by the release
 * of one mutex (arg TRACE_REL_COND) and followed by cond-wake and the
 * acquisition of the same mutex, with no other mutex or condition
 * variable event in between.  Returns the number of waits on `cond`
 * (ANY_OBJ: all) and stores their mutex in *mutex (if not NULL). */
size_t shim_check_cond_waits(const struct e2e_trace *t, uint64_t cond,
                             uint64_t *mutex);

/* Whether the trace's process files carry sequence numbers. */
bool shim_trace_has_seq(const struct e2e_trace *t);

#endif
