/* The analyzer on hostile input: events no real program produces (a
 * synchronization object at address 0) must neither crash it nor be
 * credited to another object.  Address 0 is "no object" everywhere
 * (dump, viewer), so such events are dropped. */
#include <criterion/criterion.h>

#include "builder.h"

static const uint64_t M = 0x2000;
#define SITE(k) (0x700000ull + (k))

static void no_findings(struct tb *b)
{
    struct analysis_result r;
    tb_finish(b, &r);
    if (r.nfindings)
        tb_dump(&r);
    cr_expect_eq(r.nfindings, 0, "%zu findings", r.nfindings);
    analysis_result_free(&r);
}

/* The first lock event of the trace is on address 0: the per-thread
 * object cache, still zeroed, must not answer for it. */
Test(hostile, lock_at_address_zero_first)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_lock(&b, 0, 0, SITE(1));
    tb_unlock(&b, 0, 0, SITE(2));
    tb_lock_contended(&b, 0, 0, SITE(3));
    tb_unlock(&b, 0, 0, SITE(4));
    no_findings(&b);
}

/* Every family of object events on address 0, first and amid real
 * objects: none is credited to M (which would make the unlock of M by
 * thread 0 an unlock-by-non-owner, or thread 1 a double lock). */
Test(hostile, every_family_at_address_zero)
{
    static const uint32_t types[] = {
        TRACE_EV_MUTEX_INIT,     TRACE_EV_MUTEX_WAIT,
        TRACE_EV_MUTEX_ACQUIRE,  TRACE_EV_MUTEX_RELEASE,
        TRACE_EV_MUTEX_DESTROY,  TRACE_EV_RWLOCK_RDACQUIRE,
        TRACE_EV_RWLOCK_RELEASE, TRACE_EV_COND_WAIT,
        TRACE_EV_COND_WAKE,      TRACE_EV_COND_SIGNAL,
        TRACE_EV_SEM_POST,       TRACE_EV_SEM_WAIT,
        TRACE_EV_SEM_ACQUIRE,    TRACE_EV_BARRIER_WAIT,
        TRACE_EV_BARRIER_LEAVE,  TRACE_EV_ONCE_ENTER,
        TRACE_EV_ONCE_DONE,
    };
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        tb_ev(&b, 1, types[i], 0, 0, SITE(10 + i));
    tb_lock(&b, 0, M, SITE(1));
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        tb_ev(&b, 1, types[i], 0, 0, SITE(40 + i));
    tb_lock(&b, 1, 0, SITE(3));
    tb_unlock(&b, 1, 0, SITE(4));
    tb_unlock(&b, 0, M, SITE(2));
    tb_lock(&b, 1, M, SITE(5));
    tb_unlock(&b, 1, M, SITE(6));
    no_findings(&b);
}
