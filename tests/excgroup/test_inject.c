/* Exception groups end to end (suite inject): the samples recorded by
 * the real `ctrace run`, then analysed the way `ctrace report` does it
 * (egt_analyse) and through `ctrace report` itself (JSON checked against
 * docs/report-schema.json with python3-jsonschema and by
 * excgroup_json.py; the text tree).  Every sample has a twin with no
 * failure, and every sample's exit status and output are the same with
 * and without ctrace. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "egt.h"

/* ---- running ---- */

/* Record `sample` (with `arg`, may be NULL) and check its status. */
static const char *record(const char *sample, const char *arg, int status)
{
    const char *dir = e2e_trace_dir();
    const char *argv[] = {
        "ctrace", "run", "--no-report",
        "-o",     dir,   sample[0] == '/' ? sample : e2e_sample(sample),
        arg,      NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert_not(r.timed_out, "%s timed out", sample);
    cr_assert_eq(r.status, status, "%s %s: status %d, want %d\n%s", sample,
                 arg ? arg : "", r.status, status, r.err);
    e2e_result_free(&r);
    return dir;
}

/* `ctrace report ARGS... DIR`, stdout returned (malloc'ed). */
static char *report(const char *dir, const char *a1, const char *a2,
                    const char *const env[])
{
    const char *argv[] = {"ctrace", "report", dir, a1, a2, NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run_env(&r, argv, env, NULL, E2E_TIMEOUT_S), 0);
    cr_assert_eq(r.status, 0, "ctrace report: %d\n%s", r.status, r.err);
    char *out = strdup(r.out);
    e2e_result_free(&r);
    return out;
}

static int run_python(const char *const argv[])
{
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    if (r.status != 0)
        cr_log_error("%s", r.err);
    int status = r.status;
    e2e_result_free(&r);
    return status;
}

/* The JSON report of dir: valid against the schema, and the specs of
 * excgroup_json.py hold (a NULL-terminated list). */
static void check_json(const char *dir, const char *exceptions,
                       const char *const specs[])
{
    char file[4096];
    snprintf(file, sizeof file, "%s.json", dir);
    const char *argv[] = {
        "ctrace", "report", "--format=json", "-o", file, exceptions, dir, NULL};
    if (!exceptions) {
        argv[5] = dir;
        argv[6] = NULL;
    }
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_result_free(&r);
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    char check[4096], schema[4096], eg[4096];
    snprintf(check, sizeof check, "%s/tests/analyzer/report_check.py", root);
    snprintf(schema, sizeof schema, "%s/docs/report-schema.json", root);
    snprintf(eg, sizeof eg, "%s/tests/excgroup/excgroup_json.py", root);
    const char *sargv[] = {
        "/usr/bin/python3", check, "schema", schema, file, NULL};
    cr_assert_eq(run_python(sargv), 0, "%s does not match the schema", file);
    const char *cargv[16] = {"/usr/bin/python3", eg, file};
    size_t n = 3;
    for (size_t i = 0; specs[i] && n < 15; i++)
        cargv[n++] = specs[i];
    cargv[n] = NULL;
    cr_assert_eq(run_python(cargv), 0, "exception groups of %s", file);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines of a program's stdout, digits replaced by N, sorted: forked
 * workers print in any order, and pids differ between runs. */
static char *normalize(const char *out)
{
    char *s = strdup(out);
    for (char *p = s; *p; p++)
        if (isdigit((unsigned char)*p))
            *p = 'N';
    size_t n = 0;
    char *lines[256];
    for (char *save, *l = strtok_r(s, "\n", &save); l && n < 256;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(lines[i]) + 1;
    char *joined = calloc(1, len);
    for (size_t i = 0; i < n; i++) {
        strcat(joined, lines[i]);
        strcat(joined, "\n");
    }
    free(s);
    return joined;
}

/* The program's exit status and output are the same under ctrace. */
static void check_transparent(const char *sample, const char *arg)
{
    const char *path = e2e_sample(sample);
    const char *plain[] = {path, arg, NULL};
    const char *traced[] = {"ctrace",        "run", "--no-report", "-o",
                            e2e_trace_dir(), path,  arg,           NULL};
    struct e2e_result a, b;
    cr_assert_eq(e2e_run(&a, plain), 0);
    cr_assert_eq(e2e_run(&b, traced), 0);
    cr_assert_eq(a.status, b.status, "%s %s: status %d alone, %d traced",
                 sample, arg ? arg : "", a.status, b.status);
    char *na = normalize(a.out), *nb = normalize(b.out);
    cr_assert_str_eq(na, nb, "%s %s: output differs", sample, arg ? arg : "");
    free(na);
    free(nb);
    e2e_result_free(&a);
    e2e_result_free(&b);
}

static const char *const env_ascii[] = {"LC_ALL=C", NULL};
static const char *const env_utf8[] = {"LC_ALL=C.UTF-8", NULL};

/* ---- the pool: 3 segfaults at one site, 2 asserts ---- */

Test(inject, pool_of_workers)
{
    const char *dir = record("c/crash_pool", NULL, 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 2);
    cr_assert_eq(x.res.exc_failures, 5);
    cr_assert_eq(x.res.exc_processes, 5);
    const struct exception_group *s = egt_find(&x.res, EXC_SIGNAL, NULL);
    const struct exception_group *a = egt_find(&x.res, EXC_ASSERT, NULL);
    cr_assert(s && a);
    cr_assert_eq(s->signo, SIGSEGV);
    cr_assert_eq(s->count, 3);
    cr_assert_eq(s->npids, 3);
    cr_assert_str_eq(s->signature,
                     "signal:SIGSEGV:parse_record;worker_main;main");
    struct sym_frame top = egt_top(x.sym, s);
    cr_assert_str_eq(top.function, "parse_record");
    cr_assert_eq(top.line,
                 egt_marker_line("samples/c/crash_pool.c", "/* SEGV_SITE */"),
                 "line %d", top.line);
    cr_assert_eq(a->count, 2);
    cr_assert_eq(a->npids, 2);
    cr_assert_str_eq(a->detail, "r->len >= 0");
    top = egt_top(x.sym, a);
    cr_assert_str_eq(top.function, "check_record");
    cr_assert_eq(top.line, egt_marker_line("samples/c/crash_pool.c",
                                           "/* ASSERT_SITE */"));
    for (size_t i = 0; i < x.res.noutcomes; i++) {
        const struct process_outcome *o = &x.res.outcomes[i];
        cr_assert(o->known);
        cr_assert(o->exit_status == 0 || o->signal == SIGSEGV ||
                      o->signal == SIGABRT,
                  "pid %u: exit %d signal %d", x.procs[i].pid, o->exit_status,
                  o->signal);
    }
    egt_run_free(&x);

    const char *const specs[] = {"group:signal:3:parse_record",
                                 "group:assert:2:check_record",
                                 "procs:signal:11:3",
                                 "procs:signal:6:2",
                                 "procs:exit:0:1",
                                 NULL};
    check_json(dir, NULL, specs);

    char line[256];
    snprintf(line, sizeof line,
             "\n+- [3x] SIGSEGV at parse_record (crash_pool.c:%d)   pids ",
             egt_marker_line("samples/c/crash_pool.c", "/* SEGV_SITE */"));
    char *text = report(dir, NULL, NULL, env_ascii);
    cr_assert(strstr(text, "ExceptionGroup: 5 failures in 5 processes "
                           "(2 distinct)\n"),
              "%s", text);
    cr_assert(strstr(text, line), "%s", text);
    cr_assert(strstr(text, "\n`- [2x] assert `r->len >= 0` failed at "
                           "check_record (crash_pool.c:"),
              "%s", text);
    cr_assert(strstr(text, "; 5 failures (2 groups)\n"), "%s", text);
    free(text);
    text = report(dir, NULL, NULL, env_utf8);
    cr_assert(strstr(text, "\n\xe2\x94\x9c\xe2\x94\x80 [3x] SIGSEGV at "
                           "parse_record"),
              "%s", text);
    free(text);
}

Test(inject, pool_twin_without_failures)
{
    const char *dir = record("c/crash_pool", "ok", 0);
    struct egt_run x;
    egt_analyse(&x, dir, true);
    cr_assert_eq(x.res.nexc_groups, 0);
    cr_assert_eq(x.res.exc_failures, 0);
    cr_assert_eq(x.res.noutcomes, 6);
    for (size_t i = 0; i < x.res.noutcomes; i++)
        cr_assert_eq(x.res.outcomes[i].exit_status, 0);
    egt_run_free(&x);
    const char *const specs[] = {"procs:exit:0:6", NULL};
    check_json(dir, NULL, specs);
    char *text = report(dir, NULL, NULL, env_ascii);
    cr_assert_null(strstr(text, "ExceptionGroup"), "%s", text);
    free(text);
}

/* ---- one thread crashes while the others are blocked ---- */

Test(inject, crash_with_blocked_threads)
{
    const char *dir = record("c/crash_blocked", NULL, 128 + SIGSEGV);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 1);
    const struct exception_group *s = &x.res.exc_groups[0];
    cr_assert_eq(s->kind, EXC_SIGNAL);
    cr_assert_eq(s->signo, SIGSEGV);
    struct sym_frame top = egt_top(x.sym, s);
    cr_assert_str_eq(top.function, "crash_now");
    cr_assert_eq(top.line, egt_marker_line("samples/c/crash_blocked.c",
                                           "/* CRASH_SITE */"));
    cr_assert_eq(s->nmembers, 1);
    const struct exception_member *m = &s->members[0];
    cr_assert_neq(m->tid, m->pid, "a worker thread crashed");
    cr_assert_eq(m->nothers, 3, "main, locker and waiter");
    bool join = false, lock = false, cond = false;
    for (size_t i = 0; i < m->nothers; i++) {
        const struct exception_thread *o = &m->others[i];
        char name[256] = "";
        if (o->obj.addr)
            sym_lookup_data(x.sym, o->obj.proc, o->obj.addr, name, sizeof name);
        if (o->blocked_event == TRACE_EV_THREAD_JOIN_WAIT)
            join = o->target == m->thread;
        else if (o->blocked_event == TRACE_EV_MUTEX_WAIT)
            lock = strcmp(name, "held_lock") == 0;
        else if (o->blocked_event == TRACE_EV_COND_WAIT)
            cond = strcmp(name, "never_cond") == 0;
    }
    cr_assert(join, "main blocked joining the crasher");
    cr_assert(lock, "the locker blocked on held_lock");
    cr_assert(cond, "the waiter blocked on never_cond");
    egt_run_free(&x);

    char *text = report(dir, NULL, NULL, env_ascii);
    cr_assert(strstr(text, "when pid "), "%s", text);
    cr_assert(strstr(text, ": blocked in pthread_mutex_lock on mutex "
                           "held_lock at locker_main (crash_blocked.c:"),
              "%s", text);
    cr_assert(strstr(text, ": blocked in pthread_cond_wait on cond "
                           "never_cond at waiter_main (crash_blocked.c:"),
              "%s", text);
    cr_assert(strstr(text, ": blocked in pthread_join waiting for T"), "%s",
              text);
    free(text);
    const char *const specs[] = {"group:signal:1:crash_now",
                                 "procs:signal:11:1", NULL};
    check_json(dir, NULL, specs);
}

Test(inject, crash_with_blocked_threads_twin)
{
    const char *dir = record("c/crash_blocked", "ok", 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 0);
    cr_assert_eq(x.res.outcomes[0].exit_status, 0);
    egt_run_free(&x);
}

/* ---- an uncaught C++ exception in a worker thread ---- */

Test(inject, uncaught_cxx_exception_in_a_thread)
{
    const char *dir = record("cxx/throw_thread", NULL, 128 + SIGABRT);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 1, "throw, terminate, abort: one");
    const struct exception_group *c = &x.res.exc_groups[0];
    cr_assert_eq(c->kind, EXC_CXX);
    cr_assert_str_eq(c->type, "std::runtime_error");
    cr_assert_not(c->caught);
    cr_assert(strstr(c->message, "what(): config file missing"), "%s",
              c->message);
    cr_assert_neq(c->tids[0], c->pids[0], "thrown in a worker thread");
    struct sym_frame top = egt_top(x.sym, c);
    cr_assert_str_eq(top.function, "load_config_fail");
    cr_assert_eq(top.line, egt_marker_line("samples/cxx/throw_thread.cpp",
                                           "// THROW_SITE"));
    /* main is listed, joining or not yet (no order is forced here) */
    cr_assert_eq(c->members[0].nothers, 1);
    cr_assert_eq(c->members[0].others[0].thread, 0);
    egt_run_free(&x);
    const char *const specs[] = {"group:cxx-exception:1:load_config_fail",
                                 "procs:signal:6:1", NULL};
    check_json(dir, NULL, specs);
}

Test(inject, caught_cxx_exception_twin)
{
    const char *dir = record("cxx/throw_thread", "caught", 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 0, "a caught throw is not a failure");
    egt_run_free(&x);
    egt_analyse(&x, dir, true);
    cr_assert_eq(x.res.nexc_groups, 1, "--exceptions=all shows it");
    cr_assert(x.res.exc_groups[0].caught);
    cr_assert_str_eq(x.res.exc_groups[0].type, "std::runtime_error");
    egt_run_free(&x);
    const char *const none[] = {NULL};
    check_json(dir, NULL, none);
    const char *const caught[] = {"group:cxx-exception:1:load_config_fail",
                                  NULL};
    check_json(dir, "--exceptions=all", caught);
    const char *argv[] = {"ctrace", "report", "--exceptions=some", dir, NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert_eq(r.status, 2, "a bad --exceptions is a usage error");
    cr_assert(strstr(r.err, "fatal or all"), "%s", r.err);
    e2e_result_free(&r);
    /* ctrace run takes it too, and prints the tree after the run */
    const char *run[] = {"ctrace",           "run",
                         "--exceptions=all", "-o",
                         e2e_trace_dir(),    e2e_sample("cxx/throw_thread"),
                         "caught",           NULL};
    const char *const env[] = {"LC_ALL=C", NULL};
    cr_assert_eq(e2e_run_env(&r, run, env, NULL, E2E_TIMEOUT_S), 0);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.err, "`- [1x] caught std::runtime_error at "
                            "load_config_fail (throw_thread.cpp:"),
              "%s", r.err);
    e2e_result_free(&r);
}

/* ---- exit statuses: 0, 1, 1 and SIGKILL ---- */

Test(inject, exit_statuses)
{
    const char *dir = record("c/exit_statuses", NULL, 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 2);
    const struct exception_group *e = egt_find(&x.res, EXC_EXIT, NULL);
    const struct exception_group *k = egt_find(&x.res, EXC_SIGNAL, NULL);
    cr_assert(e && k);
    cr_assert_eq(e->status, 1);
    cr_assert_eq(e->count, 2);
    cr_assert_eq(e->npids, 2);
    struct sym_frame top = egt_top(x.sym, e);
    cr_assert_str_eq(top.function, "exit_failing");
    cr_assert_eq(top.line, egt_marker_line("samples/c/exit_statuses.c",
                                           "/* EXIT_SITE */"));
    cr_assert_eq(k->signo, SIGKILL);
    cr_assert_eq(k->count, 1);
    cr_assert_eq(k->stack.depth, 0, "SIGKILL leaves no stack");
    cr_assert_str_eq(k->title, "killed by SIGKILL");
    egt_run_free(&x);
    const char *const specs[] = {"group:exit-status:2:exit_failing",
                                 "group:signal:1",
                                 "procs:exit:0:2",
                                 "procs:exit:1:2",
                                 "procs:signal:9:1",
                                 NULL};
    check_json(dir, NULL, specs);
    char *text = report(dir, NULL, NULL, env_ascii);
    cr_assert(strstr(text, "ExceptionGroup: 3 failures in 3 processes "
                           "(2 distinct)\n"),
              "%s", text);
    cr_assert(strstr(text, "+- [2x] exit status 1   pids "), "%s", text);
    cr_assert(strstr(text, "`- [1x] killed by SIGKILL   pid "), "%s", text);
    free(text);
}

Test(inject, exit_statuses_twin)
{
    const char *dir = record("c/exit_statuses", "ok", 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 0);
    egt_run_free(&x);
    const char *const specs[] = {"procs:exit:0:5", NULL};
    check_json(dir, NULL, specs);
}

/* ---- the Python hook ---- */

Test(inject, python_hook)
{
    const char *dir = record(PYHOOK_PROG, "raise", 1);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 1, "the exit status 1 is the same one");
    const struct exception_group *p = &x.res.exc_groups[0];
    cr_assert_eq(p->kind, EXC_PYTHON);
    cr_assert_str_eq(p->type, "ZeroDivisionError");
    cr_assert_str_eq(
        p->signature,
        "python-exception:ZeroDivisionError:compute;main;<module>");
    cr_assert(strstr(p->message, "division by zero"));
    cr_assert_str_eq(p->pyframes[0].function, "compute");
    cr_assert_eq(p->pyframes[0].line, 12);
    egt_run_free(&x);
    const char *const specs[] = {"group:python-exception:1:compute",
                                 "procs:exit:1:1", NULL};
    check_json(dir, NULL, specs);
}

Test(inject, python_hook_hostile_arguments)
{
    const char *dir = record(PYHOOK_PROG, "nulls", 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 1);
    cr_assert_eq(x.res.exc_groups[0].kind, EXC_PYTHON);
    cr_assert_eq(x.res.exc_groups[0].npyframes, 0);
    egt_run_free(&x);

    dir = record(PYHOOK_PROG, "huge", 0);
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 1);
    const struct exception_group *p = &x.res.exc_groups[0];
    cr_assert_str_eq(p->type, "RuntimeError");
    cr_assert_lt(strlen(p->message), 1200, "the message was cut");
    cr_assert(strncmp(p->traceback, "...\n", 4) == 0, "cut at the front");
    const char *end = "RuntimeError: deep\n";
    size_t tl = strlen(p->traceback);
    cr_assert_str_eq(p->traceback + tl - strlen(end), end);
    cr_assert_str_eq(p->pyframes[0].function, "leaf");
    cr_assert_eq(p->pyframes[0].line, 3);
    egt_run_free(&x);
}

Test(inject, python_hook_twin)
{
    const char *dir = record(PYHOOK_PROG, "none", 0);
    struct egt_run x;
    egt_analyse(&x, dir, false);
    cr_assert_eq(x.res.nexc_groups, 0);
    egt_run_free(&x);
    /* without ctrace the hook is simply not there */
    const char *argv[] = {PYHOOK_PROG, "raise", NULL};
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "hook missing\n");
    e2e_result_free(&r);
}

/* ---- the program does not notice ---- */

Test(inject, exit_status_and_output_unchanged)
{
    static const char *const runs[][2] = {
        {"c/crash_pool", NULL},     {"c/crash_pool", "ok"},
        {"c/crash_blocked", NULL},  {"c/crash_blocked", "ok"},
        {"c/exit_statuses", NULL},  {"c/exit_statuses", "ok"},
        {"cxx/throw_thread", NULL}, {"cxx/throw_thread", "caught"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        check_transparent(runs[i][0], runs[i][1]);
}
