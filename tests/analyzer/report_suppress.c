/* Suppression tests: TSan-syntax parsing and its errors, glob matching,
 * and which findings of the hand-built analysis (report_testlib.h) each
 * rule type removes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_internal.h"
#include "report_testlib.h"
#include "suppress.h"

static struct testlib_fixture fx;

static void setup(void) { testlib_fixture_init(&fx); }

static void teardown(void) { testlib_fixture_fini(&fx); }

TestSuite(report_suppress, .init = setup, .fini = teardown);

static struct suppressions *parse_ok(const char *text)
{
    char err[256] = "";
    struct suppressions *s =
        suppress_parse(text, "test.supp", err, sizeof(err));
    cr_assert_not_null(s, "parse failed: %s", err);
    return s;
}

/* Apply rules to a fresh copy of the fixture's findings; returns the
 * kinds left, comma-separated, in the fixture's order. */
static void apply(const char *rules, size_t *removed, char *left, size_t len)
{
    struct suppressions *s = parse_ok(rules);
    *removed = suppress_apply(s, &fx.in, &fx.res);
    left[0] = '\0';
    for (size_t i = 0; i < fx.res.nfindings; i++) {
        strncat(left, finding_kind_name(fx.res.findings[i].kind),
                len - strlen(left) - 2);
        strcat(left, ",");
    }
    suppress_free(s);
}

Test(report_suppress, pattern_matching)
{
    cr_assert(suppress_pattern_match("worker", "do_worker_loop"),
              "unanchored = substring");
    cr_assert(suppress_pattern_match("^do_*loop$", "do_worker_loop"));
    cr_assert_not(suppress_pattern_match("^worker", "do_worker_loop"));
    cr_assert_not(suppress_pattern_match("worker$", "do_worker_loop"));
    cr_assert(suppress_pattern_match("loop$", "do_worker_loop"));
    cr_assert(suppress_pattern_match("*", "x"));
    cr_assert(suppress_pattern_match("a*b*c", "xxaYYbZZcxx"));
    cr_assert_not(suppress_pattern_match("a*b*c", "xxaYYcZZbxx"));
    cr_assert(suppress_pattern_match("libfoo.so", "/usr/lib/libfoo.so.1"));
    cr_assert(suppress_pattern_match("^/usr/lib/*$", "/usr/lib/libfoo.so.1"));
    cr_assert_not(suppress_pattern_match("anything", NULL));
    cr_assert_not(suppress_pattern_match("anything", ""));
}

Test(report_suppress, parse_comments_and_blank_lines)
{
    struct suppressions *s = parse_ok("# a comment\n"
                                      "\n"
                                      "deadlock:table_*   # trailing\n"
                                      "  mutex : testlib_outer  \n"
                                      "thread:pool\r\n"
                                      "race:x\n"
                                      "race_top:y\n"
                                      "signal:handler\n"
                                      "called_from_lib:libfoo.so\n"
                                      "double-lock:z");
    cr_assert_eq(suppress_rule_count(s), 8);
    suppress_free(s);
}

Test(report_suppress, parse_errors_name_file_and_line)
{
    char err[256];
    cr_assert_null(
        suppress_parse("deadlock:a\nbogus:b\n", "my.supp", err, sizeof(err)));
    cr_assert(strstr(err, "my.supp:2: unknown suppression type 'bogus'") == err,
              "%s", err);
    cr_assert_null(
        suppress_parse("\n\nno colon here\n", "my.supp", err, sizeof(err)));
    cr_assert(strstr(err, "my.supp:3: expected 'type:pattern'") == err, "%s",
              err);
    cr_assert_null(suppress_parse("mutex:\n", "my.supp", err, sizeof(err)));
    cr_assert(strstr(err, "my.supp:1: empty pattern") == err, "%s", err);
}

Test(report_suppress, load_missing_file)
{
    char err[256];
    cr_assert_null(suppress_load("/nonexistent/x.supp", err, sizeof(err)));
    cr_assert(strstr(err, "/nonexistent/x.supp") != NULL, "%s", err);
}

Test(report_suppress, load_file)
{
    char path[] = "/tmp/ctrace-supp-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "thread:a\nmutex:b\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char err[256];
    struct suppressions *s = suppress_load(path, err, sizeof(err));
    unlink(path);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(suppress_rule_count(s), 2);
    suppress_free(s);
}

Test(report_suppress, deadlock_type_covers_inversions_and_deadlocks)
{
    size_t removed;
    char left[256];
    /* testlib_plain is in the inversion's and the deadlock's stacks */
    apply("deadlock:testlib_plain\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 2);
    cr_assert_str_eq(left, "double-lock,");
}

Test(report_suppress, mutex_type_covers_misuse_only)
{
    size_t removed;
    char left[256];
    /* testlib_outer is in the double-lock and the inversion */
    apply("mutex:testlib_outer\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1);
    cr_assert_str_eq(left, "lock-order-inversion,deadlock,");
}

Test(report_suppress, matches_inline_frames_files_and_cxx_names)
{
    size_t removed;
    char left[256];
    apply("mutex:^testlib_inline_helper$\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1, "inlined frame's function");

    testlib_fixture_fini(&fx);
    testlib_fixture_init(&fx);
    apply("deadlock:ctrace_test::Widget::*\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1, "demangled C++ name");
    cr_assert_str_eq(left, "deadlock,double-lock,");

    testlib_fixture_fini(&fx);
    testlib_fixture_init(&fx);
    apply("deadlock:report_testlib_cxx.cpp\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1, "source file name");
}

Test(report_suppress, matches_object_names)
{
    size_t removed;
    char left[256];
    apply("deadlock:^table_lock$\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1, "the global lock's symbol");
    cr_assert_str_eq(left, "deadlock,double-lock,");
}

Test(report_suppress, wrong_type_or_pattern_keeps_findings)
{
    size_t removed;
    char left[256];
    apply("thread:testlib\nrace:testlib\nsignal:testlib\n"
          "deadlock:no_such_function\nmutex:^plain$\n",
          &removed, left, sizeof(left));
    cr_assert_eq(removed, 0);
    cr_assert_str_eq(left, "lock-order-inversion,deadlock,double-lock,");
}

Test(report_suppress, kind_name_as_type)
{
    size_t removed;
    char left[256];
    apply("double-lock:*\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1);
    cr_assert_str_eq(left, "lock-order-inversion,deadlock,");
}

Test(report_suppress, called_from_lib_uses_top_program_frame)
{
    size_t removed;
    char left[256];
    /* every stack's top program frame is in the test binary; libc frames
       (the deadlock's #0) do not count */
    apply("called_from_lib:libc.so\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 0);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    char rule[4200];
    snprintf(rule, sizeof(rule), "called_from_lib:%s\n", strrchr(exe, '/') + 1);
    apply(rule, &removed, left, sizeof(left));
    cr_assert_eq(removed, 3);
    cr_assert_str_eq(left, "");
}

Test(report_suppress, race_top_only_top_frame)
{
    /* turn the double-lock into a data race to exercise race/race_top */
    fx.res.findings[2].kind = FINDING_DATA_RACE;
    size_t removed;
    char left[256];
    apply("race_top:testlib_outer\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 0, "testlib_outer is not the top frame");
    apply("race_top:testlib_inline_helper\n", &removed, left, sizeof(left));
    cr_assert_eq(removed, 1);
}

Test(report_suppress, summary_counts_suppressed)
{
    size_t removed;
    char left[256], line[256];
    apply("deadlock:*\n", &removed, left, sizeof(left));
    fx.in.suppressed = removed;
    report_summary_line(&fx.in, line, sizeof(line));
    cr_assert_str_eq(line, "ctrace: 1 finding (1 misuse) in 2 processes, 3 "
                           "threads; 0 events lost; 2 suppressed");
}
