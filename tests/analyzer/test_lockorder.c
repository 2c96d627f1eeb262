/* Lock-order inversions: cycles of 2, 3, 5, 30 and 10,001 locks, and the
 * cycles that must not be reported (one thread, gate lock, trylock,
 * readers only, a lock re-created in between, consistent order). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "builder.h"

#define LOCK(i) (0x10000ull + 64ull * (i))
#define SITE(t, k) (0x500000ull + 0x100ull * (t) + (k))

/* Thread k (1..n) takes lock k-1 then lock k mod n: a ring. */
static void ring(struct tb *b, size_t n, bool consistent)
{
    tb_main(b, 0, 0, 100);
    for (size_t k = 1; k <= n; k++) {
        tb_thread(b, (uint32_t)k, 0, (uint32_t)k);
        tb_create(b, 0, (uint32_t)k, 0x9000 + k, 0x4000);
    }
    for (size_t k = 1; k <= n; k++) {
        uint64_t first = LOCK(k - 1), second = LOCK(k % n);
        if (consistent && k == n) {
            first = LOCK(0);
            second = LOCK(n - 1);
        }
        tb_lock(b, (uint32_t)k, first, SITE(k, 1));
        tb_lock(b, (uint32_t)k, second, SITE(k, 2));
        tb_unlock(b, (uint32_t)k, second, SITE(k, 3));
        tb_unlock(b, (uint32_t)k, first, SITE(k, 4));
    }
}

static void check_ring(size_t n)
{
    struct tb b;
    tb_init(&b, NULL);
    ring(&b, n, false);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION), 1,
                 "ring of %zu: %zu inversions", n,
                 tb_count(&r, FINDING_LOCK_ORDER_INVERSION));
    const struct finding *f = tb_find(&r, FINDING_LOCK_ORDER_INVERSION, 0);
    cr_assert_eq(f->nobjects, n);
    cr_assert_eq(f->nthreads, n);
    cr_assert_eq(f->nstacks, 2 * n);
    cr_assert_eq(f->severity, SEV_WARNING);
    for (size_t k = 1; k <= n; k++) {
        cr_assert(tb_has_thread(f, (uint32_t)k));
        cr_assert(tb_has_object(f, LOCK(k - 1)));
        cr_assert(tb_has_site(f, SITE(k, 1)), "where the first was taken");
        cr_assert(tb_has_site(f, SITE(k, 2)), "where the second was taken");
    }
    cr_assert_eq(r.nnotes, 0);
    analysis_result_free(&r);

    tb_init(&b, NULL);
    ring(&b, n, true);
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0, "consistent order of %zu locks", n);
    analysis_result_free(&r);
}

Test(lockorder, cycle_of_2) { check_ring(2); }
Test(lockorder, cycle_of_3) { check_ring(3); }
Test(lockorder, cycle_of_5) { check_ring(5); }
Test(lockorder, cycle_of_12) { check_ring(12); }

/* 30 locks: thread 1 takes them pairwise along the chain, thread 2 closes
 * the cycle. */
static void chain(struct tb *b, size_t n, bool close)
{
    tb_main(b, 0, 0, 100);
    tb_thread(b, 1, 0, 1);
    tb_thread(b, 2, 0, 2);
    tb_create(b, 0, 1, 0x9001, 0x4000);
    tb_create(b, 0, 2, 0x9002, 0x4000);
    for (size_t i = 0; i < n; i++)
        tb_ev(b, 0, TRACE_EV_MUTEX_INIT, LOCK(i), 0, SITE(0, 9));
    for (size_t i = 0; i + 1 < n; i++) {
        tb_lock(b, 1, LOCK(i), SITE(1, 1));
        tb_lock(b, 1, LOCK(i + 1), SITE(1, 2));
        tb_unlock(b, 1, LOCK(i + 1), SITE(1, 3));
        tb_unlock(b, 1, LOCK(i), SITE(1, 3));
    }
    uint64_t a = close ? LOCK(n - 1) : LOCK(0);
    uint64_t c = close ? LOCK(0) : LOCK(n - 1);
    tb_lock(b, 2, a, SITE(2, 1));
    tb_lock(b, 2, c, SITE(2, 2));
    tb_unlock(b, 2, c, SITE(2, 3));
    tb_unlock(b, 2, a, SITE(2, 3));
}

Test(lockorder, cycle_of_30)
{
    struct tb b;
    tb_init(&b, NULL);
    chain(&b, 30, true);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION), 1);
    const struct finding *f = tb_find(&r, FINDING_LOCK_ORDER_INVERSION, 0);
    cr_assert_eq(f->nobjects, 30);
    cr_assert_eq(f->nstacks, 60);
    cr_assert_eq(f->nthreads, 2);
    for (size_t i = 0; i < 30; i++)
        cr_assert(tb_has_object(f, LOCK(i)));
    cr_assert(tb_has_site(f, SITE(2, 2)));
    analysis_result_free(&r);
}

/* More than 10,000 live locks, all in one cycle of 10,001. */
Test(lockorder, ten_thousand_live_locks, .timeout = 120)
{
    struct tb b;
    tb_init(&b, NULL);
    chain(&b, 10001, true);
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION), 1);
    const struct finding *f = tb_find(&r, FINDING_LOCK_ORDER_INVERSION, 0);
    cr_assert_eq(f->nobjects, 32, "objects are capped at the array size");
    cr_assert_eq(f->nstacks, 64, "so are the edges shown");
    cr_assert(strstr(tb_message(f), "(10001 locks"), "%s", tb_message(f));
    analysis_result_free(&r);

    tb_init(&b, NULL);
    chain(&b, 10001, false);
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

/* One thread holds 100 locks at once, then X; another takes X then one of
 * the 100: the 2-cycle must be found even though the nested locks make
 * exponentially many longer cycles. */
Test(lockorder, more_than_64_held, .timeout = 120)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_thread(&b, 2, 0, 2);
    tb_create(&b, 0, 1, 0x9001, 0x4000);
    tb_create(&b, 0, 2, 0x9002, 0x4000);
    const uint64_t X = 0x77000;
    for (size_t i = 0; i < 100; i++)
        tb_lock(&b, 1, LOCK(i), SITE(1, 1)); /* one site: a loop */
    tb_lock(&b, 1, X, SITE(1, 2));
    tb_unlock(&b, 1, X, SITE(1, 3));
    for (size_t i = 100; i-- > 0;)
        tb_unlock(&b, 1, LOCK(i), SITE(1, 3));
    tb_lock(&b, 2, X, SITE(2, 1));
    tb_lock(&b, 2, LOCK(50), SITE(2, 2));
    tb_unlock(&b, 2, LOCK(50), SITE(2, 3));
    tb_unlock(&b, 2, X, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    bool two = false;
    for (size_t i = 0; i < r.nfindings; i++) {
        const struct finding *f = &r.findings[i];
        cr_assert_eq(f->kind, FINDING_LOCK_ORDER_INVERSION);
        cr_assert(tb_has_object(f, X));
        if (f->nobjects == 2 && tb_has_object(f, LOCK(50)))
            two = true;
    }
    cr_assert(two, "the X <-> lock 50 inversion");
    cr_assert_leq(r.nfindings, 2, "same sites: longer walks merge (%zu)",
                  r.nfindings);
    analysis_result_free(&r);
}

static void two_threads(struct tb *b)
{
    tb_main(b, 0, 0, 100);
    tb_thread(b, 1, 0, 1);
    tb_thread(b, 2, 0, 2);
    tb_create(b, 0, 1, 0x9001, 0x4000);
    tb_create(b, 0, 2, 0x9002, 0x4000);
}

static size_t inversions_with(bool gate1, bool gate2)
{
    const uint64_t G = 0x1000, A = 0x2000, B = 0x3000;
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    if (gate1)
        tb_lock(&b, 1, G, SITE(1, 0));
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_lock(&b, 1, B, SITE(1, 2));
    tb_unlock(&b, 1, B, SITE(1, 3));
    tb_unlock(&b, 1, A, SITE(1, 3));
    if (gate1)
        tb_unlock(&b, 1, G, SITE(1, 3));
    if (gate2)
        tb_lock(&b, 2, G, SITE(2, 0));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_lock(&b, 2, A, SITE(2, 2));
    tb_unlock(&b, 2, A, SITE(2, 3));
    tb_unlock(&b, 2, B, SITE(2, 3));
    if (gate2)
        tb_unlock(&b, 2, G, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    size_t n = tb_count(&r, FINDING_LOCK_ORDER_INVERSION);
    analysis_result_free(&r);
    return n;
}

Test(lockorder, gate_lock)
{
    cr_assert_eq(inversions_with(true, true), 0, "gated on both sides");
    cr_assert_eq(inversions_with(true, false), 1, "gate on one side only");
    cr_assert_eq(inversions_with(false, false), 1);
}

/* A gate that is missing at one later occurrence no longer protects. */
Test(lockorder, gate_lost_later)
{
    const uint64_t G = 0x1000, A = 0x2000, B = 0x3000;
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            tb_lock(&b, 1, G, SITE(1, 0));
        tb_lock(&b, 1, A, SITE(1, 1));
        tb_lock(&b, 1, B, SITE(1, 2));
        tb_unlock(&b, 1, B, SITE(1, 3));
        tb_unlock(&b, 1, A, SITE(1, 3));
        if (round == 0)
            tb_unlock(&b, 1, G, SITE(1, 3));
    }
    tb_lock(&b, 2, G, SITE(2, 0));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_lock(&b, 2, A, SITE(2, 2));
    tb_unlock(&b, 2, A, SITE(2, 3));
    tb_unlock(&b, 2, B, SITE(2, 3));
    tb_unlock(&b, 2, G, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION), 1);
    analysis_result_free(&r);
}

Test(lockorder, single_thread)
{
    const uint64_t A = 0x2000, B = 0x3000;
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_lock(&b, 1, B, SITE(1, 2));
    tb_unlock(&b, 1, B, SITE(1, 3));
    tb_unlock(&b, 1, A, SITE(1, 3));
    tb_lock(&b, 1, B, SITE(1, 4));
    tb_lock(&b, 1, A, SITE(1, 5));
    tb_unlock(&b, 1, A, SITE(1, 3));
    tb_unlock(&b, 1, B, SITE(1, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0, "one thread cannot deadlock by ordering");
    analysis_result_free(&r);

    /* the same, and another thread also takes B then A */
    tb_init(&b, NULL);
    two_threads(&b);
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_lock(&b, 1, B, SITE(1, 2));
    tb_unlock(&b, 1, B, SITE(1, 3));
    tb_unlock(&b, 1, A, SITE(1, 3));
    tb_lock(&b, 1, B, SITE(1, 4));
    tb_lock(&b, 1, A, SITE(1, 5));
    tb_unlock(&b, 1, A, SITE(1, 3));
    tb_unlock(&b, 1, B, SITE(1, 3));
    tb_lock(&b, 2, B, SITE(2, 4));
    tb_lock(&b, 2, A, SITE(2, 5));
    tb_unlock(&b, 2, A, SITE(2, 3));
    tb_unlock(&b, 2, B, SITE(2, 3));
    tb_finish(&b, &r);
    cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION), 1);
    const struct finding *f = tb_find(&r, FINDING_LOCK_ORDER_INVERSION, 0);
    cr_assert(tb_has_thread(f, 1) && tb_has_thread(f, 2), "%s", tb_message(f));
    cr_assert(tb_has_site(f, SITE(2, 5)), "thread 2's own stacks");
    analysis_result_free(&r);
}

Test(lockorder, trylock_adds_no_edge)
{
    const uint64_t A = 0x2000, B = 0x3000;
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    tb_lock(&b, 1, A, SITE(1, 1));
    tb_lock(&b, 1, B, SITE(1, 2));
    tb_unlock(&b, 1, B, SITE(1, 3));
    tb_unlock(&b, 1, A, SITE(1, 3));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_trylock(&b, 2, A, SITE(2, 2));
    tb_unlock(&b, 2, A, SITE(2, 3));
    tb_unlock(&b, 2, B, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

static size_t rw_inversions(bool write)
{
    const uint64_t A = 0x2000, B = 0x3000;
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, A, 0, SITE(1, 1));
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, B, 0, SITE(1, 2));
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RELEASE, B, 0, SITE(1, 3));
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RELEASE, A, 0, SITE(1, 3));
    /* thread 2 write-locks both: then thread 1 (A read, wants B) and
     * thread 2 (B written, wants A for writing) can block each other */
    uint32_t acq =
        write ? TRACE_EV_RWLOCK_WRACQUIRE : TRACE_EV_RWLOCK_RDACQUIRE;
    tb_ev(&b, 2, acq, B, 0, SITE(2, 1));
    tb_ev(&b, 2, acq, A, 0, SITE(2, 2));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RELEASE, A, 0, SITE(2, 3));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RELEASE, B, 0, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    size_t n = tb_count(&r, FINDING_LOCK_ORDER_INVERSION);
    cr_assert_eq(r.nfindings, n);
    analysis_result_free(&r);
    return n;
}

Test(lockorder, rwlock_readers)
{
    cr_assert_eq(rw_inversions(false), 0, "readers do not block readers");
    cr_assert_eq(rw_inversions(true), 1, "a writer closes the cycle");
}

/* Thread 2 takes B for writing but A only for reading: thread 1 holds A
 * for reading, so thread 2 gets it; no deadlock is possible. */
Test(lockorder, rwlock_one_reader_side)
{
    const uint64_t A = 0x2000, B = 0x3000;
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, A, 0, SITE(1, 1));
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RDACQUIRE, B, 0, SITE(1, 2));
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RELEASE, B, 0, SITE(1, 3));
    tb_ev(&b, 1, TRACE_EV_RWLOCK_RELEASE, A, 0, SITE(1, 3));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_WRACQUIRE, B, 0, SITE(2, 1));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RDACQUIRE, A, 0, SITE(2, 2));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RELEASE, A, 0, SITE(2, 3));
    tb_ev(&b, 2, TRACE_EV_RWLOCK_RELEASE, B, 0, SITE(2, 3));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

/* B destroyed and initialised again: a new lock, no cycle with the old. */
Test(lockorder, generations)
{
    const uint64_t A = 0x2000, B = 0x3000;
    for (int recreate = 0; recreate < 2; recreate++) {
        struct tb b;
        tb_init(&b, NULL);
        two_threads(&b);
        tb_lock(&b, 1, A, SITE(1, 1));
        tb_lock(&b, 1, B, SITE(1, 2));
        tb_unlock(&b, 1, B, SITE(1, 3));
        tb_unlock(&b, 1, A, SITE(1, 3));
        if (recreate) {
            tb_ev(&b, 1, TRACE_EV_MUTEX_DESTROY, B, 0, SITE(1, 6));
            tb_ev(&b, 1, TRACE_EV_MUTEX_INIT, B, 0, SITE(1, 7));
        }
        tb_lock(&b, 2, B, SITE(2, 1));
        tb_lock(&b, 2, A, SITE(2, 2));
        tb_unlock(&b, 2, A, SITE(2, 3));
        tb_unlock(&b, 2, B, SITE(2, 3));
        struct analysis_result r;
        tb_finish(&b, &r);
        cr_assert_eq(tb_count(&r, FINDING_LOCK_ORDER_INVERSION),
                     recreate ? 0 : 1);
        analysis_result_free(&r);
    }
}

/* The same inversion on many lock pairs from the same code: one finding
 * with a count. */
Test(lockorder, dedup_by_sites)
{
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    for (uint64_t p = 0; p < 10; p++) {
        uint64_t A = 0x100000 + p * 0x100, B = A + 0x40;
        tb_lock(&b, 1, A, SITE(1, 1));
        tb_lock(&b, 1, B, SITE(1, 2));
        tb_unlock(&b, 1, B, SITE(1, 3));
        tb_unlock(&b, 1, A, SITE(1, 3));
        tb_lock(&b, 2, B, SITE(2, 1));
        tb_lock(&b, 2, A, SITE(2, 2));
        tb_unlock(&b, 2, A, SITE(2, 3));
        tb_unlock(&b, 2, B, SITE(2, 3));
    }
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 1);
    cr_assert_eq(r.findings[0].count, 10);
    analysis_result_free(&r);
}

/* Stacks: site first, then the deeper frames the reader attached. */
Test(lockorder, stacks_and_message)
{
    const uint64_t A = 0x2000, B = 0x3000;
    static const uint64_t deep[] = {SITE(1, 2), 0xaaa1, 0xaaa2};
    struct tb b;
    tb_init(&b, NULL);
    two_threads(&b);
    tb_lock(&b, 1, A, SITE(1, 1));
    b.stack = deep;
    b.depth = 3;
    tb_lock(&b, 1, B, SITE(1, 2));
    tb_unlock(&b, 1, B, SITE(1, 3));
    tb_unlock(&b, 1, A, SITE(1, 3));
    tb_lock(&b, 2, B, SITE(2, 1));
    tb_lock(&b, 2, A, SITE(2, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 1);
    const struct finding *f = &r.findings[0];
    bool deep_seen = false;
    for (size_t i = 0; i < f->nstacks; i++)
        if (f->stacks[i].depth == 3 && f->stacks[i].pcs[0] == SITE(1, 2) &&
            f->stacks[i].pcs[2] == 0xaaa2)
            deep_seen = true;
    cr_assert(deep_seen);
    cr_assert_str_eq(tb_message(f),
                     "lock order cycle mutex 0x2000 -> mutex 0x3000 -> mutex "
                     "0x2000: thread 1 takes mutex 0x3000 while holding "
                     "mutex 0x2000; thread 2 takes mutex 0x2000 while "
                     "holding mutex 0x3000");
    analysis_result_free(&r);
}
