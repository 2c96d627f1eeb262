/* End-to-end: the order property (docs/design.md rule 7).  4 threads x 100000
 * contended lock/unlock pairs on 3 mutexes, then on the write side of 3
 * rwlocks: per object, in the reader's merged order, acquisitions and
 * releases strictly alternate, each release by the acquiring thread,
 * with timestamps that never go back (no two hold intervals overlap) and
 * sequence numbers, when the trace has them, in the same order.  The
 * mutex run is made twice: with the clock the shim picks (the fenced TSC
 * where the kernel trusts it) and with clock=monotonic, which orders by
 * the sequence counters of seq.map, as machines without a usable TSC do. */
#include <criterion/criterion.h>

#include "shim_test.h"

/* `env` NULL: the clock the shim picks; else CTRACE_OPTIONS that must
 * make the trace carry sequence numbers. */
static void check_order(const char *sample, uint32_t acquire_type,
                        const struct shim_lock_family *f,
                        const char *const env[])
{
    struct shim_run r;
    shim_run_sample_env(&r, sample, env);
    const struct e2e_trace *t = &r.t;
    if (env)
        cr_assert(shim_trace_has_seq(t), "%s: no sequence numbers", env[0]);
    uint64_t objs[8];
    size_t n = shim_objects(t, acquire_type, objs, 8);
    cr_assert_eq(n, 3, "%zu locks used, expected 3", n);
    size_t total = 0, contended = 0;
    for (size_t k = 0; k < n; k++) {
        size_t pairs = shim_check_exclusive(t, objs[k], f);
        cr_expect_geq(pairs, 100000, "lock %zu: %zu pairs", k, pairs);
        total += pairs;
        contended +=
            shim_count_bits(t, acquire_type, objs[k], TRACE_ACQ_CONTENDED);
        shim_check_lock_protocol(t, objs[k], f, false);
    }
    cr_expect_eq(total, 400000);
    /* The workload must contend, or the test proves little (how much it
     * does depends on the scheduler: on 2 cores, hundreds at least). */
    cr_expect_gt(contended, 0, "no contended acquisition");
    cr_log_info("%s: %zu pairs, %zu contended, sequence numbers: %s", sample,
                total, contended,
                shim_trace_has_seq(t) ? "yes" : "no (fenced TSC)");
    shim_run_free(&r);
}

Test(shim_order, mutex_hold_intervals_never_overlap, .timeout = 600)
{
    check_order("c/order_mutex", TRACE_EV_MUTEX_ACQUIRE, &shim_mutex_family,
                NULL);
}

Test(shim_order, rwlock_write_hold_intervals_never_overlap, .timeout = 600)
{
    check_order("c/order_rwlock", TRACE_EV_RWLOCK_WRACQUIRE,
                &shim_rwlock_family, NULL);
}

Test(shim_order, sequence_counters_order_the_mutex_holds, .timeout = 600)
{
    const char *env[] = {"CTRACE_OPTIONS=clock=monotonic", NULL};
    check_order("c/order_mutex", TRACE_EV_MUTEX_ACQUIRE, &shim_mutex_family,
                env);
}
