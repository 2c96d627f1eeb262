/* The race analysis alone (analyzer/race.c), fed synthetic mem-* and
 * atomic-* events through the analyzer (tests/analyzer/builder.h): byte
 * precision, runs of accesses, every happens-before source including C11
 * atomics and fences, heap blocks and stacks, reporting once per code
 * pair and per granule, and bounded shadow memory.  No trace files: runs
 * in sanitized builds too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "builder.h"
#include "race.h"

#define M 0x2000u             /* a mutex */
#define FLAG 0x55550000100ull /* an atomic */
#define DATA 0x55550000200ull /* plain data, same 1 MiB region */

static void setup(struct tb *b, uint32_t nthreads)
{
    tb_init(b, NULL);
    tb_main(b, 0, 0, 100);
    for (uint32_t t = 1; t <= nthreads; t++) {
        tb_thread(b, t, 0, t);
        tb_create(b, 0, t, 0x9000 + t, 0x4000 + t);
    }
}

/* `count` accesses of 2^lg bytes from addr, by thread t at pc. */
static void acc(struct tb *b, uint32_t t, uint32_t type, uint64_t addr,
                uint32_t lg, uint32_t count, uint64_t pc)
{
    uint64_t region = TRACE_MEM_REGION(addr);
    tb_ev(b, t, type, region, TRACE_MEM_ARG(addr - region, lg, count), pc);
}

static void wr(struct tb *b, uint32_t t, uint64_t addr, uint32_t lg,
               uint64_t pc)
{
    acc(b, t, TRACE_EV_MEM_WRITE, addr, lg, 1, pc);
}

static void rd(struct tb *b, uint32_t t, uint64_t addr, uint32_t lg,
               uint64_t pc)
{
    acc(b, t, TRACE_EV_MEM_READ, addr, lg, 1, pc);
}

static void atomic(struct tb *b, uint32_t t, uint32_t type, uint64_t addr,
                   uint32_t op, uint32_t order, uint64_t pc)
{
    tb_ev(b, t, type, addr, TRACE_ATOMIC_ARG(op, order, 2), pc);
}

static void block(struct tb *b, uint32_t t, uint32_t type, uint64_t addr,
                  uint64_t size, uint64_t pc)
{
    struct trace_mem_block blk = {addr, size};
    tb_ev_payload(b, t, type, 0, sizeof blk, pc, &blk, sizeof blk);
}

static size_t races(struct tb *b, struct analysis_result *r)
{
    tb_finish(b, r);
    return tb_count(r, FINDING_DATA_RACE);
}

Test(analysis, unordered_writes_race)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    wr(&b, 1, DATA, 2, 0x401000);
    wr(&b, 2, DATA, 2, 0x402000);
    cr_assert_eq(races(&b, &r), 1);
    const struct finding *f = tb_find(&r, FINDING_DATA_RACE, 0);
    cr_assert(tb_has_site(f, 0x401000) && tb_has_site(f, 0x402000));
    cr_assert(tb_has_thread(f, 1) && tb_has_thread(f, 2));
    cr_assert_not_null(strstr(tb_message(f), "4 bytes"), "%s", tb_message(f));
    analysis_result_free(&r);
}

Test(analysis, reads_do_not_race)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 3);
    rd(&b, 1, DATA, 3, 0x401000);
    rd(&b, 2, DATA, 3, 0x402000);
    rd(&b, 3, DATA, 3, 0x403000);
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);
}

/* A later write races with every earlier unordered read: the reads of
 * several threads stay side by side (FastTrack's read vector). */
Test(analysis, shared_reads_then_write)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 3);
    rd(&b, 1, DATA, 3, 0x401000);
    rd(&b, 2, DATA, 3, 0x402000);
    tb_lock(&b, 1, M, 0x10);
    tb_unlock(&b, 1, M, 0x11);
    tb_lock(&b, 3, M, 0x12);
    wr(&b, 3, DATA, 3, 0x403000); /* ordered after T1's read, not T2's */
    cr_assert_eq(races(&b, &r), 1);
    const struct finding *f = tb_find(&r, FINDING_DATA_RACE, 0);
    cr_assert(tb_has_site(f, 0x402000) && tb_has_site(f, 0x403000), "%s",
              tb_message(f));
    analysis_result_free(&r);
}

Test(analysis, bytes_of_a_word)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    wr(&b, 1, DATA + 0, 0, 0x401000);
    wr(&b, 2, DATA + 1, 0, 0x402000); /* the next byte: no race */
    wr(&b, 2, DATA + 4, 2, 0x402100); /* bytes 4..7: no race */
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);
    setup(&b, 2);
    wr(&b, 1, DATA + 0, 1, 0x401000); /* bytes 0..1 */
    wr(&b, 2, DATA + 1, 0, 0x402000); /* byte 1 */
    cr_assert_eq(races(&b, &r), 1);
    analysis_result_free(&r);
}

/* One record of 64 four-byte writes against an 8-byte read in its
 * middle: the race names the write that covers it. */
Test(analysis, runs_of_accesses)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    acc(&b, 1, TRACE_EV_MEM_WRITE, DATA, 2, 64, 0x401000);
    rd(&b, 2, DATA + 40, 3, 0x402000);
    cr_assert_eq(races(&b, &r), 1);
    const struct finding *f = tb_find(&r, FINDING_DATA_RACE, 0);
    char want[64];
    snprintf(want, sizeof want, "4 bytes at 0x%llx",
             (unsigned long long)(DATA + 40));
    cr_assert_not_null(strstr(tb_message(f), want), "%s", tb_message(f));
    analysis_result_free(&r);
    /* a range (memcpy) as well */
    setup(&b, 2);
    tb_ev(&b, 1, TRACE_EV_MEM_RANGE_WRITE, TRACE_MEM_REGION(DATA),
          TRACE_MEM_RANGE_ARG(DATA - TRACE_MEM_REGION(DATA), 100), 0x401000);
    rd(&b, 2, DATA + 99, 0, 0x402000);
    rd(&b, 2, DATA + 100, 0, 0x402100); /* past the range */
    cr_assert_eq(races(&b, &r), 1);
    cr_assert(tb_has_site(tb_find(&r, FINDING_DATA_RACE, 0), 0x402000));
    analysis_result_free(&r);
}

Test(analysis, locks_order_and_are_named)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    tb_lock(&b, 1, M, 0x10);
    wr(&b, 1, DATA, 3, 0x401000);
    tb_unlock(&b, 1, M, 0x11);
    tb_lock(&b, 2, M, 0x12);
    wr(&b, 2, DATA, 3, 0x402000); /* ordered by M */
    tb_unlock(&b, 2, M, 0x13);
    wr(&b, 1, DATA, 3, 0x401100); /* T1 again, without M: races with T2 */
    cr_assert_eq(races(&b, &r), 1);
    const struct finding *f = tb_find(&r, FINDING_DATA_RACE, 0);
    cr_assert(tb_has_site(f, 0x402000) && tb_has_site(f, 0x401100));
    cr_assert(tb_has_object(f, M), "T2 held M: %s", tb_message(f));
    analysis_result_free(&r);
}

Test(analysis, create_and_join_order)
{
    struct tb b;
    struct analysis_result r;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    wr(&b, 0, DATA, 3, 0x400100); /* before the create: ordered */
    tb_thread(&b, 1, 0, 1);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    rd(&b, 1, DATA, 3, 0x401000);
    wr(&b, 1, DATA + 8, 3, 0x401100);
    tb_exit(&b, 1, 0x9001);
    tb_join(&b, 0, 0x9001, 0x400200);
    rd(&b, 0, DATA + 8, 3, 0x400300); /* after the join: ordered */
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);
    /* the parent's write after the create races with the child */
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    tb_thread(&b, 1, 0, 1);
    tb_create(&b, 0, 1, 0x9001, 0x4001);
    wr(&b, 0, DATA, 3, 0x400100);
    rd(&b, 1, DATA, 3, 0x401000);
    cr_assert_eq(races(&b, &r), 1);
    analysis_result_free(&r);
}

Test(analysis, release_acquire_orders)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    wr(&b, 1, DATA, 3, 0x401000);
    atomic(&b, 1, TRACE_EV_ATOMIC_RELEASE, FLAG, TRACE_ATOMIC_STORE, 3,
           0x401100);
    atomic(&b, 2, TRACE_EV_ATOMIC_ACQUIRE, FLAG, TRACE_ATOMIC_LOAD, 2,
           0x402000);
    rd(&b, 2, DATA, 3, 0x402100);
    cr_assert_eq(races(&b, &r), 0,
                 "atomics never race with atomics, and "
                 "the edge orders the data");
    analysis_result_free(&r);
}

Test(analysis, relaxed_orders_nothing)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    wr(&b, 1, DATA, 3, 0x401000);
    acc(&b, 1, TRACE_EV_MEM_ATOMIC_WRITE, FLAG, 2, 1, 0x401100);
    acc(&b, 2, TRACE_EV_MEM_ATOMIC_READ, FLAG, 2, 1, 0x402000);
    rd(&b, 2, DATA, 3, 0x402100);
    cr_assert_eq(races(&b, &r), 1);
    const struct finding *f = tb_find(&r, FINDING_DATA_RACE, 0);
    cr_assert(tb_has_site(f, 0x401000) && tb_has_site(f, 0x402100),
              "the data, not the flag: %s", tb_message(f));
    analysis_result_free(&r);
}

Test(analysis, atomic_and_plain_race)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    atomic(&b, 1, TRACE_EV_ATOMIC_RELEASE, FLAG, TRACE_ATOMIC_STORE, 5,
           0x401000);
    rd(&b, 2, FLAG, 2, 0x402000);
    cr_assert_eq(races(&b, &r), 1);
    cr_assert_not_null(
        strstr(tb_message(tb_find(&r, FINDING_DATA_RACE, 0)), "atomic"));
    analysis_result_free(&r);
}

/* A release fence makes a later relaxed store publish; an acquire fence
 * makes an earlier relaxed load receive. */
Test(analysis, fences)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    wr(&b, 1, DATA, 3, 0x401000);
    tb_ev(&b, 1, TRACE_EV_ATOMIC_FENCE, 0, 3 /* release */, 0x401100);
    atomic(&b, 1, TRACE_EV_ATOMIC_RELEASE, FLAG, TRACE_ATOMIC_FENCED, 0,
           0x401200);
    acc(&b, 2, TRACE_EV_MEM_ATOMIC_READ, FLAG, 2, 1, 0x402000);
    tb_ev(&b, 2, TRACE_EV_ATOMIC_FENCE, 0, 2 /* acquire */, 0x402100);
    rd(&b, 2, DATA, 3, 0x402200);
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);
    /* without the acquire fence: a race */
    setup(&b, 2);
    wr(&b, 1, DATA, 3, 0x401000);
    tb_ev(&b, 1, TRACE_EV_ATOMIC_FENCE, 0, 3, 0x401100);
    atomic(&b, 1, TRACE_EV_ATOMIC_RELEASE, FLAG, TRACE_ATOMIC_FENCED, 0,
           0x401200);
    acc(&b, 2, TRACE_EV_MEM_ATOMIC_READ, FLAG, 2, 1, 0x402000);
    rd(&b, 2, DATA, 3, 0x402200);
    cr_assert_eq(races(&b, &r), 1);
    analysis_result_free(&r);
}

/* A new allocation has no past; a free races with unordered accesses;
 * a race in a block names it. */
Test(analysis, heap_blocks)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    block(&b, 1, TRACE_EV_MEM_ALLOC, DATA, 64, 0x401000);
    wr(&b, 1, DATA + 8, 3, 0x401100);
    block(&b, 1, TRACE_EV_MEM_FREE, DATA, 0, 0x401200);
    block(&b, 2, TRACE_EV_MEM_ALLOC, DATA, 64, 0x402000); /* reused */
    wr(&b, 2, DATA + 8, 3, 0x402100);
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);

    setup(&b, 2);
    block(&b, 1, TRACE_EV_MEM_ALLOC, DATA, 64, 0x401000);
    wr(&b, 1, DATA + 16, 2, 0x401100);
    wr(&b, 2, DATA + 16, 2, 0x402100);
    cr_assert_eq(races(&b, &r), 1);
    const struct finding *f = tb_find(&r, FINDING_DATA_RACE, 0);
    cr_assert_str_eq(f->objects[0].kind, "heap block");
    cr_assert_eq(f->objects[0].create_pc, 0x401000);
    cr_assert_not_null(strstr(tb_message(f), "64 bytes, offset 16"), "%s",
                       tb_message(f));
    analysis_result_free(&r);

    setup(&b, 2);
    block(&b, 1, TRACE_EV_MEM_ALLOC, DATA, 64, 0x401000);
    rd(&b, 2, DATA + 16, 2, 0x402100);
    block(&b, 1, TRACE_EV_MEM_FREE, DATA, 64, 0x401200);
    cr_assert_eq(races(&b, &r), 1);
    cr_assert_not_null(
        strstr(tb_message(tb_find(&r, FINDING_DATA_RACE, 0)), "frees"));
    analysis_result_free(&r);
}

Test(analysis, new_stack_has_no_past)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    wr(&b, 1, DATA, 3, 0x401000);
    block(&b, 2, TRACE_EV_MEM_STACK, DATA - 4096, 8192, 0);
    wr(&b, 2, DATA, 3, 0x402000);
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);
}

/* Once per pair of code locations (with a count), once per granule. */
Test(analysis, reported_once)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    for (uint64_t i = 0; i < 10; i++) {
        wr(&b, 1, DATA + 64 * i, 3, 0x401000);
        wr(&b, 2, DATA + 64 * i, 3, 0x402000);
    }
    wr(&b, 1, DATA, 3, 0x401500); /* other code, same granule */
    cr_assert_eq(races(&b, &r), 1);
    cr_assert_geq(tb_find(&r, FINDING_DATA_RACE, 0)->count, 10);
    analysis_result_free(&r);
}

/* Threads that end and are joined leave nothing to race with: the
 * collection keeps the shadow small however much memory they touched. */
Test(analysis, shadow_is_bounded)
{
    struct tb b;
    tb_init(&b, NULL);
    tb_main(&b, 0, 0, 100);
    const uint64_t base = 0x7f0000000000ull;
    for (uint32_t t = 1; t <= 32; t++) {
        tb_thread(&b, t, 0, t);
        tb_create(&b, 0, t, 0x9000 + t, 0x4000);
        uint64_t lo = base + (uint64_t)t * (4u << 20); /* 4 MiB each */
        for (uint64_t a = lo; a < lo + (4u << 20); a += 512 * 8)
            acc(&b, t, TRACE_EV_MEM_WRITE, a, 3, 512, 0x401000);
        tb_exit(&b, t, 0x9000 + t);
        tb_join(&b, 0, 0x9000 + t, 0x400100);
    }
    struct race_stats st;
    race_get_stats(b.a, &st);
    struct analysis_result r;
    cr_assert_eq(races(&b, &r), 0);
    /* 128 MiB written in all; a 4 MiB thread needs ~20 MiB of shadow */
    cr_assert_lt(st.shadow_bytes_max, 160u << 20, "peak %llu bytes",
                 (unsigned long long)st.shadow_bytes_max);
    cr_assert_eq(st.evicted, 0);
    cr_assert_eq(r.nnotes, 0);
    analysis_result_free(&r);
}

/* An atomic access does not stand for an earlier plain one of the same
 * thread: the plain read still races with another thread's atomic
 * write. */
Test(analysis, atomic_does_not_hide_plain)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    rd(&b, 1, FLAG, 2, 0x401000);
    acc(&b, 1, TRACE_EV_MEM_ATOMIC_READ, FLAG, 2, 1, 0x401100);
    acc(&b, 2, TRACE_EV_MEM_ATOMIC_WRITE, FLAG, 2, 1, 0x402000);
    cr_assert_eq(races(&b, &r), 1);
    cr_assert(tb_has_site(tb_find(&r, FINDING_DATA_RACE, 0), 0x401000));
    analysis_result_free(&r);
}

/* An atomic in a freed block forgets its clock: a new atomic at the same
 * address orders nothing with the old one's releases. */
Test(analysis, freed_atomic_forgets_its_clock)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    block(&b, 1, TRACE_EV_MEM_ALLOC, FLAG, 32, 0x401000);
    wr(&b, 1, DATA, 3, 0x401100);
    atomic(&b, 1, TRACE_EV_ATOMIC_RELEASE, FLAG, TRACE_ATOMIC_STORE, 3,
           0x401200);
    block(&b, 1, TRACE_EV_MEM_FREE, FLAG, 32, 0x401300);
    block(&b, 2, TRACE_EV_MEM_ALLOC, FLAG, 32, 0x402000);
    atomic(&b, 2, TRACE_EV_ATOMIC_ACQUIRE, FLAG, TRACE_ATOMIC_LOAD, 2,
           0x402100);
    rd(&b, 2, DATA, 3, 0x402200);
    cr_assert_eq(races(&b, &r), 1);
    analysis_result_free(&r);
}

/* Reference counting: acq_rel decrements order a thread's use before
 * the last owner's free (the acquire half of an acq_rel RMW is not a
 * second access after the release). */
Test(analysis, acq_rel_refcount)
{
    struct tb b;
    struct analysis_result r;
    setup(&b, 2);
    block(&b, 0, TRACE_EV_MEM_ALLOC, DATA, 32, 0x400000);
    wr(&b, 2, DATA + 16, 3, 0x402000);
    atomic(&b, 2, TRACE_EV_ATOMIC_RELEASE, DATA + 8, TRACE_ATOMIC_RMW, 4,
           0x402100);
    atomic(&b, 2, TRACE_EV_ATOMIC_ACQUIRE, DATA + 8, TRACE_ATOMIC_RMW, 4,
           0x402100);
    atomic(&b, 0, TRACE_EV_ATOMIC_RELEASE, DATA + 8, TRACE_ATOMIC_RMW, 4,
           0x400100);
    atomic(&b, 0, TRACE_EV_ATOMIC_ACQUIRE, DATA + 8, TRACE_ATOMIC_RMW, 4,
           0x400100);
    block(&b, 0, TRACE_EV_MEM_FREE, DATA, 32, 0x400200);
    cr_assert_eq(races(&b, &r), 0);
    analysis_result_free(&r);
}
