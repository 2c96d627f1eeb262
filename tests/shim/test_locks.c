/* End-to-end: rwlock, spinlock and semaphore events, recorded by the real
 * ctrace from samples/c/rwlock_basic, spin_basic and sem_basic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "shim_test.h"

Test(shim_rwlock, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/rwlock_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t rw = shim_obj_of(t, TRACE_EV_RWLOCK_INIT, 0);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_INIT, ANY_OBJ, ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_INIT, rw, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_DESTROY, rw, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_RDACQUIRE, rw, ANY_ARG), 4003);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_WRACQUIRE, rw, ANY_ARG), 1004);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_RELEASE, rw, ANY_ARG), 5007);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_FAIL, rw, ANY_ARG), 7);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_FAIL, rw, EBUSY), 2);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_FAIL, rw, ETIMEDOUT), 4);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_FAIL, rw, EINVAL), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_RDACQUIRE, rw, TRACE_ACQ_TRY),
                 1);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_WRACQUIRE, rw, TRACE_ACQ_TRY),
                 1);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_RDACQUIRE, rw, TRACE_ACQ_TIMED),
                 2);
    cr_expect_eq(shim_count(t, TRACE_EV_RWLOCK_WRACQUIRE, rw, TRACE_ACQ_TIMED),
                 2);
    size_t waits = shim_count(t, TRACE_EV_RWLOCK_RDWAIT, rw, ANY_ARG) +
                   shim_count(t, TRACE_EV_RWLOCK_WRWAIT, rw, ANY_ARG);
    cr_expect_eq(shim_check_lock_protocol(t, rw, &shim_rwlock_family, false),
                 4003 + 1004 + 5007 + 7 + waits);

    /* The prober: both trylocks fail, each timed variant waits (timed)
     * then times out. */
    uint32_t prober = shim_thread_of(t, TRACE_EV_RWLOCK_FAIL, rw);
    const uint32_t types[] = {TRACE_EV_RWLOCK_FAIL,   TRACE_EV_RWLOCK_FAIL,
                              TRACE_EV_RWLOCK_RDWAIT, TRACE_EV_RWLOCK_FAIL,
                              TRACE_EV_RWLOCK_WRWAIT, TRACE_EV_RWLOCK_FAIL,
                              TRACE_EV_RWLOCK_RDWAIT, TRACE_EV_RWLOCK_FAIL,
                              TRACE_EV_RWLOCK_WRWAIT, TRACE_EV_RWLOCK_FAIL};
    const uint64_t args[] = {EBUSY,     EBUSY, 1,         ETIMEDOUT, 1,
                             ETIMEDOUT, 1,     ETIMEDOUT, 1,         ETIMEDOUT};
    shim_expect_sequence(t, prober, rw, 0, types, args, 10);

    /* Main, before the workers: write-held for the prober, then each
     * variant once, then the invalid timeout (no wait: EINVAL at once). */
    uint32_t main_thread = shim_thread_of(t, TRACE_EV_RWLOCK_INIT, rw);
    const uint32_t mtypes[] = {
        TRACE_EV_RWLOCK_INIT,    TRACE_EV_RWLOCK_WRACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_RDACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_WRACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_RDACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_WRACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_RDACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_WRACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_RWLOCK_FAIL,
        TRACE_EV_RWLOCK_DESTROY};
    const uint64_t margs[] = {
        0, TRACE_ACQ_LOCK,  0, TRACE_ACQ_TRY,   0, TRACE_ACQ_TRY,
        0, TRACE_ACQ_TIMED, 0, TRACE_ACQ_TIMED, 0, TRACE_ACQ_TIMED,
        0, TRACE_ACQ_TIMED, 0, EINVAL,          0};
    shim_expect_sequence(t, main_thread, rw, 0, mtypes, margs, 17);
    shim_run_free(&r);
}

Test(shim_spin, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/spin_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t s = shim_obj_of(t, TRACE_EV_SPIN_INIT, 0);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_INIT, s, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_DESTROY, s, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_ACQUIRE, s, ANY_ARG), 40001);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_ACQUIRE, s, TRACE_ACQ_TRY), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_RELEASE, s, ANY_ARG), 40001);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_FAIL, s, EBUSY), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SPIN_FAIL, s, ANY_ARG), 1);
    size_t waits = shim_count(t, TRACE_EV_SPIN_WAIT, s, 0);
    cr_expect_eq(
        shim_count_bits(t, TRACE_EV_SPIN_ACQUIRE, s, TRACE_ACQ_CONTENDED),
        waits);
    cr_expect_eq(shim_check_lock_protocol(t, s, &shim_spin_family, false),
                 40001 * 2 + 1 + waits);
    cr_expect_eq(shim_check_exclusive(t, s, &shim_spin_family), 40001);

    uint32_t main_thread = shim_thread_of(t, TRACE_EV_SPIN_INIT, s);
    size_t idx[8];
    cr_assert_eq(shim_thread_obj_events(t, main_thread, s, idx, 8), 5);
    const uint32_t types[] = {TRACE_EV_SPIN_INIT, TRACE_EV_SPIN_ACQUIRE,
                              TRACE_EV_SPIN_FAIL, TRACE_EV_SPIN_RELEASE,
                              TRACE_EV_SPIN_DESTROY};
    const uint64_t args[] = {0, TRACE_ACQ_TRY, EBUSY, 0, 0};
    shim_expect_sequence(t, main_thread, s, 0, types, args, 5);
    shim_run_free(&r);
}

/* The objects of sem-init, in order: slots, items, spare, from_handler. */
enum { SLOTS, ITEMS, SPARE, FROM_HANDLER };

Test(shim_sem, exact_events)
{
    struct shim_run r;
    shim_run_sample(&r, "c/sem_basic");
    const struct e2e_trace *t = &r.t;
    uint64_t s[4];
    cr_assert_eq(shim_objects(t, TRACE_EV_SEM_INIT, s, 4), 4);
    const uint32_t values[] = {4, 0, 1, 0};
    for (int k = 0; k < 4; k++) {
        cr_expect_eq(shim_count(t, TRACE_EV_SEM_INIT, s[k], values[k]), 1);
        cr_expect_eq(shim_count(t, TRACE_EV_SEM_DESTROY, s[k], 0), 1);
        shim_check_lock_protocol(t, s[k], &shim_sem_family, true);
    }
    /* The producer/consumer pair. */
    for (int k = SLOTS; k <= ITEMS; k++) {
        cr_expect_eq(shim_count(t, TRACE_EV_SEM_POST, s[k], ANY_ARG), 1000);
        cr_expect_eq(shim_count(t, TRACE_EV_SEM_ACQUIRE, s[k], ANY_ARG), 1000);
        cr_expect_eq(shim_count(t, TRACE_EV_SEM_FAIL, s[k], ANY_ARG), 0);
    }
    /* Every variant on `spare`, and the interrupted wait. */
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_FAIL, s[SPARE], EAGAIN), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_FAIL, s[SPARE], ETIMEDOUT), 2);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_FAIL, s[SPARE], EINVAL), 1);
    size_t eintr = shim_count(t, TRACE_EV_SEM_FAIL, s[SPARE], EINTR);
    cr_expect_geq(eintr, 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_FAIL, s[SPARE], ANY_ARG),
                 4 + eintr);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_ACQUIRE, s[SPARE], TRACE_ACQ_TRY),
                 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_ACQUIRE, s[SPARE], TRACE_ACQ_TIMED),
                 2);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_ACQUIRE, s[SPARE], ANY_ARG), 5);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_POST, s[SPARE], ANY_ARG), 5);

    /* main's exact order on `spare` before the sleeper runs. */
    uint32_t main_thread = shim_thread_of(t, TRACE_EV_SEM_INIT, s[SPARE]);
    size_t idx[32];
    size_t n = shim_thread_obj_events(t, main_thread, s[SPARE], idx, 32);
    const uint32_t types[] = {
        TRACE_EV_SEM_INIT, TRACE_EV_SEM_ACQUIRE, TRACE_EV_SEM_FAIL,
        TRACE_EV_SEM_WAIT, TRACE_EV_SEM_FAIL,    TRACE_EV_SEM_WAIT,
        TRACE_EV_SEM_FAIL, TRACE_EV_SEM_POST,    TRACE_EV_SEM_ACQUIRE,
        TRACE_EV_SEM_POST, TRACE_EV_SEM_ACQUIRE, TRACE_EV_SEM_POST,
        TRACE_EV_SEM_FAIL};
    const uint64_t args[] = {1,
                             TRACE_ACQ_TRY,
                             EAGAIN,
                             1,
                             ETIMEDOUT,
                             1,
                             ETIMEDOUT,
                             0,
                             TRACE_ACQ_TIMED,
                             0,
                             TRACE_ACQ_TIMED,
                             0,
                             EINVAL};
    cr_assert_geq(n, 13);
    for (size_t k = 0; k < 13; k++) {
        cr_expect_eq(t->ev[idx[k]].type, types[k], "main's event %zu on spare",
                     k);
        cr_expect_eq(t->ev[idx[k]].arg, args[k], "main's event %zu on spare",
                     k);
    }

    /* The handler's sem_post, recorded in the interrupted thread. */
    long first_eintr = -1;
    for (size_t i = 0; i < t->n && first_eintr < 0; i++)
        if (t->ev[i].type == TRACE_EV_SEM_FAIL && t->ev[i].arg == EINTR)
            first_eintr = (long)i;
    cr_assert_geq(first_eintr, 0);
    uint32_t sleeper = t->ev[first_eintr].thread;
    cr_expect_neq(sleeper, main_thread);
    size_t posts = shim_count(t, TRACE_EV_SEM_POST, s[FROM_HANDLER], ANY_ARG);
    cr_expect_geq(posts, eintr);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_ACQUIRE, s[FROM_HANDLER], ANY_ARG),
                 posts);
    size_t by_sleeper = 0;
    for (size_t i = 0; i < t->n; i++)
        by_sleeper += t->ev[i].type == TRACE_EV_SEM_POST &&
                      t->ev[i].obj == s[FROM_HANDLER] &&
                      t->ev[i].thread == sleeper;
    cr_expect_eq(by_sleeper, posts, "the handler's posts run in the sleeper");

    /* The named semaphore. */
    long open = e2e_find(t, TRACE_EV_SEM_OPEN, 0);
    cr_assert_geq(open, 0);
    const struct trace_event *o = &t->ev[open];
    cr_assert_not_null(o->payload);
    cr_expect(strncmp(o->payload, "/ctrace-sem-basic-", 18) == 0, "name %s",
              (const char *)o->payload);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_OPEN, ANY_OBJ, ANY_ARG), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_ACQUIRE, o->obj, TRACE_ACQ_LOCK),
                 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_POST, o->obj, 0), 1);
    cr_expect_eq(shim_count(t, TRACE_EV_SEM_CLOSE, o->obj, 0), 1);
    shim_run_free(&r);
}
