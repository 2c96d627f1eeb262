/* fork-with-lock-held: the warning at fork, the error when the child
 * waits for the inherited lock, and the safe patterns. */
#include <criterion/criterion.h>

#include "builder.h"

static const uint64_t M = 0x2000, L = 0x2100;
#define SITE(t, k) (0x800000ull + 0x100ull * (t) + (k))

/* Parent: main thread 0 and thread 1 (proc 0, pid 100); child image
 * proc 1 (pid 200) with thread 5. */
static void family(struct tb *b)
{
    tb_main(b, 0, 0, 100);
    tb_thread(b, 1, 0, 1);
    tb_create(b, 0, 1, 0x9001, 0x4001);
    tb_process(b, 1, 200, 100, 0);
    tb_thread(b, 5, 1, 0);
}

static void child_start(struct tb *b)
{
    struct trace_process_info info = {200, 100, 0, TRACE_FILE_FORKED};
    tb_ev_payload(b, 5, TRACE_EV_PROCESS_START, 0, sizeof info, 0, &info,
                  sizeof info);
}

Test(forkhazard, warning_only)
{
    struct tb b;
    tb_init(&b, NULL);
    family(&b);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 1));
    child_start(&b);
    tb_ev(&b, 5, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(5, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 1);
    const struct finding *f = &r.findings[0];
    cr_assert_eq(f->kind, FINDING_FORK_WITH_LOCK_HELD);
    cr_assert_eq(f->severity, SEV_WARNING);
    cr_assert_eq(f->pid, 100);
    cr_assert(tb_has_thread(f, 0) && tb_has_thread(f, 1));
    cr_assert(tb_has_object(f, M));
    cr_assert(tb_has_site(f, SITE(0, 1)), "the fork");
    cr_assert(tb_has_site(f, SITE(1, 1)), "where the holder took it");
    analysis_result_free(&r);
}

/* The child then waits for it: an error, with the three stacks. */
static void child_blocks(bool fork_first)
{
    struct tb b;
    tb_init(&b, NULL);
    family(&b);
    tb_lock(&b, 1, M, SITE(1, 1));
    if (fork_first) {
        tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 1));
        child_start(&b);
    } else {
        /* the child's start can precede the fork event in merged order */
        child_start(&b);
    }
    tb_lock_wait(&b, 5, M, SITE(5, 1));
    if (!fork_first)
        tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    if (r.nfindings != 1)
        tb_dump(&r);
    cr_assert_eq(r.nfindings, 1,
                 "one finding, not a warning and an error "
                 "(nor a hang of the child)");
    const struct finding *f = &r.findings[0];
    cr_assert_eq(f->kind, FINDING_FORK_WITH_LOCK_HELD);
    cr_assert_eq(f->severity, SEV_ERROR);
    cr_assert_eq(f->pid, 200);
    cr_assert(tb_has_thread(f, 5) && tb_has_thread(f, 1));
    cr_assert(tb_has_site(f, SITE(5, 1)), "the child's acquire");
    cr_assert(tb_has_site(f, SITE(1, 1)), "the parent holder's");
    if (fork_first)
        cr_assert(tb_has_site(f, SITE(0, 1)), "the fork");
    analysis_result_free(&r);
}

Test(forkhazard, child_waits_error) { child_blocks(true); }
Test(forkhazard, child_waits_error_start_first) { child_blocks(false); }

/* The forking thread holds the lock itself (atfork prepare): the child
 * owns it and may unlock it. */
Test(forkhazard, forker_holds_is_fine)
{
    struct tb b;
    tb_init(&b, NULL);
    family(&b);
    tb_lock(&b, 0, L, SITE(0, 2));
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 1));
    tb_unlock(&b, 0, L, SITE(0, 3));
    child_start(&b);
    tb_unlock(&b, 5, L, SITE(5, 1));
    tb_lock(&b, 5, L, SITE(5, 2));
    tb_unlock(&b, 5, L, SITE(5, 3));
    tb_ev(&b, 5, TRACE_EV_PROCESS_EXIT, 0, 0, SITE(5, 4));
    struct analysis_result r;
    tb_finish(&b, &r);
    if (r.nfindings)
        tb_dump(&r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}

/* No lock held by anyone: nothing. */
Test(forkhazard, nothing_held)
{
    struct tb b;
    tb_init(&b, NULL);
    family(&b);
    tb_lock(&b, 1, M, SITE(1, 1));
    tb_unlock(&b, 1, M, SITE(1, 2));
    tb_ev(&b, 0, TRACE_EV_FORK, 0, 200, SITE(0, 1));
    child_start(&b);
    tb_lock(&b, 5, M, SITE(5, 1));
    tb_unlock(&b, 5, M, SITE(5, 2));
    struct analysis_result r;
    tb_finish(&b, &r);
    cr_assert_eq(r.nfindings, 0);
    analysis_result_free(&r);
}
