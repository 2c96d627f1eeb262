/* Issue 7's acceptance: Python programs under the real `ctrace run`, with
 * Debian's /usr/bin/python3 (3.11) and its python3-* packages.
 *
 * Every sample of samples/python is run twice, without ctrace and with
 * `ctrace run --no-report`: stdout and the exit status must be the same
 * (and stderr, when ctrace itself has nothing to say).  The trace of the
 * second run is then reported with `ctrace report --format=json` and
 * checked by check_python.py: the JSON Schema, findings, exception
 * groups, thread names, the GIL section and the process tree, with the
 * sample's own lines found through its `# LINE:` markers.  Bugs that hang
 * run under the live monitor (`--hang-timeout=1`), which must report them
 * while they happen and end the program.
 *
 * Multiprocessing leaves daemons (the resource tracker, the fork server)
 * that end just after the program: the checks wait for every process of
 * the trace to be gone before reading it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "tmux.h"

#define PYTHON "/usr/bin/python3"
#define MAXV 16
#define KILLED                                                                 \
    (128 + SIGKILL) /* what `ctrace run` exits with when the                   \
                       live monitor ends the program */

/* ---- paths ---- */

static const char *root(void)
{
    const char *r = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(r, "CTRACE_SOURCE_ROOT is not set");
    return r;
}

static const char *sample_path(const char *name)
{
    char *p = NULL;
    cr_assert_neq(asprintf(&p, "%s/samples/python/%s", root(), name), -1);
    return p; /* lives until exit */
}

static size_t append(const char **v, size_t n, const char *const *add)
{
    for (size_t i = 0; add && add[i]; i++) {
        cr_assert_lt(n, MAXV * 2);
        v[n++] = add[i];
    }
    return n;
}

/* ---- running ---- */

static struct e2e_result run_env(const char *const argv[],
                                 const char *const env[])
{
    struct e2e_result r;
    cr_assert_eq(e2e_run_env(&r, argv, env, NULL, E2E_TIMEOUT_S), 0,
                 "cannot start %s", argv[0]);
    cr_assert(!r.timed_out, "%s %s timed out; stderr: %s", argv[0],
              argv[1] ? argv[1] : "", r.err);
    return r;
}

/* python3 SAMPLE ARGS, without ctrace. */
static struct e2e_result run_plain(const char *sample, const char *const *args)
{
    const char *argv[MAXV * 2 + 2] = {PYTHON, sample_path(sample)};
    argv[append(argv, 2, args)] = NULL;
    return run_env(argv, NULL);
}

/* ctrace run --no-report OPTS -o DIR python3 SAMPLE ARGS: its result;
 * *dir gets the trace directory. */
static struct e2e_result run_traced(const char *sample, const char *const *opts,
                                    const char *const *args, const char **dir,
                                    const char *const *env)
{
    *dir = e2e_trace_dir();
    const char *argv[MAXV * 3] = {"ctrace", "run", "--no-report"};
    size_t n = append(argv, 3, opts);
    argv[n++] = "-o";
    argv[n++] = *dir;
    argv[n++] = PYTHON;
    argv[n++] = sample_path(sample);
    argv[append(argv, n, args)] = NULL;
    return run_env(argv, env);
}

/* Whether process `pid` is gone (or a zombie nobody reaps). */
static bool pid_gone(uint32_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* Wait (20 s at most: a safety net) until every process of the trace has
 * ended, daemons included, so that the trace is complete. */
static void wait_processes(const char *dir)
{
    for (int tries = 0; tries < 400; tries++) {
        struct e2e_trace t;
        e2e_load_trace(&t, dir);
        bool all = true;
        for (size_t i = 0; i < t.nprocs && all; i++)
            all = pid_gone(t.procs[i].pid);
        e2e_trace_free(&t);
        if (all)
            return;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("processes of %s still run after 20 s", dir);
}

/* ctrace report --format=json -o FILE DIR: FILE. */
static const char *report_json(const char *dir)
{
    char *file = NULL;
    cr_assert_neq(asprintf(&file, "%s.json", dir), -1);
    const char *argv[] = {"ctrace", "report", "--format=json", "-o", file,
                          dir,      NULL};
    struct e2e_result r = run_env(argv, NULL);
    cr_assert_eq(r.status, 0, "ctrace report: %s", r.err);
    e2e_result_free(&r);
    return file;
}

/* check_python.py SCHEMA SOURCE REPORT EXPECT... must pass. */
static void check(const char *sample, const char *report,
                  const char *const *expect)
{
    char *script = NULL, *schema = NULL;
    cr_assert_neq(asprintf(&script, "%s/tests/python/check_python.py", root()),
                  -1);
    cr_assert_neq(asprintf(&schema, "%s/docs/report-schema.json", root()), -1);
    const char *argv[MAXV * 2 + 6] = {PYTHON, script, schema,
                                      sample_path(sample), report};
    argv[append(argv, 5, expect)] = NULL;
    struct e2e_result r = run_env(argv, NULL);
    cr_assert_eq(r.status, 0, "%s: report %s fails its checks:\n%s", sample,
                 report, r.err);
    e2e_result_free(&r);
    free(script);
    free(schema);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const *)NULL)

/* A sample that runs to its end: the same stdout, stderr and status with
 * and without ctrace, then its report passes `expect`. */
static void transparent_case(const char *sample, const char *const *args,
                             int status, const char *const *expect)
{
    struct e2e_result plain = run_plain(sample, args);
    const char *dir;
    struct e2e_result traced = run_traced(sample, NONE, args, &dir, NULL);
    cr_assert_eq(plain.status, status, "%s without ctrace exited %d: %s",
                 sample, plain.status, plain.err);
    cr_assert_eq(traced.status, plain.status,
                 "%s: status %d under ctrace, %d without: %s", sample,
                 traced.status, plain.status, traced.err);
    cr_assert_str_eq(traced.out, plain.out, "%s: stdout differs", sample);
    cr_assert_str_eq(traced.err, plain.err, "%s: stderr differs", sample);
    e2e_result_free(&plain);
    e2e_result_free(&traced);
    wait_processes(dir);
    check(sample, report_json(dir), expect);
}

/* A bug that hangs: `ctrace run --hang-timeout=1` must report it while it
 * runs (live_text in its stderr) and end the program; then the report of
 * the trace passes `expect`. */
static void live_case(const char *sample, const char *const *args,
                      const char *live_text, const char *const *expect)
{
    const char *dir;
    struct e2e_result r =
        run_traced(sample, ARGS("--hang-timeout=1"), args, &dir, NULL);
    cr_assert_eq(r.status, KILLED, "%s: ctrace run exited %d, not %d: %s",
                 sample, r.status, KILLED, r.err);
    cr_assert_not_null(strstr(r.err, "ctrace: detected while the program runs"),
                       "%s: nothing reported live: %s", sample, r.err);
    cr_assert_not_null(strstr(r.err, live_text),
                       "%s: the live report lacks '%s': %s", sample, live_text,
                       r.err);
    cr_assert_not_null(strstr(r.err, "ctrace: killed process"),
                       "%s: the program was not ended: %s", sample, r.err);
    e2e_result_free(&r);
    wait_processes(dir);
    check(sample, report_json(dir), expect);
}

/* The line of marker `# LINE:name` in a sample, as "file.py:N". */
static const char *marker_at(const char *sample, const char *name)
{
    FILE *f = fopen(sample_path(sample), "r");
    cr_assert_not_null(f, "cannot read %s", sample);
    char line[512], tag[96];
    snprintf(tag, sizeof tag, "# LINE:%s", name);
    int n = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        char *at = strstr(line, tag);
        if (at && !((at[strlen(tag)] >= 'a' && at[strlen(tag)] <= 'z') ||
                    at[strlen(tag)] == '_')) {
            found = n;
            break;
        }
    }
    fclose(f);
    cr_assert_gt(found, 0, "%s has no marker %s", sample, tag);
    char *s = NULL;
    cr_assert_neq(asprintf(&s, "%s:%d", sample, found), -1);
    return s;
}

TestSuite(python, .timeout = 300);

/* ---- works, end to end ---- */

Test(python, threading_primitives_and_names)
{
    transparent_case("threading_prims.py", NONE, 0,
                     ARGS("findings=none", "groups=none",
                          "threads=MainThread,producer,consumer,worker-1,"
                          "worker-2,worker-3,timer",
                          "no-pthread-objects"));
}

Test(python, multiprocessing_fork)
{
    transparent_case("mp_tree.py", ARGS("fork"), 0,
                     ARGS("findings=none", "groups=none", "tree=fork",
                          "sigterm>=1", "threads=MainThread,QueueFeederThread",
                          "no-pthread-objects"));
}

Test(python, multiprocessing_spawn)
{
    transparent_case("mp_tree.py", ARGS("spawn"), 0,
                     ARGS("findings=none", "groups=none", "tree=spawn",
                          "sigterm>=1", "no-pthread-objects"));
}

Test(python, multiprocessing_forkserver)
{
    transparent_case("mp_tree.py", ARGS("forkserver"), 0,
                     ARGS("findings=none", "groups=none", "tree=forkserver",
                          "sigterm>=1", "no-pthread-objects"));
}

Test(python, concurrent_futures)
{
    transparent_case("futures.py", NONE, 0,
                     ARGS("findings=none", "groups=none", "procs>=3",
                          "threads=fetch_0,fetch_1,fetch_2",
                          "no-pthread-objects"));
}

Test(python, asyncio_loop_executor_subprocess)
{
    transparent_case("asyncio_app.py", ARGS("ok"), 0,
                     ARGS("findings=none", "groups=none", "procs>=2",
                          "threads=event-loop,asyncio_0",
                          "no-pthread-objects"));
}

Test(python, asyncio_taskgroup_failure_is_a_group_with_its_leaves)
{
    transparent_case("asyncio_app.py", ARGS("fail"), 1,
                     ARGS("findings=none", "groups=4",
                          "group1=python-exception:ExceptionGroup:1",
                          "group1=python-exception:ValueError:1:value_error",
                          "group1=python-exception:KeyError:1:key_error",
                          "group1=exit-status:exit status 1:1"));
}

Test(python, dask_threads_and_processes)
{
    transparent_case(
        "dask_app.py", NONE, 0,
        ARGS("findings=none", "groups=none", "procs>=3", "no-pthread-objects"));
}

Test(python, exceptions_of_a_thread_a_process_and_the_program)
{
    transparent_case(
        "exceptions.py", ARGS("bug"), 1,
        ARGS("findings=none", "groups=3",
             "group1=python-exception:ValueError:1:value_error",
             "group=python-exception:KeyError:1:key_error",
             "group1=python-exception:RuntimeError:1:runtime_error",
             "threads=parser"));
    transparent_case("exceptions.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, gil_waits_per_thread)
{
    transparent_case("gil_spin.py", NONE, 0,
                     ARGS("findings=none", "groups=none",
                          "gil=spinner-1,spinner-2", "no-pthread-objects"));
}

/* ---- bugs, and their fixed twins ---- */

Test(python, lock_taken_twice_hangs_with_both_acquisitions)
{
    live_case("double_acquire.py", ARGS("bug"),
              marker_at("double_acquire.py", "second"),
              ARGS("finding=hang:first,second"));
    transparent_case("double_acquire.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, lock_order_inversion_with_python_frames)
{
    transparent_case("abba.py", ARGS("inversion"), 0,
                     ARGS("finding=lock-order-inversion:mover_first,"
                          "mover_second,auditor_first,auditor_second",
                          "groups=none", "no-pthread-objects"));
    transparent_case("abba.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, real_deadlock_live_with_python_frames)
{
    live_case("abba.py", ARGS("deadlock"), marker_at("abba.py", "mover_second"),
              ARGS("finding=deadlock:mover_first,mover_second,auditor_first,"
                   "auditor_second"));
}

Test(python, fork_with_user_lock_held)
{
    live_case("fork_lock.py", ARGS("user", "bug"),
              marker_at("fork_lock.py", "child_wait"),
              ARGS("finding=fork-with-lock-held:fork,holder,child_wait"));
    transparent_case("fork_lock.py", ARGS("user", "fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, fork_with_logging_handler_lock_held)
{
    live_case("fork_lock.py", ARGS("logging", "bug"),
              marker_at("fork_lock.py", "child_log"),
              ARGS("finding=fork-with-lock-held:fork,holder_log,child_log"));
    transparent_case("fork_lock.py", ARGS("logging", "fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, pool_tasks_raising_are_one_group)
{
    /* leaving `with Pool()` may terminate workers: on purpose, so they
     * are in no group */
    transparent_case("pool_raise.py", ARGS("bug"), 0,
                     ARGS("findings=none", "groups=1",
                          "group=python-exception:ValueError:3:raise"));
    transparent_case("pool_raise.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
    transparent_case("pool_raise.py", ARGS("bug", "futures"), 0,
                     ARGS("findings=none", "groups=1",
                          "group=python-exception:ValueError:3:raise"));
    transparent_case("pool_raise.py", ARGS("fixed", "futures"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, pool_workers_crashing_are_one_group)
{
    transparent_case("pool_crash.py", ARGS("bug"), 0,
                     ARGS("findings=none", "groups=1", "group=signal:SIGSEGV:3",
                          "pids=SIGSEGV:3"));
    transparent_case("pool_crash.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

/* ---- Python frames in the viewer ---- */

struct py_view_want {
    char py[256];
};

/* The stack of the selected event shows the Python frame, then C frames
 * of CPython's lock call. */
static bool py_view_ok(const char *s, void *arg)
{
    const struct py_view_want *w = arg;
    const char *py = strstr(s, w->py);
    return py && strstr(py, "PyThread_acquire_lock_timed (python3");
}

Test(python, viewer_shows_python_frames_above_c_frames)
{
    const char *dir;
    struct e2e_result r = run_traced(
        "double_acquire.py", ARGS("--hang-timeout=1"), ARGS("bug"), &dir, NULL);
    cr_assert_eq(r.status, KILLED, "ctrace run: %d: %s", r.status, r.err);
    e2e_result_free(&r);
    struct tmux screen;
    char *cmd = NULL;
    cr_assert_neq(asprintf(&cmd, "'%s' view '%s'", e2e_ctrace(), dir), -1);
    tmux_start(&screen, 140, 45, cmd);
    free(cmd);
    free(tmux_wait_text(&screen, "1 finding"));
    /* the findings list, Enter: the hang; Enter: its thread's events; the
     * last one is the wait for the lock the thread holds */
    TMUX_KEYS(&screen, "f");
    free(tmux_wait_text(&screen, "hang"));
    TMUX_KEYS(&screen, "Enter");
    free(tmux_wait_text(&screen, "hang: all 1 threads"));
    TMUX_KEYS(&screen, "Enter");
    free(tmux_wait_text(&screen, "Events of "));
    const char *second = marker_at("double_acquire.py", "second");
    struct py_view_want want;
    snprintf(want.py, sizeof want.py, "#0 helper (%s/samples/python/%s)",
             root(), second);
    /* page down to the last event until its stack is drawn (the list may
     * still be loading when the first keys come) */
    char *s = NULL;
    for (int tries = 0; tries < 200; tries++) {
        TMUX_KEYS(&screen, "NPage", "NPage", "NPage", "NPage");
        s = tmux_screen(&screen);
        if (py_view_ok(s, &want))
            break;
        free(s);
        s = NULL;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!s)
        s = tmux_screen(&screen);
    cr_expect(py_view_ok(s, &want),
              "no '%s' followed by the C frames in the stack of the last "
              "event:\n%s",
              want.py, s);
    free(s);
    tmux_stop(&screen);
}

/* ---- the startup module ---- */

static const char *write_file(const char *dir, const char *name,
                              const char *text)
{
    char *path = NULL;
    cr_assert_neq(asprintf(&path, "%s/%s", dir, name), -1);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

/* A program's own sitecustomize (on its PYTHONPATH) still runs once, and
 * one that fails still fails the same way; ctrace's hooks work beside
 * them (its thread names are in the trace). */
Test(python, startup_module_chains_to_the_programs_sitecustomize)
{
    const char *site = e2e_tmpdir();
    write_file(
        site, "sitecustomize.py",
        "import sys\nprint('custom site: loaded')\n"
        "sys.custom_site_runs = getattr(sys, 'custom_site_runs', 0) + 1\n");
    const char *prog = write_file(
        e2e_tmpdir(), "prog.py",
        "import sys, threading\n"
        "t = threading.Thread(target=lambda: None, name='named-by-python')\n"
        "t.start(); t.join()\n"
        "print('runs', sys.custom_site_runs)\n");
    char *pythonpath = NULL;
    cr_assert_neq(asprintf(&pythonpath, "PYTHONPATH=%s", site), -1);
    const char *env[] = {pythonpath, NULL};
    struct e2e_result plain = run_env(ARGS(PYTHON, prog), env);
    const char *dir = e2e_trace_dir();
    struct e2e_result traced = run_env(
        ARGS("ctrace", "run", "--no-report", "-o", dir, PYTHON, prog), env);
    cr_assert_str_eq(plain.out, "custom site: loaded\nruns 1\n", "%s",
                     plain.err);
    cr_assert_str_eq(traced.out, plain.out, "stderr: %s", traced.err);
    cr_assert_str_eq(traced.err, plain.err);
    cr_assert_eq(traced.status, 0);
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    bool named = false;
    for (size_t i = 0; i < t.nthreads; i++)
        named |= strcmp(t.threads[i].name, "named-by-python") == 0;
    cr_expect(named, "the thread's Python name is not in the trace");
    e2e_trace_free(&t);
    /* a sitecustomize that fails: the same message from `site` */
    write_file(site, "sitecustomize.py", "import no_such_module_here\n");
    struct e2e_result p2 = run_env(ARGS(PYTHON, prog), env);
    struct e2e_result t2 = run_env(ARGS("ctrace", "run", "--no-report", "-o",
                                        e2e_trace_dir(), PYTHON, prog),
                                   env);
    cr_assert_not_null(strstr(p2.err, "Error in sitecustomize"), "%s", p2.err);
    cr_assert_str_eq(t2.err, p2.err);
    cr_assert_eq(t2.status, p2.status);
    e2e_result_free(&plain);
    e2e_result_free(&traced);
    e2e_result_free(&p2);
    e2e_result_free(&t2);
    free(pythonpath);
}

/* CTRACE_OPTIONS=py_frames=0: no Python frames are recorded, and the
 * findings are still there, with C frames only. */
Test(python, without_python_frames_findings_keep_their_c_frames)
{
    const char *dir;
    const char *env[] = {"CTRACE_OPTIONS=py_frames=0", NULL};
    struct e2e_result r =
        run_traced("abba.py", NONE, ARGS("inversion"), &dir, env);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_result_free(&r);
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    cr_expect_eq(e2e_count(&t, TRACE_EV_PY_FRAMES, 0), 0);
    cr_expect_eq(e2e_count(&t, TRACE_EV_PY_RUNTIME, 0), 1);
    e2e_trace_free(&t);
    check("abba.py", report_json(dir),
          ARGS("finding=lock-order-inversion:", "groups=none"));
}
