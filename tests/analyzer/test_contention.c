/* Contention figures, exact, on a sequence with known timestamps. */
#include <criterion/criterion.h>

#include "builder.h"

static const uint64_t M = 0x2000, N = 0x3000;

static void at(struct tb *b, uint64_t ts) { b->now = ts; }

Test(contention, exact_figures)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_thread(&b, 2, 0, 2);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    tb_create(&b, 0, 2, 0x9002, 0x4002);
    tb_ev(&b, 0, TRACE_EV_MUTEX_INIT, M, 0, 0xc0de);

    at(&b, 10000);
    tb_lock(&b, 1, M, 0xa1); /* hold 10000..10300 = 300 */
    at(&b, 10100);
    tb_lock_wait(&b, 2, M, 0xb1); /* waits 10100..10310 = 210 */
    at(&b, 10300);
    tb_unlock(&b, 1, M, 0xa2);
    at(&b, 10310);
    tb_ev(&b, 2, TRACE_EV_MUTEX_ACQUIRE, M,
          TRACE_ACQ_LOCK | TRACE_ACQ_CONTENDED, 0xb1); /* hold 10310..10360 */
    at(&b, 10360);
    tb_unlock(&b, 2, M, 0xb2);
    at(&b, 11000);
    tb_lock(&b, 1, M, 0xa1); /* hold 11000..11020 = 20 */
    at(&b, 11010);
    tb_lock_wait(&b, 2, M, 0xb1); /* waits 11010..11030 = 20 */
    at(&b, 11020);
    tb_unlock(&b, 1, M, 0xa2);
    at(&b, 11030);
    tb_ev(&b, 2, TRACE_EV_MUTEX_ACQUIRE, M,
          TRACE_ACQ_LOCK | TRACE_ACQ_CONTENDED, 0xb1); /* hold 11030..11130 */
    at(&b, 11130);
    tb_unlock(&b, 2, M, 0xb2);
    at(&b, 12000);
    tb_trylock(&b, 1, M, 0xa3); /* hold 12000..12005 = 5 */
    at(&b, 12005);
    tb_unlock(&b, 1, M, 0xa2);
    /* another lock, uncontended */
    tb_lock(&b, 1, N, 0xa4);
    tb_unlock(&b, 1, N, 0xa5);

    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.ncontention, 2);
    const struct contention_entry *e = &r.contention[0];
    cr_assert_eq(e->lock.addr, M, "hottest first");
    cr_assert_eq(e->lock.create_pc, 0xc0de);
    cr_assert_str_eq(e->lock.kind, "mutex");
    cr_assert_eq(e->acquisitions, 5);
    cr_assert_eq(e->contended, 2);
    cr_assert_eq(e->wait_total_ns, 230);
    cr_assert_eq(e->wait_max_ns, 210);
    cr_assert_eq(e->hold_total_ns, 300 + 50 + 20 + 100 + 5);
    cr_assert_eq(e->hold_max_ns, 300);
    cr_assert_eq(e->nsites, 3);
    cr_assert_eq(e->sites[0].pc, 0xb1, "busiest by wait first");
    cr_assert_eq(e->sites[0].acquisitions, 2);
    cr_assert_eq(e->sites[0].wait_ns, 230);
    cr_assert_eq(e->sites[1].pc, 0xa1);
    cr_assert_eq(e->sites[1].acquisitions, 2);
    cr_assert_eq(e->sites[2].pc, 0xa3);
    const struct contention_entry *n = &r.contention[1];
    cr_assert_eq(n->lock.addr, N);
    cr_assert_eq(n->acquisitions, 1);
    cr_assert_eq(n->contended, 0);
    cr_assert_eq(n->wait_total_ns, 0);
    cr_assert_eq(r.nfindings, 0);
    cr_assert_eq(r.events, b.nevents);
    analysis_result_free(&r);
}

/* rwlock: read holds of two readers overlap; both count. */
Test(contention, rwlock)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    at(&b, 1000);
    tb_ev(&b, 0, TRACE_EV_RWLOCK_RDACQUIRE, M, 0, 0xa1);
    at(&b, 1010);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, M, 0, 0xb1);
    at(&b, 1100);
    tb_ev(&b, 0, TRACE_EV_RWLOCK_RELEASE, M, 0, 0xa2);
    at(&b, 1200);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RELEASE, M, 0, 0xb2);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.ncontention, 1);
    cr_assert_eq(r.contention[0].acquisitions, 2);
    cr_assert_eq(r.contention[0].hold_total_ns, 100 + 190);
    cr_assert_str_eq(r.contention[0].lock.kind, "rwlock");
    analysis_result_free(&r);
}
