/* `ctrace export --format=ctf`, end to end: a real trace exported and read
 * back by babeltrace2 (the reference CTF reader), checked against `ctrace
 * dump` of the same trace: as many events, the same pid/tid/obj for a
 * given event, thread names as strings, times that never go back, big
 * traces split into packets, a corrupt trace written as far as it reads.
 *
 * babeltrace2 is a test dependency (scripts/setup.sh installs it): without
 * it these tests fail and say so rather than pass unseen. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

/* babeltrace2 on PATH, or the test fails with what to do. */
static void need_babeltrace2(void)
{
    struct e2e_result r;
    const char *argv[] = {"babeltrace2", "--version", NULL};
    bool ok = e2e_run(&r, argv) == 0 && r.status == 0;
    if (ok)
        e2e_result_free(&r);
    cr_assert(ok, "babeltrace2 is not installed: run scripts/setup.sh "
                  "--deps-only (it installs the Debian package babeltrace2)");
}

static void record(const char *dir, const char *sample, const char *arg)
{
    struct e2e_result r;
    const char *rec[] = {"ctrace",           "run", "--no-report", "-o", dir,
                         e2e_sample(sample), arg,   NULL};
    cr_assert_eq(e2e_run(&r, rec), 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_result_free(&r);
}

/* DIR.ctf, exported from DIR; the caller frees the path.  `want` is
 * the export's expected exit status. */
static char *export_ctf(const char *dir, int want)
{
    char *out = NULL;
    cr_assert_geq(asprintf(&out, "%s.ctf", dir), 0);
    struct e2e_result r;
    const char *exp[] = {"ctrace", "export", "--format=ctf", "-o", out,
                         dir,      NULL};
    cr_assert_eq(e2e_run(&r, exp), 0);
    cr_assert_eq(r.status, want, "export: %s", r.err);
    e2e_result_free(&r);
    return out;
}

/* Run argv and return its output (exit status must be 0 unless
 * any_status). */
static void run_ok(struct e2e_result *r, const char *const argv[],
                   bool any_status)
{
    cr_assert_eq(e2e_run(r, argv), 0, "cannot run %s", argv[0]);
    if (!any_status)
        cr_assert_eq(r->status, 0, "%s: %s", argv[0], r->err);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The line of the nth (0-based) occurrence of `needle`, copied. */
static char *nth_line_with(const char *text, const char *needle, size_t nth)
{
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) {
        if (nth-- > 0)
            continue;
        const char *b = p;
        while (b > text && b[-1] != '\n')
            b--;
        size_t len = strcspn(b, "\n");
        return strndup(b, len);
    }
    return NULL;
}

static size_t count_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* `"key":value` (number or hex string) of a dump --json line. */
static uint64_t json_u64(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    cr_assert_not_null(p, "no %s in %s", key, line);
    p += strlen(pat);
    if (*p == '"')
        p++;
    return strtoull(p, NULL, 0);
}

/* `key = value` of a babeltrace2 pretty line. */
static uint64_t bt_u64(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s = ", key);
    const char *p = strstr(line, pat);
    cr_assert_not_null(p, "no %s in %s", key, line);
    return strtoull(p + strlen(pat), NULL, 0);
}

Test(export_ctf, babeltrace2_prints_every_event)
{
    need_babeltrace2();
    const char *dir = e2e_trace_dir();
    record(dir, "c/view_locks", NULL);
    char *ctf = export_ctf(dir, 0);

    struct e2e_result bt, dump, json;
    const char *bta[] = {"babeltrace2", ctf, NULL};
    const char *dumpa[] = {"ctrace", "dump", dir, NULL};
    const char *jsona[] = {"ctrace", "dump", "--json", dir, NULL};
    run_ok(&bt, bta, false);
    run_ok(&dump, dumpa, false);
    run_ok(&json, jsona, false);
    size_t n = count_lines(dump.out);
    cr_assert_gt(n, 100, "%s", dump.out);
    cr_expect_eq(count_lines(bt.out), n, "babeltrace2 %zu lines, dump %zu",
                 count_lines(bt.out), n);

    /* Both list events in the reader's order: the k-th mutex-acquire is
     * the same event.  Take one in the middle (a worker's). */
    size_t acq = count_with(json.out, "\"event\":\"mutex-acquire\"");
    cr_assert_gt(acq, 10);
    cr_assert_eq(count_with(bt.out, " mutex-acquire: "), acq);
    char *jl = nth_line_with(json.out, "\"event\":\"mutex-acquire\"", acq / 2);
    char *bl = nth_line_with(bt.out, " mutex-acquire: ", acq / 2);
    cr_assert(jl && bl);
    cr_expect_eq(bt_u64(bl, "pid"), json_u64(jl, "pid"), "%s\n%s", bl, jl);
    cr_expect_eq(bt_u64(bl, "tid"), json_u64(jl, "tid"), "%s\n%s", bl, jl);
    cr_expect_eq(bt_u64(bl, "obj"), json_u64(jl, "obj"), "%s\n%s", bl, jl);
    cr_expect_neq(json_u64(jl, "obj"), 0);

    /* A thread named by the sample: its thread-name event carries the
     * name, and its later events say whose they are. */
    char *nl = nth_line_with(bt.out, ", name = \"producer\"", 0);
    cr_assert_not_null(nl, "%s", bt.out);
    cr_expect_not_null(strstr(nl, " thread-name: "), "%s", nl);
    cr_expect_not_null(strstr(bt.out, "thread_name = \"consumer\""));
    free(jl);
    free(bl);
    free(nl);
    e2e_result_free(&bt);
    e2e_result_free(&dump);
    e2e_result_free(&json);
    free(ctf);
}

/* "[S.NNNNNNNNN]" at the start of each line: never smaller than the
 * line before.  (One assertion at the end: Criterion reports each one to
 * its runner, too slow for 80000 lines.) */
static void expect_time_goes_forward(const char *out, size_t want_lines)
{
    size_t lines = 0, bad = SIZE_MAX;
    uint64_t prev = 0;
    for (const char *p = out; *p && bad == SIZE_MAX; lines++) {
        /* not sscanf: it takes strlen of the whole rest every time */
        char *end = NULL;
        uint64_t sec = *p == '[' ? strtoull(p + 1, &end, 10) : 0;
        if (!end || *end != '.' || strnlen(end, 11) < 11 || end[10] != ']')
            bad = lines;
        uint64_t t =
            sec * 1000000000u + (end ? strtoull(end + 1, NULL, 10) : 0);
        if (t < prev)
            bad = lines;
        prev = t;
        p = strchr(p, '\n');
        p = p ? p + 1 : "";
    }
    cr_assert_eq(bad, SIZE_MAX,
                 "time goes back (or no time) at line %zu: "
                 "%.200s",
                 bad, nth_line_with(out, "[", bad));
    cr_expect_eq(lines, want_lines);
}

/* A count from babeltrace2's sink.utils.counter: "   N label". */
static uint64_t counter_value(const char *out, const char *label)
{
    const char *p = strstr(out, label);
    cr_assert_not_null(p, "no '%s' in %s", label, out);
    while (p > out && p[-1] != '\n')
        p--;
    return strtoull(p, NULL, 10);
}

/* A trace bigger than a packet (lock_loop: 4 events per iteration):
 * several packets, times in order across them, every event there, and
 * on the wall clock of the recording (the CTF clock's offset). */
Test(export_ctf, big_trace_in_packets_time_forward)
{
    need_babeltrace2();
    const char *dir = e2e_trace_dir();
    time_t before = time(NULL);
    record(dir, "c/lock_loop", "20000");
    time_t after = time(NULL);
    char *ctf = export_ctf(dir, 0);

    struct e2e_result bt, dump, counter;
    const char *bta[] = {"babeltrace2", "--clock-seconds", ctf, NULL};
    const char *dumpa[] = {"ctrace", "dump", dir, NULL};
    const char *counta[] = {"babeltrace2",      "-c", "sink.utils.counter",
                            "--params=step=+0", ctf,  NULL};
    run_ok(&bt, bta, false);
    run_ok(&dump, dumpa, false);
    run_ok(&counter, counta, false);
    size_t n = count_lines(dump.out);
    cr_assert_gt(n, 80000);
    expect_time_goes_forward(bt.out, n);
    long long first = strtoll(bt.out + 1, NULL, 10);
    cr_expect(first >= (long long)before && first <= (long long)after,
              "first event at %lld s, recorded between %lld and %lld", first,
              (long long)before, (long long)after);
    cr_expect_eq(counter_value(counter.out, "Event messages"), n, "%s",
                 counter.out);
    cr_expect_gt(counter_value(counter.out, "Packet beginning messages"), 4,
                 "%s", counter.out);
    cr_expect_eq(counter_value(counter.out, "Discarded event messages"), 0,
                 "%s", counter.out);
    cr_expect_eq(counter_value(counter.out, "Discarded packet messages"), 0,
                 "%s", counter.out);
    e2e_result_free(&bt);
    e2e_result_free(&dump);
    e2e_result_free(&counter);
    free(ctf);
}

/* A trace cut short: export writes what the reader reads, prints its
 * error and exits 1; babeltrace2 reads the result. */
Test(export_ctf, corrupt_trace_written_as_far_as_it_reads)
{
    need_babeltrace2();
    const char *dir = e2e_trace_dir();
    record(dir, "c/lock_loop", "5000");
    struct e2e_result ls;
    char *cmd = NULL;
    cr_assert_geq(asprintf(&cmd,
                           "f=$(ls %s/p*.ctrace | head -1) && "
                           "truncate -s $(($(stat -c %%s $f) / 2)) $f",
                           dir),
                  0);
    const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    run_ok(&ls, sh, false);
    e2e_result_free(&ls);
    free(cmd);

    char *ctf = export_ctf(dir, 1);
    struct e2e_result bt, dump, exp;
    const char *bta[] = {"babeltrace2", ctf, NULL};
    const char *dumpa[] = {"ctrace", "dump", dir, NULL};
    run_ok(&bt, bta, false);
    run_ok(&dump, dumpa, true);
    cr_assert_eq(dump.status, 1, "the cut trace reads as corrupt");
    cr_expect_gt(count_lines(dump.out), 100);
    cr_expect_eq(count_lines(bt.out), count_lines(dump.out));
    e2e_result_free(&bt);
    e2e_result_free(&dump);

    /* the reader's message, as export prints it */
    const char *again[] = {
        "ctrace", "export", "--format=ctf", "-o", e2e_tmpdir(), dir, NULL};
    run_ok(&exp, again, true);
    cr_expect_eq(exp.status, 1);
    cr_expect_not_null(strstr(exp.err, "ctrace export: "), "%s", exp.err);
    cr_expect_not_null(strstr(exp.err, "truncated"), "%s", exp.err);
    e2e_result_free(&exp);
    free(ctf);
}

Test(export_ctf, non_empty_output_dir_refused)
{
    const char *dir = e2e_trace_dir();
    record(dir, "c/mutex_basic", NULL);
    const char *out = e2e_tmpdir();
    char *keep = NULL;
    cr_assert_geq(asprintf(&keep, "%s/keep", out), 0);
    FILE *f = fopen(keep, "w");
    cr_assert_not_null(f);
    fclose(f);

    struct e2e_result r;
    const char *exp[] = {"ctrace", "export", "--format=ctf", "-o", out,
                         dir,      NULL};
    run_ok(&r, exp, true);
    cr_expect_eq(r.status, 1);
    cr_expect_not_null(strstr(r.err, "is not empty"), "%s", r.err);
    char *meta = NULL;
    cr_assert_geq(asprintf(&meta, "%s/metadata", out), 0);
    cr_expect_neq(access(meta, F_OK), 0, "nothing written into it");
    cr_expect_eq(access(keep, F_OK), 0, "its file left alone");
    e2e_result_free(&r);
    free(meta);
    free(keep);
}
