/* CTRACE_OPTIONS=debug=1: the shim says on stderr why it records nothing
 * (trace directory unusable, process file not created, unknown option)
 * or less than everything (events lost to a full disk or a file size
 * limit: the first loss of each thread, a handful of lines, a summary at
 * exit), and changes nothing else: the program's stdout and exit status
 * are those of its native run.  Without debug=1 stderr is the native one.
 *
 * The program runs under the real `ctrace run`, through a shell that
 * spoils its recording (CTRACE_DIR, ulimit -f) before exec'ing it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "process_test.h"

/* Lines of `err` that contain `needle`; each such line must be one of
 * the shim's, "ctrace[PID]: ...". */
static size_t log_lines(const char *err, const char *needle)
{
    size_t n = 0;
    for (const char *l = err; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, l);
        if (strstr(line, needle)) {
            unsigned pid = 0;
            char colon = 0;
            cr_expect_eq(sscanf(line, "ctrace[%u]%c", &pid, &colon), 2,
                         "not a shim log line: %s", line);
            cr_expect(pid > 0 && colon == ':', "bad prefix: %s", line);
            n++;
        }
        l += len + (end ? 1 : 0);
    }
    return n;
}

/* `sh -c SCRIPT` runs lock_loop N under ctrace with CTRACE_OPTIONS=opts;
 * its stdout and status must be the native run's.  Returns the traced
 * run (caller frees) and its trace directory in *dir. */
static void run_spoiled(struct e2e_result *traced, const char *script,
                        const char *n, const char *opts, const char **dir)
{
    const char *sample = e2e_sample("c/lock_loop");
    struct e2e_result native;
    const char *nat_argv[] = {sample, n, NULL};
    cr_assert_eq(e2e_run(&native, nat_argv), 0);
    *dir = e2e_trace_dir();
    const char *argv[] = {"ctrace", "run",     "--no-report", "-o",
                          *dir,     "/bin/sh", "-c",          script,
                          sample,   n,         NULL};
    char env_opts[256];
    snprintf(env_opts, sizeof env_opts, "CTRACE_OPTIONS=%s", opts);
    const char *env[] = {env_opts, NULL};
    cr_assert_eq(e2e_run_env(traced, argv, env, NULL, E2E_TIMEOUT_S), 0);
    cr_expect_eq(traced->status, native.status, "exit %d vs %d: %s",
                 traced->status, native.status, traced->err);
    cr_expect_str_eq(traced->out, native.out);
    e2e_result_free(&native);
}

#define MISSING_DIR "CTRACE_DIR=/nonexistent/ctrace-debuglog exec \"$0\" \"$@\""

Test(debuglog, missing_trace_directory_is_named)
{
    struct e2e_result r;
    const char *dir;
    run_spoiled(&r, MISSING_DIR, "1000", "debug=1 no_such_key=3", &dir);
    cr_expect_eq(log_lines(r.err, "recording nothing: cannot use the trace "
                                  "directory '/nonexistent/ctrace-debuglog': "
                                  "ENOENT (2)"),
                 1, "stderr: %s", r.err);
    cr_expect_eq(log_lines(r.err, "]: CTRACE_OPTIONS: unknown key "
                                  "'no_such_key', ignored"),
                 2, "said by the shell's shim and the program's: %s", r.err);
    cr_expect_eq(log_lines(r.err, "ctrace["), 3, "nothing else: %s", r.err);
    cr_expect_null(strstr(r.err, "'debug'"), "`ctrace run` knows debug: %s",
                   r.err);
    e2e_result_free(&r);
}

Test(debuglog, missing_trace_directory_silent_without_debug)
{
    struct e2e_result r;
    const char *dir;
    run_spoiled(&r, MISSING_DIR, "1000", "", &dir);
    cr_expect_str_eq(r.err, "", "nothing new on stderr");
    e2e_result_free(&r);
}

/* 1 KiB: room for the output, not for a trace file's header page */
#define NO_FILE "ulimit -f 1 && exec \"$0\" \"$@\""

Test(debuglog, process_file_not_created_says_path_and_errno)
{
    struct e2e_result r;
    const char *dir;
    run_spoiled(&r, NO_FILE, "1000", "debug=1", &dir);
    char want[4200];
    snprintf(want, sizeof want,
             "recording nothing: cannot create the process file '%s/p", dir);
    cr_expect_eq(log_lines(r.err, want), 1, "stderr: %s", r.err);
    cr_expect_eq(log_lines(r.err, ".ctrace': EFBIG (27)"), 1, "%s", r.err);
    cr_expect_eq(log_lines(r.err, "ctrace["), 1, "nothing else: %s", r.err);
    e2e_result_free(&r);
}

Test(debuglog, process_file_not_created_silent_without_debug)
{
    struct e2e_result r;
    const char *dir;
    run_spoiled(&r, NO_FILE, "1000", "", &dir);
    cr_expect_str_eq(r.err, "", "nothing new on stderr");
    e2e_result_free(&r);
}

#define FSIZE_512K "ulimit -f 512 && exec \"$0\" \"$@\""

/* 800000 events, about 12.8 MB, under a 512 KiB limit: two threads lose
 * most of them, and say so once each, then once in sum at exit. */
Test(debuglog, file_size_limit_losses_are_rate_limited)
{
    struct e2e_result r;
    const char *dir;
    run_spoiled(&r, FSIZE_512K, "200000", "debug=1", &dir);
    size_t first = log_lines(r.err, "starts losing events: file-size limit "
                                    "(RLIMIT_FSIZE), EFBIG (27) on '");
    cr_expect_eq(first, 2, "one line per losing thread: %s", r.err);
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    cr_expect_gt(t.lost, 0);
    char sum[128];
    snprintf(sum, sizeof sum,
             "]: %llu events lost (file-size limit (RLIMIT_FSIZE): %llu)",
             (unsigned long long)t.lost, (unsigned long long)t.lost);
    cr_expect_eq(log_lines(r.err, sum), 1, "summary %s in: %s", sum, r.err);
    cr_expect_eq(log_lines(r.err, "ctrace["), 3, "nothing else: %s", r.err);
    e2e_trace_free(&t);
    e2e_result_free(&r);
}

Test(debuglog, file_size_limit_silent_without_debug)
{
    struct e2e_result r;
    const char *dir;
    run_spoiled(&r, FSIZE_512K, "200000", "", &dir);
    cr_expect_str_eq(r.err, "", "nothing new on stderr");
    e2e_result_free(&r);
}
