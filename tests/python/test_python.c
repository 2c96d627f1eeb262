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

#define PYTHON "/usr/bin/python3"
#define MAXV 16
#define KILLED (128 + SIGKILL) /* what `ctrace run` exits with when the
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
                          dir, NULL};
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
                          "threads=MainThread,QueueFeederThread",
                          "no-pthread-objects"));
}

Test(python, multiprocessing_spawn)
{
    transparent_case("mp_tree.py", ARGS("spawn"), 0,
                     ARGS("findings=none", "groups=none", "tree=spawn",
                          "no-pthread-objects"));
}

Test(python, multiprocessing_forkserver)
{
    transparent_case("mp_tree.py", ARGS("forkserver"), 0,
                     ARGS("findings=none", "groups=none", "tree=forkserver",
                          "no-pthread-objects"));
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
    transparent_case(
        "asyncio_app.py", ARGS("fail"), 1,
        ARGS("findings=none", "groups=4",
             "group1=python-exception:ExceptionGroup:1",
             "group1=python-exception:ValueError:1:value_error",
             "group1=python-exception:KeyError:1:key_error",
             "group1=exit-status:exit status 1:1"));
}

Test(python, dask_threads_and_processes)
{
    transparent_case("dask_app.py", NONE, 0,
                     ARGS("findings=none", "groups=none", "procs>=3",
                          "no-pthread-objects"));
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
    transparent_case("pool_raise.py", ARGS("bug"), 0,
                     ARGS("findings=none", "groups=1",
                          "group=python-exception:ValueError:3:raise"));
    transparent_case("pool_raise.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}

Test(python, pool_workers_crashing_are_one_group)
{
    transparent_case("pool_crash.py", ARGS("bug"), 0,
                     ARGS("findings=none", "groups=1",
                          "group=signal:SIGSEGV:3", "pids=SIGSEGV:3"));
    transparent_case("pool_crash.py", ARGS("fixed"), 0,
                     ARGS("findings=none", "groups=none"));
}
