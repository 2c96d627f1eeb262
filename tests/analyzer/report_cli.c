/* `ctrace report` end to end, through the real binary: usage and errors
 * (the "checks" tests, suite unit), and reports of real recorded traces
 * (the "trace" tests, suite inject): text summary, JSON validated against the
 * schema, SARIF, -o, --error-exitcode and suppressions on a lock-order
 * inversion whose stacks must show the test program's own file:line. */
#include <criterion/criterion.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

extern char **environ;

static struct e2e_result run(const char *const argv[])
{
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0, "cannot start %s", argv[0]);
    cr_assert(!r.timed_out, "timed out; stderr: %s", r.err);
    return r;
}

#define RUN(...) run((const char *const[]){__VA_ARGS__, NULL})

static char *source_path(const char *rel)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(root, "CTRACE_SOURCE_ROOT is not set");
    char *p = NULL;
    cr_assert_neq(asprintf(&p, "%s/%s", root, rel), -1);
    return p;
}

/* report_check.py MODE ARGS...: 0 when the check passes. */
static int check(const char *mode, const char *a, const char *b)
{
    char *script = source_path("tests/analyzer/report_check.py");
    const char *argv[] = {"/usr/bin/python3", script, mode, a, b, NULL};
    pid_t pid;
    cr_assert_eq(
        posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ),
        0);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    free(script);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 2,
              "report_check.py could not run");
    return WEXITSTATUS(status);
}

static char *write_temp(const char *dir, const char *name, const char *text)
{
    char *path = NULL;
    cr_assert_neq(asprintf(&path, "%s/%s", dir, name), -1);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *last_line(const char *text)
{
    size_t n = strlen(text);
    cr_assert(n > 1 && text[n - 1] == '\n', "no final newline: %s", text);
    const char *p = text + n - 1;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

/* Record argv into a fresh trace directory; returns the directory. */
static const char *record(const char *program, struct e2e_result *out)
{
    const char *dir = e2e_trace_dir();
    *out = RUN("ctrace", "run", "--no-report", "-o", dir, program);
    cr_assert_eq(out->status, 0, "recording %s failed: %s", program, out->err);
    return dir;
}

/* ---- checks: no program is traced ---- */

Test(checks, help)
{
    struct e2e_result r = RUN("ctrace", "report", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Usage: ctrace report [OPTIONS] [DIR]") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "--suppressions=FILE") != NULL, "%s", r.out);
    e2e_result_free(&r);
}

Test(checks, usage_errors)
{
    struct e2e_result r = RUN("ctrace", "report", "--format=xml", "x");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown format 'xml'") != NULL, "%s", r.err);
    e2e_result_free(&r);
    r = RUN("ctrace", "report", "--color=sometimes");
    cr_assert_eq(r.status, 2);
    e2e_result_free(&r);
    r = RUN("ctrace", "report", "a", "b");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "more than one trace directory") != NULL, "%s",
              r.err);
    e2e_result_free(&r);
}

Test(checks, missing_trace)
{
    struct e2e_result r = RUN("ctrace", "report", "/nonexistent/ctrace.data");
    cr_assert_eq(r.status, 1);
    cr_assert(strncmp(r.err, "ctrace report: cannot read the trace: ", 38) == 0,
              "%s", r.err);
    cr_assert_str_eq(r.out, "");
    e2e_result_free(&r);
}

/* ---- trace: real recordings ---- */

Test(trace, clean_program_text_json_sarif)
{
    struct e2e_result rec;
    const char *dir = record(e2e_sample("c/hello_threads"), &rec);
    e2e_result_free(&rec);

    struct e2e_result r = RUN("ctrace", "report", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(last_line(r.out), "ctrace: 0 findings in 1 process, 3 "
                                       "threads; 0 events lost\n");
    cr_assert(strstr(r.out, "== contention") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "hello_lock") != NULL,
              "the global lock is named by its symbol:\n%s", r.out);
    e2e_result_free(&r);

    /* JSON, DIR first and options after it, into a file with -o */
    char *json = NULL;
    cr_assert_neq(asprintf(&json, "%s.json", dir), -1);
    r = RUN("ctrace", "report", dir, "--format=json", "-o", json);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    e2e_result_free(&r);
    char *schema = source_path("docs/report-schema.json");
    cr_assert_eq(check("schema", schema, json), 0);

    r = RUN("ctrace", "report", "--format=sarif", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *sarif = write_temp(e2e_tmpdir(), "r.sarif", r.out);
    cr_assert_eq(check("sarif", sarif, NULL), 0, "%s", r.out);
    e2e_result_free(&r);
    free(json);
    free(schema);
    free(sarif);
}

/* The inversion program's trace, and the lines it printed. */
static const char *inversion_trace(int *line_a, int *line_b)
{
    struct e2e_result rec;
    const char *dir = record(REPORT_INVERSION, &rec);
    cr_assert_eq(sscanf(rec.out, "lines %d %d", line_a, line_b), 2, "%s",
                 rec.out);
    e2e_result_free(&rec);
    return dir;
}

Test(trace, inversion_shows_program_lines)
{
    int la, lb;
    const char *dir = inversion_trace(&la, &lb);
    struct e2e_result r = RUN("ctrace", "report", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "warning: lock-order-inversion") != NULL, "%s",
              r.out);
    char want[64];
    snprintf(want, sizeof(want), "report_inversion.c:%d)", la);
    cr_assert(strstr(r.out, want) != NULL, "no %s in:\n%s", want, r.out);
    snprintf(want, sizeof(want), "report_inversion.c:%d)", lb);
    cr_assert(strstr(r.out, want) != NULL, "no %s in:\n%s", want, r.out);
    cr_assert(strstr(r.out, "table_lock") && strstr(r.out, "log_lock"),
              "globals named by symbol:\n%s", r.out);
    cr_assert(strstr(r.out, "'writer'") && strstr(r.out, "'reader'"),
              "threads named:\n%s", r.out);
    cr_assert(strstr(last_line(r.out), "(1 lock-order)") != NULL, "%s",
              last_line(r.out));
    e2e_result_free(&r);

    r = RUN("ctrace", "report", "--format=json", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *file = write_temp(e2e_tmpdir(), "r.json", r.out);
    char *schema = source_path("docs/report-schema.json");
    cr_assert_eq(check("schema", schema, file), 0);
    cr_assert(strstr(r.out, "\"kind\": \"lock-order-inversion\"") != NULL);
    cr_assert(strstr(r.out, "/report_inversion.c\",\n") != NULL, "%s", r.out);
    e2e_result_free(&r);
    free(file);
    free(schema);
}

Test(trace, error_exitcode_and_suppressions)
{
    int la, lb;
    const char *dir = inversion_trace(&la, &lb);
    struct e2e_result r = RUN("ctrace", "report", "--error-exitcode=3", dir);
    cr_assert_eq(r.status, 3, "%s%s", r.out, r.err);
    e2e_result_free(&r);

    const char *tmp = e2e_tmpdir();
    char *supp = write_temp(tmp, "ok.supp",
                            "# the inversion is known\n"
                            "deadlock:report_inversion.c\n");
    char *opt = NULL;
    cr_assert_neq(asprintf(&opt, "--suppressions=%s", supp), -1);
    r = RUN("ctrace", "report", "--error-exitcode=3", opt, dir);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(last_line(r.out), "0 findings in ") != NULL, "%s", r.out);
    cr_assert(strstr(last_line(r.out), "; 1 suppressed\n") != NULL, "%s",
              r.out);
    e2e_result_free(&r);
    free(opt);

    /* a rule of another type leaves it */
    char *other = write_temp(tmp, "other.supp", "thread:report_inversion\n");
    cr_assert_neq(asprintf(&opt, "--suppressions=%s", other), -1);
    r = RUN("ctrace", "report", "--error-exitcode=3", opt, dir);
    cr_assert_eq(r.status, 3, "%s%s", r.out, r.err);
    e2e_result_free(&r);
    free(opt);

    /* a broken file is an error that names it */
    char *bad = write_temp(tmp, "bad.supp", "deadlok:x\n");
    cr_assert_neq(asprintf(&opt, "--suppressions=%s", bad), -1);
    r = RUN("ctrace", "report", opt, dir);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "bad.supp:1: unknown suppression type 'deadlok'"),
              "%s", r.err);
    e2e_result_free(&r);
    free(opt);
    free(supp);
    free(other);
    free(bad);
}
