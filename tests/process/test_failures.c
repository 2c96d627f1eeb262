/* Failures, end to end: every fatal signal, with and without the
 * program's own handler, abort(), a failed assert and C++ exceptions.
 * For each: the same exit status, stdout and stderr with and without
 * ctrace (the line with the crash function's address, which changes
 * from run to run, left out), and the record the analyzer needs: the
 * right event, its details, and a stack that reaches the function that
 * failed (its address is what the sample prints as "crash_fn"). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process_test.h"

#define CRASH_MASK "crash_fn "

/* Arrays, not pointers: Criterion runs each parameterized test in a
 * fresh process image, where pointers of the parent mean nothing. */
struct crash_case {
    char sample[32];
    char arg[16]; /* "": none */
    int signo;
};

static void crash_run(const struct crash_case *c, struct e2e_result *native,
                      struct proc_run *r)
{
    const char *argv[] = {e2e_sample(c->sample), c->arg[0] ? c->arg : NULL,
                          NULL};
    proc_run_native(native, argv, NULL);
    proc_run_traced(r, argv, NULL);
    char what[128];
    snprintf(what, sizeof what, "%s %s", c->sample, c->arg);
    proc_assert_same(what, native, &r->res, CRASH_MASK);
}

static const struct trace_event *only_event(const struct e2e_trace *t,
                                            uint32_t type)
{
    cr_assert_eq(proc_count(t, type, 0), 1, "%zu %s events, want 1",
                 proc_count(t, type, 0), trace_event_name(type));
    return proc_find(t, type, 0, 0);
}

ParameterizedTestParameters(failures, fatal_signal_default_action)
{
    static struct crash_case cases[] = {
        {"c/segv", "", SIGSEGV},
        {"c/fpe", "", SIGFPE},
        {"c/fatal_other", "bus", SIGBUS},
        {"c/fatal_other", "ill", SIGILL},
        {"c/fatal_other", "trap", SIGTRAP},
        {"c/fatal_other", "sys", SIGSYS},
    };
    return cr_make_param_array(struct crash_case, cases,
                               sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct crash_case *c, failures, fatal_signal_default_action)
{
    struct e2e_result native;
    struct proc_run r;
    crash_run(c, &native, &r);
    cr_expect_eq(native.status, 128 + c->signo, "%s: native status %d",
                 c->sample, native.status);
    const struct trace_event *e = only_event(&r.t, TRACE_EV_SIGNAL);
    const struct trace_signal_info *info;
    const uint64_t *pcs = proc_signal_pcs(e, &info);
    cr_expect_eq(info->signo, c->signo);
    uint64_t fn = proc_out_value(r.res.out, "crash_fn");
    cr_expect(proc_pcs_hit(pcs, info->nframes, fn, PROC_FN_SPAN),
              "%s: no frame in the crashing function (%u frames)", c->sample,
              info->nframes);
    if (c->signo == SIGSEGV)
        cr_expect_eq(info->addr, 0, "si_addr of a NULL dereference");
    if (c->signo == SIGSEGV || c->signo == SIGFPE || c->signo == SIGILL)
        cr_expect_gt(info->code, 0, "kernel-sent, si_code %d", info->code);
    /* Died by the signal: no exit status in the header. */
    cr_expect(!r.t.procs[0].exited);
    e2e_result_free(&native);
    proc_run_free(&r);
}

ParameterizedTestParameters(failures, fatal_signal_program_handler)
{
    static struct crash_case cases[] = {
        {"c/segv", "handler", SIGSEGV},
        {"c/fpe", "handler", SIGFPE},
    };
    return cr_make_param_array(struct crash_case, cases,
                               sizeof cases / sizeof cases[0]);
}

/* The program's handler prints "caught ..." and _exit(3)s, under ctrace
 * too; the signal is recorded first, then the handler's run. */
ParameterizedTest(struct crash_case *c, failures, fatal_signal_program_handler)
{
    struct e2e_result native;
    struct proc_run r;
    crash_run(c, &native, &r);
    cr_expect_eq(native.status, 3);
    cr_expect(strstr(r.res.out, "caught SIG") != NULL, "%s", r.res.out);
    const struct trace_event *e = only_event(&r.t, TRACE_EV_SIGNAL);
    const struct trace_signal_info *info;
    const uint64_t *pcs = proc_signal_pcs(e, &info);
    cr_expect_eq(info->signo, c->signo);
    uint64_t fn = proc_out_value(r.res.out, "crash_fn");
    cr_expect(proc_pcs_hit(pcs, info->nframes, fn, PROC_FN_SPAN));
    cr_expect_eq(
        proc_count_arg(&r.t, TRACE_EV_SIGNAL_ENTER, 0, (uint32_t)c->signo), 1);
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_PROCESS_EXIT, 0, 3), 1);
    cr_expect(r.t.procs[0].exited && r.t.procs[0].exit_status == 3);
    e2e_result_free(&native);
    proc_run_free(&r);
}

Test(failures, abort_recorded_once_with_stack)
{
    const struct crash_case c = {"c/abort_sample", "", SIGABRT};
    struct e2e_result native;
    struct proc_run r;
    crash_run(&c, &native, &r);
    cr_expect_eq(native.status, 128 + SIGABRT);
    const struct trace_event *e = only_event(&r.t, TRACE_EV_ABORT);
    uint64_t fn = proc_out_value(r.res.out, "crash_fn");
    cr_expect(proc_pcs_hit(e->payload, e->payload_len / 8, fn, PROC_FN_SPAN),
              "abort stack misses abort_now");
    /* The SIGABRT abort() raises is the same failure. */
    cr_expect_eq(proc_count(&r.t, TRACE_EV_SIGNAL, 0), 0);
    e2e_result_free(&native);
    proc_run_free(&r);
}

Test(failures, abort_with_program_handler)
{
    const struct crash_case c = {"c/abort_sample", "handler", SIGABRT};
    struct e2e_result native;
    struct proc_run r;
    crash_run(&c, &native, &r);
    cr_expect_eq(native.status, 3);
    cr_expect(strstr(r.res.out, "caught SIGABRT") != NULL);
    only_event(&r.t, TRACE_EV_ABORT);
    cr_expect_eq(proc_count_arg(&r.t, TRACE_EV_SIGNAL_ENTER, 0, SIGABRT), 1);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_SIGNAL, 0), 0);
    e2e_result_free(&native);
    proc_run_free(&r);
}

Test(failures, assert_payload)
{
    const struct crash_case c = {"c/assert_fail", "", SIGABRT};
    struct e2e_result native;
    struct proc_run r;
    crash_run(&c, &native, &r);
    cr_expect_eq(native.status, 128 + SIGABRT);
    /* glibc's message names the line: "...assert_fail.c:LINE: ..." */
    const char *at = strstr(native.err, "assert_fail.c:");
    cr_assert_not_null(at, "%s", native.err);
    unsigned line = (unsigned)atoi(at + strlen("assert_fail.c:"));
    struct proc_assert a;
    proc_assert_decode(only_event(&r.t, TRACE_EV_ASSERT), &a);
    cr_expect_str_eq(a.expr, "value == 42 && \"the answer\"");
    cr_expect(strstr(a.file, "assert_fail.c") != NULL, "file %s", a.file);
    cr_expect_str_eq(a.func, "assert_check");
    cr_expect_eq(a.line, line);
    uint64_t fn = proc_out_value(r.res.out, "crash_fn");
    cr_expect(proc_pcs_hit(a.pcs, a.nframes, fn, PROC_FN_SPAN));
    cr_expect_eq(proc_count(&r.t, TRACE_EV_ABORT, 0), 0);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_SIGNAL, 0), 0);
    e2e_result_free(&native);
    proc_run_free(&r);
}

static void check_parse_error(const struct trace_event *e, uint64_t fn)
{
    struct proc_throw x;
    proc_throw_decode(e, &x);
    cr_expect(strstr(x.type, "ParseError") != NULL, "type %s", x.type);
    cr_expect_str_eq(x.what, "bad record 7");
    cr_expect(proc_pcs_hit(x.pcs, x.nframes, fn, PROC_FN_SPAN),
              "%s stack misses parse_fail", trace_event_name(e->type));
}

Test(failures, cxx_uncaught_exception)
{
    const struct crash_case c = {"cxx/throw_uncaught", "", SIGABRT};
    struct e2e_result native;
    struct proc_run r;
    crash_run(&c, &native, &r);
    cr_expect_eq(native.status, 128 + SIGABRT);
    cr_expect(strstr(native.err, "app::ParseError") != NULL);
    uint64_t fn = proc_out_value(r.res.out, "crash_fn");
    cr_assert_eq(proc_count(&r.t, TRACE_EV_CXX_THROW, 0), 2);
    check_parse_error(proc_find(&r.t, TRACE_EV_CXX_THROW, 0, 0), fn);
    const struct trace_event *throw2 =
        proc_find(&r.t, TRACE_EV_CXX_THROW, 0, 1);
    check_parse_error(throw2, fn);
    const struct trace_event *term = only_event(&r.t, TRACE_EV_CXX_TERMINATE);
    check_parse_error(term, fn);
    cr_expect_eq(term->thread, throw2->thread,
                 "terminate not on the throwing thread");
    cr_expect_neq(term->thread,
                  proc_find(&r.t, TRACE_EV_CXX_THROW, 0, 0)->thread,
                  "terminate on the main thread, not the worker");
    cr_expect_eq(proc_count(&r.t, TRACE_EV_ABORT, 0), 0);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_SIGNAL, 0), 0);
    e2e_result_free(&native);
    proc_run_free(&r);
}

Test(failures, cxx_caught_exceptions_are_throws_only)
{
    const struct crash_case c = {"cxx/throw_uncaught", "caught", 0};
    struct e2e_result native;
    struct proc_run r;
    crash_run(&c, &native, &r);
    cr_expect_eq(native.status, 0);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_CXX_THROW, 0), 2);
    cr_expect_eq(proc_count(&r.t, TRACE_EV_CXX_TERMINATE, 0), 0);
    e2e_result_free(&native);
    proc_run_free(&r);
}
