/* Exception groups on synthetic events (suite unit): what becomes a
 * failure, what is the same failure, grouping, exit statuses, blocked
 * threads, Python exceptions, symbolized signatures, bounds, hostile
 * payloads, and the text and JSON views.  No shim, no trace files: these
 * run in sanitized builds too. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "egt.h"

static const uint64_t pcs_segv[] = {0x401100, 0x401200, 0x401300};
static const uint64_t pcs_assert[] = {0x401500, 0x401200, 0x401300};

static void feed(struct excgroup *g, struct trace_event ev)
{
    excgroup_feed(g, &ev);
}

static struct excgroup *world(bool all, uint32_t nprocs)
{
    struct excgroup *g = excgroup_new(NULL, all);
    for (uint32_t p = 0; p < nprocs; p++)
        egt_process(g, p, 0, p ? TRACE_FILE_FORKED : 0);
    return g;
}

static void exit_event(struct excgroup *g, uint32_t proc, uint32_t thread,
                       uint32_t status, uint64_t ts)
{
    struct trace_event ev =
        egt_event(TRACE_EV_PROCESS_EXIT, proc, thread, true, ts);
    ev.arg = status;
    ev.site = 0x401900;
    excgroup_feed(g, &ev);
}

static void reap_event(struct excgroup *g, uint32_t child, int32_t status,
                       uint64_t ts)
{
    struct egt_payload p;
    egt_reap(&p, (int32_t)egt_pid(child), status);
    feed(g, egt_event_p(TRACE_EV_PROCESS_REAP, 0, 0, true, ts, &p));
}

/* Parent image 0 (thread 0) and five forked workers (image and thread
 * k): 1-3 segfault at one site, 4-5 fail one assert; the parent reaps
 * them (killed by SIGSEGV, SIGABRT) and exits 0. */
static void pool(struct excgroup *g)
{
    struct egt_payload p;
    for (uint32_t k = 1; k <= 5; k++) {
        feed(g, egt_event(TRACE_EV_PROCESS_START, k, k, true, 10 * k));
        if (k <= 3) {
            egt_signal(&p, SIGSEGV, SEGV_MAPERR, 0, pcs_segv, 3);
            feed(g, egt_event_p(TRACE_EV_SIGNAL, k, k, true, 10 * k + 1, &p));
        } else {
            egt_assert(&p, "r->len >= 0", "pool.c", 30, "check_record",
                       pcs_assert, 3);
            feed(g, egt_event_p(TRACE_EV_ASSERT, k, k, true, 10 * k + 1, &p));
        }
    }
    for (uint32_t k = 1; k <= 5; k++)
        reap_event(g, k, k <= 3 ? SIGSEGV : SIGABRT, 100 + k);
    exit_event(g, 0, 0, 0, 200);
}

Test(unit, pool_gives_two_groups)
{
    struct excgroup *g = world(false, 6);
    pool(g);
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.nexc_groups, 2);
    cr_assert_eq(res.exc_failures, 5);
    cr_assert_eq(res.exc_processes, 5);
    const struct exception_group *s = &res.exc_groups[0];
    const struct exception_group *a = &res.exc_groups[1];
    cr_assert_eq(s->kind, EXC_SIGNAL);
    cr_assert_eq(s->signo, SIGSEGV);
    cr_assert_eq(s->count, 3);
    cr_assert_eq(s->npids, 3);
    cr_assert_eq(s->pids[0], 1001);
    cr_assert_eq(s->pids[2], 1003);
    cr_assert_eq(s->first_ns, 11);
    cr_assert_eq(s->last_ns, 31);
    cr_assert_eq(s->stack.depth, 3);
    cr_assert_eq(s->exact_frame, 0, "a signal's first pc is the fault");
    cr_assert_str_eq(s->signature, "signal:SIGSEGV:0x401100;0x401200;0x401300");
    cr_assert(strstr(s->message, "address 0x0"), "%s", s->message);
    cr_assert_eq(a->kind, EXC_ASSERT);
    cr_assert_eq(a->count, 2);
    cr_assert_str_eq(a->detail, "r->len >= 0");
    cr_assert_str_eq(a->title, "assert `r->len >= 0` failed");
    cr_assert_eq(a->nmembers, 2);
    cr_assert_eq(a->members[1].pid, 1005);
    /* the reaps are the same deaths, not failures of their own */
    cr_assert_eq(res.noutcomes, 6);
    cr_assert(res.outcomes[1].known);
    cr_assert_eq(res.outcomes[1].signal, SIGSEGV);
    cr_assert_eq(res.outcomes[1].exit_status, -1);
    cr_assert_eq(res.outcomes[5].signal, SIGABRT);
    cr_assert_eq(res.outcomes[0].exit_status, 0);
    excgroup_result_free(&res);
}

Test(unit, twin_without_failures_has_no_group)
{
    struct excgroup *g = world(false, 6);
    for (uint32_t k = 1; k <= 5; k++) {
        feed(g, egt_event(TRACE_EV_PROCESS_START, k, k, true, 10 * k));
        exit_event(g, k, k, 0, 10 * k + 1);
        reap_event(g, k, 0, 100 + k);
    }
    exit_event(g, 0, 0, 0, 200);
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.nexc_groups, 0);
    cr_assert_eq(res.exc_failures, 0);
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(res.outcomes[i].exit_status, 0);
    excgroup_result_free(&res);
}

Test(unit, one_death_is_one_failure)
{
    /* an assert, then the abort() it calls and the SIGABRT: one failure;
       a bare abort() elsewhere is another */
    struct excgroup *g = world(false, 2);
    struct egt_payload p;
    egt_assert(&p, "x", "f.c", 3, "f", pcs_assert, 3);
    feed(g, egt_event_p(TRACE_EV_ASSERT, 0, 0, true, 1, &p));
    egt_pcs(&p, pcs_assert, 3);
    feed(g, egt_event_p(TRACE_EV_ABORT, 0, 0, true, 2, &p));
    egt_signal(&p, SIGABRT, SI_TKILL, 0, pcs_assert, 3);
    feed(g, egt_event_p(TRACE_EV_SIGNAL, 0, 0, true, 3, &p));
    egt_pcs(&p, pcs_segv, 3);
    feed(g, egt_event_p(TRACE_EV_ABORT, 1, 1, true, 4, &p));
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.exc_failures, 2);
    cr_assert_eq(res.nexc_groups, 2);
    cr_assert_eq(res.exc_groups[0].kind, EXC_ASSERT);
    cr_assert_eq(res.exc_groups[1].kind, EXC_ABORT);
    cr_assert_str_eq(res.exc_groups[1].signature,
                     "abort::0x401100;0x401200;0x401300");
    /* nobody reaped them: the crash tells how they ended */
    cr_assert_eq(res.outcomes[0].signal, SIGABRT);
    cr_assert_eq(res.outcomes[1].signal, SIGABRT);
    excgroup_result_free(&res);
}

static void throw_then(struct excgroup *g, uint32_t proc, uint32_t thread,
                       const char *type, const char *what, uint32_t next)
{
    struct egt_payload p;
    egt_throw(&p, type, what, pcs_segv, 3);
    feed(g, egt_event_p(TRACE_EV_CXX_THROW, proc, thread, false, 5, &p));
    if (next == TRACE_EV_CXX_TERMINATE) {
        egt_throw(&p, type, NULL, pcs_assert, 3);
        feed(g, egt_event_p(next, proc, thread, false, 6, &p));
        egt_pcs(&p, pcs_assert, 3);
        feed(g, egt_event_p(TRACE_EV_ABORT, proc, thread, false, 7, &p));
    } else {
        struct trace_event ev = egt_event(next, proc, thread, false, 6);
        ev.obj = 0xA000;
        excgroup_feed(g, &ev);
    }
}

Test(unit, uncaught_cxx_exception)
{
    struct excgroup *g = world(false, 1);
    throw_then(g, 0, 1, "St13runtime_error", "bad record 7",
               TRACE_EV_CXX_TERMINATE);
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.exc_failures, 1, "throw, terminate, abort: one failure");
    const struct exception_group *c = &res.exc_groups[0];
    cr_assert_eq(c->kind, EXC_CXX);
    cr_assert_str_eq(c->type, "std::runtime_error", "demangled");
    cr_assert_not(c->caught);
    cr_assert(strstr(c->message, "what(): bad record 7"), "%s", c->message);
    cr_assert_eq(c->stack.pcs[0], pcs_segv[0], "the throw's stack");
    cr_assert_eq(c->tids[0], 20001);
    cr_assert_eq(res.outcomes[0].signal, SIGABRT);
    excgroup_result_free(&res);
}

Test(unit, caught_throws_only_with_exceptions_all)
{
    for (int all = 0; all <= 1; all++) {
        struct excgroup *g = world(all, 1);
        throw_then(g, 0, 1, "St11logic_error", "nope", TRACE_EV_MUTEX_ACQUIRE);
        throw_then(g, 0, 2, "St11logic_error", "nope", TRACE_EV_THREAD_EXIT);
        exit_event(g, 0, 0, 0, 9); /* a throw pending at exit was caught */
        struct analysis_result res;
        memset(&res, 0, sizeof res);
        excgroup_finish(g, &res);
        excgroup_free(g);
        if (!all) {
            cr_assert_eq(res.nexc_groups, 0);
        } else {
            cr_assert_eq(res.nexc_groups, 1);
            cr_assert_eq(res.exc_groups[0].count, 2);
            cr_assert(res.exc_groups[0].caught);
            cr_assert_str_eq(res.exc_groups[0].title,
                             "caught std::logic_error");
            cr_assert(strncmp(res.exc_groups[0].signature,
                              "cxx-exception:caught std::logic_error:", 38) ==
                          0,
                      "%s", res.exc_groups[0].signature);
        }
        excgroup_result_free(&res);
    }
}

Test(unit, terminate_without_a_recorded_throw)
{
    struct excgroup *g = world(false, 2);
    struct egt_payload p;
    egt_throw(&p, "St9bad_alloc", "std::bad_alloc", pcs_segv, 3);
    feed(g, egt_event_p(TRACE_EV_CXX_TERMINATE, 0, 0, true, 1, &p));
    egt_throw(&p, NULL, NULL, pcs_assert, 3);
    feed(g, egt_event_p(TRACE_EV_CXX_TERMINATE, 1, 1, true, 2, &p));
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.nexc_groups, 2);
    cr_assert_str_eq(res.exc_groups[0].type, "std::bad_alloc");
    cr_assert(strstr(res.exc_groups[0].message, "what(): std::bad_alloc"));
    cr_assert_str_eq(res.exc_groups[1].title, "std::terminate()");
    excgroup_result_free(&res);
}

Test(unit, exit_statuses_and_silent_deaths)
{
    struct excgroup *g = world(false, 10);
    egt_process(g, 7, 1, TRACE_FILE_EXECED); /* proc 7: pid 1007 */
    struct egt_payload p;
    for (uint32_t k = 1; k <= 9; k++)
        feed(g, egt_event(TRACE_EV_PROCESS_START, k, k, true, k));
    exit_event(g, 1, 1, 0, 11);
    exit_event(g, 2, 2, 1, 12);
    exit_event(g, 3, 3, 256 + 1, 13); /* exit(257): status 1 */
    reap_event(g, 1, 0 << 8, 21);
    reap_event(g, 2, 1 << 8, 22);
    reap_event(g, 3, 1 << 8, 23);
    reap_event(g, 4, SIGKILL, 24); /* no stack, only the wait status */
    /* 5: no exit, no reap, no crash: died without a trace */
    /* 6 exec'd into 7 (same pid? no: image 1 of pid 1007), 7 exits 0 */
    egt_process(g, 6, 0, 0);
    struct trace_process tp = {0};
    tp.pid = egt_pid(6);
    tp.image = 1;
    tp.flags = TRACE_FILE_EXECED;
    tp.parent = tp.exec_from = -1;
    excgroup_set_process(g, 7, &tp);
    struct trace_event ev = egt_event(TRACE_EV_EXEC, 6, 6, true, 30);
    excgroup_feed(g, &ev);
    ev = egt_event(TRACE_EV_PROCESS_EXIT, 7, 7, true, 31);
    ev.pid = egt_pid(6);
    excgroup_feed(g, &ev);
    /* 8 exec'd an untraced program, reaped with 3; 9 did, not reaped */
    feed(g, egt_event(TRACE_EV_EXEC, 8, 8, true, 32));
    reap_event(g, 8, 3 << 8, 33);
    feed(g, egt_event(TRACE_EV_EXEC, 9, 9, true, 34));
    /* an untraced child (never in the trace) exits 7 */
    egt_reap(&p, 5555, 7 << 8);
    feed(g, egt_event_p(TRACE_EV_PROCESS_REAP, 0, 0, true, 35, &p));
    exit_event(g, 0, 0, 0, 40);
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);

    const struct exception_group *e1 = egt_find(&res, EXC_EXIT, NULL);
    cr_assert_not_null(e1);
    cr_assert_eq(e1->status, 1);
    cr_assert_eq(e1->count, 2);
    cr_assert_eq(e1->pids[0], 1002);
    cr_assert_eq(e1->pids[1], 1003);
    cr_assert_str_eq(e1->signature, "exit-status:1:");
    cr_assert_eq(e1->stack.pcs[0], 0x401900, "where exit() was called");
    size_t kills = 0, silent = 0, exits = 0;
    for (size_t i = 0; i < res.nexc_groups; i++) {
        const struct exception_group *gr = &res.exc_groups[i];
        cr_assert(excgroup_is_exit_branch(gr));
        if (gr->kind == EXC_SIGNAL && gr->signo == SIGKILL) {
            kills++;
            cr_assert_str_eq(gr->title, "killed by SIGKILL");
            cr_assert_eq(gr->pids[0], 1004);
        } else if (gr->kind == EXC_SIGNAL) {
            silent++;
            cr_assert_eq(gr->signo, 0);
            cr_assert_eq(gr->pids[0], 1005);
            cr_assert(strstr(gr->title, "without a trace"));
        } else {
            exits++;
            cr_assert(gr->status == 1 || gr->status == 3 || gr->status == 7,
                      "status %d", gr->status);
            if (gr->status == 7)
                cr_assert_eq(gr->members[0].proc, UINT32_MAX);
        }
    }
    cr_assert_eq(kills, 1);
    cr_assert_eq(silent, 1);
    cr_assert_eq(exits, 3, "status 1, 3 (untraced exec) and 7 (untraced)");
    cr_assert_eq(res.exc_failures, 6);
    cr_assert_eq(res.outcomes[1].exit_status, 0);
    cr_assert_eq(res.outcomes[3].exit_status, 1);
    cr_assert_eq(res.outcomes[4].signal, SIGKILL);
    cr_assert_not(res.outcomes[5].known);
    cr_assert_not(res.outcomes[6].known, "replaced by exec");
    cr_assert_eq(res.outcomes[7].exit_status, 0);
    cr_assert_not(res.outcomes[9].known);
    excgroup_result_free(&res);
}

Test(unit, blocked_threads_of_a_crashed_process)
{
    struct excgroup *g = world(false, 1);
    struct trace_event ev;
    /* threads 0-5 of pid 1000; 5 is the crasher, started with pthread_t
       0x7000 */
    for (uint32_t t = 0; t <= 5; t++) {
        ev = egt_event(TRACE_EV_THREAD_START, 0, t, t == 0, t);
        ev.obj = 0x7000 + t * 0x100 - 0x500;
        excgroup_feed(g, &ev);
    }
    ev = egt_event(TRACE_EV_THREAD_JOIN_WAIT, 0, 0, true, 10);
    ev.obj = 0x7000;
    ev.site = 0x401010;
    excgroup_feed(g, &ev);
    ev = egt_event(TRACE_EV_MUTEX_WAIT, 0, 1, false, 11);
    ev.obj = 0xA000;
    ev.site = 0x401020;
    excgroup_feed(g, &ev);
    /* a handler runs on thread 1 while it waits: still blocked after */
    feed(g, egt_event(TRACE_EV_SIGNAL_ENTER, 0, 1, false, 12));
    ev = egt_event(TRACE_EV_MUTEX_ACQUIRE, 0, 1, false, 13);
    ev.obj = 0xC000;
    excgroup_feed(g, &ev);
    feed(g, egt_event(TRACE_EV_SIGNAL_LEAVE, 0, 1, false, 14));
    ev = egt_event(TRACE_EV_MUTEX_RELEASE, 0, 2, false, 15);
    ev.obj = 0xD000;
    excgroup_feed(g, &ev);
    ev = egt_event(TRACE_EV_COND_WAIT, 0, 2, false, 16);
    ev.obj = 0xB000;
    excgroup_feed(g, &ev);
    ev = egt_event(TRACE_EV_MUTEX_WAIT, 0, 3, false, 17);
    ev.obj = 0xA000;
    excgroup_feed(g, &ev);
    ev = egt_event(TRACE_EV_MUTEX_ACQUIRE, 0, 3, false, 18);
    ev.obj = 0xA000;
    excgroup_feed(g, &ev); /* thread 3 got it: running */
    feed(g, egt_event(TRACE_EV_THREAD_EXIT, 0, 4, false, 19));
    struct egt_payload p;
    egt_signal(&p, SIGSEGV, SEGV_MAPERR, 8, pcs_segv, 3);
    feed(g, egt_event_p(TRACE_EV_SIGNAL, 0, 5, false, 20, &p));
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.nexc_groups, 1);
    const struct exception_member *m = &res.exc_groups[0].members[0];
    cr_assert_eq(m->thread, 5);
    cr_assert_eq(m->addr, 8);
    cr_assert_eq(m->nothers, 4, "threads 0-3; 4 exited, 5 crashed");
    cr_assert_eq(m->others[0].thread, 0);
    cr_assert_eq(m->others[0].blocked_event, TRACE_EV_THREAD_JOIN_WAIT);
    cr_assert_eq(m->others[0].target, 5, "joining the crasher");
    cr_assert_eq(m->others[0].pcs[0], 0x401010);
    cr_assert_eq(m->others[1].blocked_event, TRACE_EV_MUTEX_WAIT);
    cr_assert_eq(m->others[1].obj.addr, 0xA000);
    cr_assert_str_eq(m->others[1].obj.kind, "mutex");
    cr_assert_eq(m->others[1].since_ns, 11);
    cr_assert_eq(m->others[2].blocked_event, TRACE_EV_COND_WAIT);
    cr_assert_eq(m->others[2].obj.addr, 0xB000);
    cr_assert_str_eq(m->others[2].obj.kind, "cond");
    cr_assert_eq(m->others[3].blocked_event, 0, "running");
    cr_assert_str_eq(excgroup_block_call(TRACE_EV_MUTEX_WAIT),
                     "pthread_mutex_lock");
    excgroup_result_free(&res);
}

static const char py_tb[] = "Traceback (most recent call last):\n"
                            "  File \"/app/job.py\", line 30, in <module>\n"
                            "    main()\n"
                            "  File \"/app/job.py\", line 25, in main\n"
                            "    compute(0)\n"
                            "  File \"/app/job.py\", line 12, in compute\n"
                            "    return 1 / n\n"
                            "ZeroDivisionError: division by zero\n";

Test(unit, python_exceptions)
{
    struct excgroup *g = world(false, 2);
    struct egt_payload p;
    egt_pyexc(&p, "uncaught", "ZeroDivisionError", "division by zero", py_tb);
    feed(g, egt_event_p(TRACE_EV_PY_EXCEPTION, 0, 0, true, 1, &p));
    exit_event(g, 0, 0, 1, 2); /* Python exits 1: the same failure */
    egt_pyexc(&p, "thread", "ZeroDivisionError", "division by zero", py_tb);
    feed(g, egt_event_p(TRACE_EV_PY_EXCEPTION, 1, 1, true, 3, &p));
    exit_event(g, 1, 1, 1, 4); /* a thread's exception: the process goes on */
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.exc_failures, 3);
    const struct exception_group *py = &res.exc_groups[0];
    cr_assert_eq(py->kind, EXC_PYTHON);
    cr_assert_eq(py->count, 2);
    cr_assert_str_eq(
        py->signature,
        "python-exception:ZeroDivisionError:compute;main;<module>");
    cr_assert_eq(py->npyframes, 3);
    cr_assert_str_eq(py->pyframes[0].function, "compute");
    cr_assert_str_eq(py->pyframes[0].file, "/app/job.py");
    cr_assert_eq(py->pyframes[0].line, 12);
    cr_assert_str_eq(py->pyframes[2].function, "<module>");
    cr_assert_str_eq(py->traceback, py_tb);
    cr_assert(strstr(py->message, "ZeroDivisionError: division by zero"));
    const struct exception_group *ex = egt_find(&res, EXC_EXIT, NULL);
    cr_assert_not_null(ex);
    cr_assert_eq(ex->pids[0], 1001);
    excgroup_result_free(&res);
}

Test(unit, groups_stay_bounded)
{
    /* ten thousand forked copies crash at one site: one group */
    struct excgroup *g = excgroup_new(NULL, false);
    struct egt_payload p;
    egt_signal(&p, SIGBUS, BUS_ADRERR, 0x1000, pcs_segv, 3);
    for (uint32_t k = 0; k < 10000; k++) {
        struct trace_event ev = egt_event_p(TRACE_EV_SIGNAL, k, k, true, k, &p);
        excgroup_feed(g, &ev);
        exit_event(g, k, k, 0, k); /* ignored: it crashed */
    }
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.nexc_groups, 1);
    const struct exception_group *gr = &res.exc_groups[0];
    cr_assert_eq(gr->count, 10000);
    cr_assert_eq(gr->npids, EXC_MAX_IDS);
    cr_assert(gr->ids_truncated);
    cr_assert_eq(gr->nmembers, EXC_MAX_MEMBERS);
    cr_assert_eq(res.exc_processes, 10000);
    excgroup_result_free(&res);
}

Test(unit, hostile_payloads_never_crash)
{
    static const uint32_t types[] = {
        TRACE_EV_SIGNAL,       TRACE_EV_ASSERT,        TRACE_EV_ABORT,
        TRACE_EV_CXX_THROW,    TRACE_EV_CXX_TERMINATE, TRACE_EV_PY_EXCEPTION,
        TRACE_EV_PROCESS_REAP, TRACE_EV_MODULE_LOAD,
    };
    struct excgroup *g = excgroup_new(NULL, true);
    struct egt_payload p;
    srand(42);
    for (int i = 0; i < 20000; i++) {
        p.len = (uint32_t)rand() % 200;
        for (uint32_t k = 0; k < p.len; k++)
            p.bytes[k] = (uint8_t)(rand() % 4 ? rand() : 0xff);
        uint32_t type = types[(size_t)rand() % (sizeof types / sizeof *types)];
        struct trace_event ev =
            egt_event_p(type, (uint32_t)rand() % 8, (uint32_t)rand() % 16,
                        false, (uint64_t)i, &p);
        if (rand() % 8 == 0)
            ev.payload = NULL;
        excgroup_feed(g, &ev);
    }
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_gt(res.nexc_groups, 0);
    excgroup_result_free(&res);
}

/* ---- symbolized signatures ---- */

static volatile int sink;

__attribute__((noinline)) static uint64_t ret_addr(void)
{
    sink++;
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

/* Two return addresses in one function, on different lines. */
__attribute__((noinline)) static void egt_site_a(uint64_t *a, uint64_t *b)
{
    *a = ret_addr();
    sink++;
    *b = ret_addr();
}

__attribute__((noinline)) static uint64_t egt_site_b(void)
{
    uint64_t r = ret_addr();
    sink++;
    return r;
}

Test(unit, symbolized_signatures_merge_by_function)
{
    struct excgroup *g = excgroup_new(NULL, false);
    struct symbolizer *sym = sym_new();
    for (uint32_t proc = 0; proc < 3; proc++)
        egt_self_modules(g, sym, proc, 0);
    uint64_t a1, a2;
    egt_site_a(&a1, &a2);
    void *getpid_fn = dlsym(RTLD_DEFAULT, "getpid");
    cr_assert_not_null(getpid_fn);
    uint64_t libc_pc = (uint64_t)(uintptr_t)getpid_fn + 4;
    uint64_t s1[] = {libc_pc, a1}, s2[] = {libc_pc, a2}, s3[] = {egt_site_b()};
    struct egt_payload p;
    egt_pcs(&p, s1, 2);
    feed(g, egt_event_p(TRACE_EV_ABORT, 0, 0, true, 1, &p));
    egt_pcs(&p, s2, 2);
    feed(g, egt_event_p(TRACE_EV_ABORT, 1, 1, true, 2, &p));
    egt_pcs(&p, s3, 1);
    feed(g, egt_event_p(TRACE_EV_ABORT, 2, 2, true, 3, &p));
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_eq(res.nexc_groups, 3, "three different pcs before naming");
    excgroup_symbolize(&res, sym);
    cr_assert_eq(res.nexc_groups, 2, "egt_site_a twice, egt_site_b once");
    cr_assert_eq(res.exc_groups[0].count, 2);
    cr_assert_str_eq(res.exc_groups[0].signature, "abort::egt_site_a");
    cr_assert_eq(res.exc_groups[0].npids, 2);
    cr_assert_eq(res.exc_groups[0].nmembers, 2);
    cr_assert_str_eq(res.exc_groups[1].signature, "abort::egt_site_b");
    cr_assert_eq(res.exc_failures, 3);
    struct sym_frame top = egt_top(sym, &res.exc_groups[0]);
    cr_assert_str_eq(top.function, "egt_site_a");
    cr_assert_not_null(top.file);
    cr_assert(strstr(top.file, "test_unit.c"), "%s", top.file);
    excgroup_result_free(&res);
    sym_free(sym);
}

/* ---- through the analyzer ---- */

Test(unit, analyzer_fills_the_result)
{
    struct analyzer_options o;
    analyzer_options_default(&o);
    struct analyzer *a = analyzer_new(&o, NULL);
    for (uint32_t k = 0; k <= 5; k++) {
        analyzer_set_process(a, k, egt_pid(k), k ? egt_pid(0) : 1, k ? 0 : -1);
        analyzer_set_thread(a, k, k, egt_pid(k), 0);
    }
    struct egt_payload p;
    for (uint32_t k = 1; k <= 5; k++) {
        struct trace_event ev;
        if (k <= 3) {
            egt_signal(&p, SIGSEGV, SEGV_MAPERR, 0, pcs_segv, 3);
            ev = egt_event_p(TRACE_EV_SIGNAL, k, k, true, 10 * k + 1, &p);
        } else {
            egt_assert(&p, "r->len >= 0", "pool.c", 30, "check_record",
                       pcs_assert, 3);
            ev = egt_event_p(TRACE_EV_ASSERT, k, k, true, 10 * k + 1, &p);
        }
        analyzer_feed(a, &ev);
    }
    struct trace_event ev = egt_event(TRACE_EV_PROCESS_EXIT, 0, 0, true, 99);
    analyzer_feed(a, &ev);
    struct analysis_result res;
    analyzer_finish(a, &res);
    analyzer_free(a);
    cr_assert_eq(res.nexc_groups, 2);
    cr_assert_eq(res.exc_groups[0].count, 3);
    cr_assert_eq(res.exc_groups[1].count, 2);
    cr_assert_eq(res.exc_failures, 5);
    analysis_result_free(&res);
    cr_assert_eq(res.nexc_groups, 0);
}

/* ---- the views ---- */

static char *write_text(const struct analysis_result *res, bool utf8)
{
    struct trace_process procs[6];
    memset(procs, 0, sizeof procs);
    for (uint32_t k = 0; k < 6; k++)
        procs[k].pid = egt_pid(k);
    struct report_input in = {.res = res, .procs = procs, .nprocs = 6};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct excgroup_style st = {"", "", "", ""};
    excgroup_write_text(f, &in, &st, utf8);
    fclose(f);
    return buf;
}

Test(unit, text_tree)
{
    struct excgroup *g = world(false, 6);
    pool(g);
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    char *ascii = write_text(&res, false);
    cr_assert(strstr(ascii, "ExceptionGroup: 5 failures in 5 processes "
                            "(2 distinct)\n"),
              "%s", ascii);
    cr_assert(strstr(ascii, "\n+- [3x] SIGSEGV at 0x401100   pids 1001, "
                            "1002, 1003\n"),
              "%s", ascii);
    cr_assert(strstr(ascii, "\n|    #0 0x401100\n"), "%s", ascii);
    cr_assert(strstr(ascii, "\n`- [2x] assert `r->len >= 0` failed at "
                            "0x401500   pids 1004, 1005\n"),
              "%s", ascii);
    cr_assert_null(strstr(ascii, "\xe2\x94"), "no box characters");
    char *utf8 = write_text(&res, true);
    cr_assert(strstr(utf8, "\n\xe2\x94\x9c\xe2\x94\x80 [3x] SIGSEGV"), "%s",
              utf8);
    cr_assert(strstr(utf8, "\n\xe2\x94\x94\xe2\x94\x80 [2x] assert"), "%s",
              utf8);
    free(ascii);
    free(utf8);
    struct analysis_result none;
    memset(&none, 0, sizeof none);
    char *empty = write_text(&none, true);
    cr_assert_str_eq(empty, "", "no groups, no tree");
    free(empty);
    excgroup_result_free(&res);
}

Test(unit, utf8_locale_detection)
{
    const char *saved[3];
    const char *names[3] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(names[i]);
    }
    cr_assert_not(excgroup_utf8_locale());
    setenv("LANG", "en_US.UTF-8", 1);
    cr_assert(excgroup_utf8_locale());
    setenv("LC_CTYPE", "C", 1); /* LC_CTYPE wins over LANG */
    cr_assert_not(excgroup_utf8_locale());
    setenv("LC_ALL", "C.utf8", 1);
    cr_assert(excgroup_utf8_locale());
    for (int i = 0; i < 3; i++) {
        if (saved[i])
            setenv(names[i], saved[i], 1);
        else
            unsetenv(names[i]);
        free((void *)saved[i]);
    }
}

/* report_check.py (tests/analyzer) validates with python3-jsonschema. */
static int schema_check(const char *file)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(root);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 %s/tests/analyzer/report_check.py schema "
             "%s/docs/report-schema.json %s",
             root, root, file);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Test(unit, json_matches_the_schema)
{
    /* every kind of group, with members and other threads */
    struct excgroup *g = world(true, 6);
    pool(g);
    throw_then(g, 0, 7, "St13runtime_error", "bad", TRACE_EV_CXX_TERMINATE);
    throw_then(g, 0, 8, "St13runtime_error", "bad", TRACE_EV_MUTEX_ACQUIRE);
    struct egt_payload p;
    egt_pyexc(&p, "pool", "ValueError", "bad \"value\"\n\t\x01", py_tb);
    feed(g, egt_event_p(TRACE_EV_PY_EXCEPTION, 0, 9, false, 50, &p));
    struct trace_event ev = egt_event(TRACE_EV_MUTEX_WAIT, 0, 10, false, 51);
    ev.obj = 0xA000;
    ev.site = 0x401010;
    excgroup_feed(g, &ev);
    reap_event(g, 4, SIGKILL, 52);
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    excgroup_finish(g, &res);
    excgroup_free(g);
    cr_assert_geq(res.nexc_groups, 4);

    struct trace_process procs[6];
    memset(procs, 0, sizeof procs);
    for (uint32_t k = 0; k < 6; k++) {
        procs[k].pid = egt_pid(k);
        procs[k].parent = k ? 0 : -1;
        procs[k].exe = "/bin/egt";
        procs[k].cmdline = "egt";
    }
    struct trace_thread threads[11];
    memset(threads, 0, sizeof threads);
    for (uint32_t t = 0; t < 11; t++) {
        threads[t].proc = t <= 5 ? t : 0;
        threads[t].tid = t <= 5 ? egt_pid(t) : 20000 + t;
    }
    struct report_input in = {.res = &res,
                              .procs = procs,
                              .nprocs = 6,
                              .threads = threads,
                              .nthreads = 11};
    char path[] = "/tmp/egt-json-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_eq(report_write_json(f, &in), 0);
    fclose(f);
    int rc = schema_check(path);
    unlink(path);
    cr_assert_eq(rc, 0, "the JSON report does not match its schema");
    excgroup_result_free(&res);
}
