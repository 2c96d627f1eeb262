/* The pass interface, through the example pass of HACKING.md
 * (acqcount.c): an extra pass sees every acquisition step with the
 * right thread, including trylocks and recursive re-entries, its
 * finish runs, and it changes nothing the built-in passes report. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "acqcount.h"
#include "builder.h"
#include "pass.h"

static const uint64_t M = 0x2000, N = 0x3000, R = 0x5000;
static const struct an_pass *const extra[] = {&acqcount_pass, NULL};

/* Thread 1 takes M 3 times and N once (trylock); thread 2 takes M once,
 * recursively twice (a recursive mutex). */
static void run(struct tb *b, bool with_pass)
{
    struct analyzer_options o;
    analyzer_options_default(&o);
    if (with_pass)
        o.extra_passes = extra;
    tb_init(b, &o);
    tb_main(b, 0, 0, 100);
    tb_thread(b, 1, 0, 1);
    tb_thread(b, 2, 0, 2);
    tb_create(b, 0, 1, 0x9001, 0x4001);
    tb_create(b, 0, 2, 0x9002, 0x4002);
    for (int i = 0; i < 3; i++) {
        tb_lock(b, 1, M, 0xa1);
        tb_unlock(b, 1, M, 0xa2);
    }
    tb_trylock(b, 1, N, 0xa3);
    tb_unlock(b, 1, N, 0xa4);
    tb_ev(b, 2, TRACE_EV_MUTEX_INIT, R, PTHREAD_MUTEX_RECURSIVE, 0xb0);
    tb_lock(b, 2, R, 0xb1);
    tb_lock(b, 2, R, 0xb2);
    tb_unlock(b, 2, R, 0xb3);
    tb_unlock(b, 2, R, 0xb4);
}

Test(pass, example_pass_counts_every_acquisition)
{
    struct tb b;
    run(&b, true);
    cr_expect_eq(acqcount_of(b.a, 0), 0);
    cr_expect_eq(acqcount_of(b.a, 1), 4);
    cr_expect_eq(acqcount_of(b.a, 2), 2);
    struct analysis_result r;
    tb_finish(&b, &r);
    bool noted = false;
    for (size_t i = 0; i < r.nnotes; i++)
        noted |= strcmp(r.notes[i], "acqcount: thread 1 took locks 4 "
                                    "times") == 0;
    cr_expect(noted, "the pass's finish left its note");
    analysis_result_free(&r);
}

Test(pass, extra_pass_changes_nothing_else)
{
    struct tb with, without;
    run(&with, true);
    run(&without, false);
    struct analysis_result a, b;
    tb_finish(&with, &a);
    tb_finish(&without, &b);
    cr_expect_eq(a.nfindings, b.nfindings);
    cr_expect_eq(a.ncontention, b.ncontention);
    cr_expect_eq(a.nnotes, b.nnotes + 1);
    for (size_t i = 0; i < a.ncontention && i < b.ncontention; i++)
        cr_expect_eq(a.contention[i].acquisitions,
                     b.contention[i].acquisitions);
    analysis_result_free(&a);
    analysis_result_free(&b);
}

Test(pass, unknown_pass_has_no_state)
{
    struct tb b;
    run(&b, false);
    cr_expect_null(an_pass_state(b.a, &acqcount_pass));
    struct analysis_result r;
    tb_finish(&b, &r);
    analysis_result_free(&r);
}
