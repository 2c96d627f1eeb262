/* Report writer tests on a hand-built analysis (report_testlib.h): the
 * text report's key lines, order, colour and summary; the JSON report
 * validated against docs/report-schema.json by a real JSON Schema
 * validator (python3-jsonschema); the SARIF report's 2.1.0 structure. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_internal.h"
#include "report_testlib.h"

extern char **environ;

static struct testlib_fixture fx;

static void setup(void) { testlib_fixture_init(&fx); }

static void teardown(void) { testlib_fixture_fini(&fx); }

TestSuite(report_writers, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static const char *source_root(void)
{
    const char *r = getenv("CTRACE_SOURCE_ROOT");
#ifdef REPORT_TEST_SOURCE_ROOT
    if (!r)
        r = REPORT_TEST_SOURCE_ROOT;
#endif
    cr_assert_not_null(r, "CTRACE_SOURCE_ROOT is not set");
    return r;
}

static char *source_path(const char *rel)
{
    char *p = NULL;
    cr_assert_neq(asprintf(&p, "%s/%s", source_root(), rel), -1);
    return p;
}

/* Run report_check.py with args; returns its exit status. */
static int run_check(const char *const *args)
{
    char *script = source_path("tests/analyzer/report_check.py");
    const char *argv[64] = {"/usr/bin/python3", script};
    size_t n = 2;
    for (; args[n - 2] && n < 63; n++)
        argv[n] = args[n - 2];
    argv[n] = NULL;
    pid_t pid;
    int rc =
        posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
    cr_assert_eq(rc, 0, "cannot run /usr/bin/python3");
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    free(script);
    cr_assert(WIFEXITED(status));
    cr_assert_neq(WEXITSTATUS(status), 2,
                  "report_check.py could not run (python3-jsonschema?)");
    return WEXITSTATUS(status);
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/ctrace-report-test-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static int validate_json(const char *json)
{
    char *schema = source_path("docs/report-schema.json");
    char *file = write_temp(json);
    const char *args[] = {"schema", schema, file, NULL};
    int rc = run_check(args);
    unlink(file);
    free(file);
    free(schema);
    return rc;
}

static void assert_has(const char *text, const char *needle)
{
    cr_assert(strstr(text, needle) != NULL, "missing \"%s\" in:\n%s", needle,
              text);
}

static const char *assert_find(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    cr_assert_not_null(p, "missing \"%s\" in:\n%s", needle, text);
    return p;
}

static const char *last_line(const char *text)
{
    size_t n = strlen(text);
    cr_assert(n > 1 && text[n - 1] == '\n');
    const char *p = text + n - 1;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

/* ---- text ---- */

Test(report_writers, text_groups_most_severe_first)
{
    char *t = testlib_capture_text(&fx.in, false);
    const char *dl = assert_find(t, "== deadlock: 1 finding ==");
    const char *dbl = assert_find(t, "== double-lock: 1 finding ==");
    const char *lo = assert_find(t, "== lock-order-inversion: 1 finding ==");
    cr_assert(dl < dbl && dbl < lo, "errors first, then warnings:\n%s", t);
    assert_has(t, "error: deadlock in pid 4242\n");
    assert_has(t, "warning: lock-order-inversion in pid 4242\n");
    assert_has(t, "error: double-lock in pid 4250\n");
    free(t);
}

Test(report_writers, text_finding_details)
{
    char *t = testlib_capture_text(&fx.in, false);
    char want[512];
    snprintf(want, sizeof(want), "  why: %s\n",
             finding_kind_why(FINDING_DEADLOCK));
    assert_has(t, want);
    assert_has(t, "  T0 'app' and T1 'worker-1' wait for each other\n");
    assert_has(t, "  threads: T1 'worker-1' (tid 4243, pid 4242), T0 'app' "
                  "(tid 4242, pid 4242)\n");
    assert_has(t, "threads: T0 (tid 4250, pid 4250)\n");
    /* objects: a global by its symbol, a heap lock by its creation site */
    snprintf(want, sizeof(want),
             "  objects: table_lock (mutex %p), mutex created at "
             "report_testlib.c:%d (mutex 0x602000000010)\n",
             (void *)&table_lock, testlib_plain_line);
    assert_has(t, want);
    snprintf(want, sizeof(want),
             "  mutex created at report_testlib.c:%d taken while holding "
             "table_lock - T1 'worker-1' (tid 4243, pid 4242):\n",
             testlib_plain_line);
    assert_has(t, want);
    free(t);
}

Test(report_writers, text_stack_frames)
{
    char *t = testlib_capture_text(&fx.in, false);
    char want[256];
    /* inline chain, then the next pc */
    const char *p = assert_find(t, "    #0 testlib_inline_helper (");
    snprintf(want, sizeof(want), "report_testlib.c:%d) [inlined]\n",
             testlib_inline_line);
    assert_has(p, want);
    assert_has(p, "\n    #1 testlib_outer (");
    snprintf(want, sizeof(want), "report_testlib.c:%d)\n    #2 testlib_plain (",
             testlib_outer_line);
    assert_has(p, want);
    /* C++ */
    char *rel = strstr(t, "#0 ctrace_test::Widget::poke(int) (");
    cr_assert_not_null(rel, "%s", t);
    snprintf(want, sizeof(want), "report_testlib_cxx.cpp:%d)\n",
             testlib_cxx_line);
    assert_has(rel, want);
    /* libc frames are marked, not hidden */
    p = assert_find(t, "blocked in pthread_mutex_lock - T0 'app'");
    const char *libc = assert_find(p, "    #0 ");
    const char *eol = strchr(libc, '\n');
    cr_assert(eol - libc > 6 && strncmp(eol - 7, " (libc)", 7) == 0,
              "libc frame not marked: %.*s", (int)(eol - libc), libc);
    assert_has(libc, "\n    #1 testlib_plain (");
    cr_assert_null(strstr(t, "/../"), "paths are normalized:\n%s", t);
    free(t);
}

Test(report_writers, text_contention_and_summary)
{
    char *t = testlib_capture_text(&fx.in, false);
    const char *c = assert_find(t, "== contention: hottest locks first ==\n");
    const char *tl = assert_find(c, "  table_lock (mutex ");
    assert_has(tl, "    1000 acquisitions, 250 contended (25.0%)\n");
    assert_has(tl, "    wait 1.50 ms total, 20.0 us max; hold 2.50 s total, "
                   "900 ns max\n");
    assert_has(tl, "    top call sites:\n      700 acquisitions, 1.00 ms "
                   "waited: testlib_plain (report_testlib.c:");
    char want[128];
    snprintf(want, sizeof(want),
             "mutex created at report_testlib.c:%d (mutex "
             "0x602000000010, pid 4242)\n",
             testlib_plain_line);
    const char *heap = assert_find(c, want);
    cr_assert(heap > tl, "hottest first");
    assert_has(heap, "\nnote: lock-order search stopped after 1000 cycles\n"
                     "ctrace: ");
    cr_assert_str_eq(last_line(t),
                     "ctrace: 3 findings (1 deadlock, 1 lock-order, 1 "
                     "misuse) in 2 processes, 3 threads; 0 events lost\n");
    free(t);
}

Test(report_writers, summary_line_forms)
{
    char buf[256];
    struct analysis_result empty = {0};
    struct report_input in = fx.in;
    in.res = &empty;
    in.nprocs = 1;
    in.nthreads = 1;
    report_summary_line(&in, buf, sizeof(buf));
    cr_assert_str_eq(buf, "ctrace: 0 findings in 1 process, 1 thread; 0 "
                          "events lost");
    empty.lost_events = 7;
    in.suppressed = 2;
    in.nprocs = 2; /* both images... */
    in.procs = fx.procs;
    report_summary_line(&in, buf, sizeof(buf));
    cr_assert_str_eq(buf, "ctrace: 0 findings in 2 processes, 1 thread; 7 "
                          "events lost; 2 suppressed");
    /* an exec'd image keeps its pid: still one process */
    struct trace_process procs[2] = {fx.procs[0], fx.procs[0]};
    procs[1].image = 1;
    in.procs = procs;
    report_summary_line(&in, buf, sizeof(buf));
    cr_assert(strstr(buf, " in 1 process, ") != NULL, "%s", buf);
    /* two deadlocks are plural */
    fx.res.findings[0].kind = FINDING_DEADLOCK;
    report_summary_line(&fx.in, buf, sizeof(buf));
    cr_assert_str_eq(buf, "ctrace: 3 findings (2 deadlocks, 1 misuse) in 2 "
                          "processes, 3 threads; 0 events lost");
}

Test(report_writers, text_colour_only_when_asked)
{
    char *plain = testlib_capture_text(&fx.in, false);
    cr_assert_null(strchr(plain, '\033'), "escape codes without colour");
    char *col = testlib_capture_text(&fx.in, true);
    assert_has(col, "\033[1;31merror: deadlock\033[0m");
    assert_has(col, "\033[1;33mwarning: lock-order-inversion\033[0m");
    free(plain);
    free(col);
}

Test(report_writers, colour_choice)
{
    FILE *file = tmpfile();
    cr_assert_not_null(file);
    unsetenv("NO_COLOR");
    cr_assert_not(report_color_enabled(REPORT_COLOR_AUTO, file),
                  "not a terminal");
    cr_assert(report_color_enabled(REPORT_COLOR_ALWAYS, file));
    cr_assert_not(report_color_enabled(REPORT_COLOR_NEVER, file));
    fclose(file);

    int master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(master, 0);
    cr_assert_eq(grantpt(master), 0);
    cr_assert_eq(unlockpt(master), 0);
    FILE *tty = fopen(ptsname(master), "w");
    cr_assert_not_null(tty);
    cr_assert(report_color_enabled(REPORT_COLOR_AUTO, tty), "a terminal");
    setenv("NO_COLOR", "1", 1);
    cr_assert_not(report_color_enabled(REPORT_COLOR_AUTO, tty), "NO_COLOR");
    char *t = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&t, &tlen);
    struct report_options opts = {.format = REPORT_FORMAT_TEXT,
                                  .color = REPORT_COLOR_ALWAYS};
    cr_assert_eq(report_write(mem, &fx.in, &opts), 0);
    fclose(mem);
    cr_assert_not_null(strchr(t, '\033'), "report_write honours always");
    free(t);
    cr_assert(report_color_enabled(REPORT_COLOR_ALWAYS, tty),
              "--color=always wins over NO_COLOR");
    setenv("NO_COLOR", "", 1);
    cr_assert(report_color_enabled(REPORT_COLOR_AUTO, tty),
              "an empty NO_COLOR does not count");
    fclose(tty);
    close(master);
}

Test(report_writers, option_names)
{
    cr_assert_eq(report_format_from_name("text"), REPORT_FORMAT_TEXT);
    cr_assert_eq(report_format_from_name("json"), REPORT_FORMAT_JSON);
    cr_assert_eq(report_format_from_name("sarif"), REPORT_FORMAT_SARIF);
    cr_assert_eq(report_format_from_name("xml"), -1);
    cr_assert_eq(report_color_from_name("never"), REPORT_COLOR_NEVER);
    cr_assert_eq(report_color_from_name("sometimes"), -1);
}

/* ---- JSON ---- */

Test(report_writers, json_validates_against_schema)
{
    char *j = testlib_capture_report(report_write_json, &fx.in);
    cr_assert_eq(validate_json(j), 0, "schema validation failed for:\n%s", j);
    free(j);
}

Test(report_writers, json_of_nothing_validates)
{
    struct analysis_result empty = {0};
    struct report_input in = {.res = &empty};
    char *j = testlib_capture_report(report_write_json, &in);
    cr_assert_eq(validate_json(j), 0, "%s", j);
    assert_has(j, "\"findings\": []");
    assert_has(j, "\"exception_groups\": []");
    free(j);
}

Test(report_writers, schema_rejects_bad_output)
{
    /* the validator really validates: a kind findings.def does not know */
    char *j = testlib_capture_report(report_write_json, &fx.in);
    char *k = strstr(j, "\"kind\": \"deadlock\"");
    cr_assert_not_null(k);
    memcpy(k, "\"kind\": \"deadlick\"", strlen("\"kind\": \"deadlick\""));
    cr_assert_eq(validate_json(j), 1, "a bogus kind passed the schema");
    free(j);
}

Test(report_writers, schema_kinds_match_findings_def)
{
    char *schema = source_path("docs/report-schema.json");
    const char *args[FINDING_KIND_COUNT + 3] = {"kinds", schema};
    for (int k = 0; k < FINDING_KIND_COUNT; k++)
        args[2 + k] = finding_kind_name(k);
    args[2 + FINDING_KIND_COUNT] = NULL;
    cr_assert_eq(run_check(args), 0);
    free(schema);
}

Test(report_writers, json_fields_and_escaping)
{
    char *j = testlib_capture_report(report_write_json, &fx.in);
    const char *dl = assert_find(j, "\"kind\": \"deadlock\"");
    const char *lo = assert_find(j, "\"kind\": \"lock-order-inversion\"");
    cr_assert(dl < lo, "most severe first");
    assert_has(j, "\"severity\": \"error\"");
    assert_has(j, "\"name\": \"table_lock\"");
    assert_has(j, "\"name\": \"worker-1\"");
    assert_has(j, "\"function\": \"testlib_inline_helper\"");
    assert_has(j, "\"inlined\": true");
    assert_has(j, "\"function\": \"ctrace_test::Widget::poke(int)\"");
    assert_has(j, "\"system\": true");
    assert_has(j, "\"events\": 12345");
    assert_has(j, "\"lost_events\": 0");
    assert_has(j, "\"duration_ns\": 2000000000");
    assert_has(j, "\"exit_status\": 0");
    assert_has(j, "\"cmdline\": \"app --flag\"");
    assert_has(j, "\"message\": \"T0 'app' and T1 'worker-1' wait for each "
                  "other\"");
    assert_has(j, "\"notes\": [\n    \"lock-order search stopped after 1000 "
                  "cycles\"\n  ]");
    /* quotes, backslash, tab, control char, UTF-8 kept, invalid byte
       replaced */
    assert_has(j, "\"message\": \"T2 locks \\\"q\\\\lock\\\"\\ttwice\\u0001 "
                  "\xe2\x80\x94 \xc3\xbcn\xc3\xaf"
                  "c\xc3\xb6"
                  "d\xc3\xa9 \\ufffd!\"");
    free(j);
}

/* ---- SARIF ---- */

Test(report_writers, sarif_structure)
{
    char *s = testlib_capture_report(report_write_sarif, &fx.in);
    char *file = write_temp(s);
    const char *args[] = {"sarif", file, NULL};
    cr_assert_eq(run_check(args), 0, "SARIF check failed for:\n%s", s);
    unlink(file);
    free(file);
    assert_has(s, "\"version\": \"2.1.0\"");
    assert_has(s, "\"ruleId\": \"deadlock\"");
    assert_has(s, "\"level\": \"warning\"");
    char want[64];
    snprintf(want, sizeof(want), "\"startLine\": %d", testlib_plain_line);
    assert_has(s, want);
    free(s);
}

Test(report_writers, sarif_location_is_top_program_frame)
{
    /* the deadlock's first stack starts in libc: its location must be the
       program's frame (testlib_plain), not pthread_mutex_lock */
    char *s = testlib_capture_report(report_write_sarif, &fx.in);
    const char *r = assert_find(s, "\"ruleId\": \"deadlock\"");
    const char *loc = assert_find(r, "\"locations\": [");
    const char *end = assert_find(loc, "\"relatedLocations\"");
    const char *fn = assert_find(loc, "\"fullyQualifiedName\": ");
    cr_assert(fn < end);
    cr_assert(strncmp(fn, "\"fullyQualifiedName\": \"testlib_plain\"",
                      strlen("\"fullyQualifiedName\": \"testlib_plain\"")) == 0,
              "%.200s", fn);
    const char *uri = assert_find(loc, "\"uri\": \"");
    cr_assert(uri < end);
    cr_assert(strncmp(uri, "\"uri\": \"file://", 15) == 0 ||
                  strstr(uri, "report_testlib.c\"") != NULL,
              "%.200s", uri);
    free(s);
}

Test(report_writers, sarif_of_nothing)
{
    struct analysis_result empty = {0};
    struct report_input in = {.res = &empty};
    char *s = testlib_capture_report(report_write_sarif, &in);
    char *file = write_temp(s);
    const char *args[] = {"sarif", file, NULL};
    cr_assert_eq(run_check(args), 0, "%s", s);
    assert_has(s, "\"results\": []");
    unlink(file);
    free(file);
    free(s);
}

Test(report_writers, top_program_frame_skips_libraries_and_headers)
{
    struct sym_frame f[4] = {
        {.function = "pthread_mutex_lock", .in_system = true},
        {.function = "std::mutex::lock()",
         .inlined = true,
         .file = "/usr/include/c++/12/bits/std_mutex.h",
         .line = 100},
        {.function = "shim_lock", .in_ctrace = true},
        {.function = "worker", .file = "/src/app/worker.c", .line = 7},
    };
    cr_assert_not(report_frame_in_program(&f[0]));
    cr_assert_not(report_frame_in_program(&f[1]));
    cr_assert_not(report_frame_in_program(&f[2]));
    cr_assert(report_frame_in_program(&f[3]));
    cr_assert_eq(report_top_frame(f, 4), 3);
    cr_assert_eq(report_top_frame(f, 3), 0, "none: the first frame");
}
