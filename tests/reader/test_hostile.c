/* Hostile trace directories through the real commands: a FIFO named like
 * a process file must not block `report`, `dump`, `export` or `view`
 * (each run has a safety-net timeout, so a hang fails the test instead
 * of hanging the suite), and the three reading commands agree on one
 * exit-status policy for traces that cannot be opened or are damaged:
 * 1, with the reader's message naming the file (and offset), and the
 * output written as far as the trace reads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "rt.h"

/* Generous: a healthy run of these commands takes milliseconds. */
#define HOSTILE_TIMEOUT_S 20

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* One healthy process image, pid 8: two threads, a lock each. */
static void write_good_process(const char *dir)
{
    struct craft_file f;
    craft_header(&f, 8, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 80, 0, 0, 5);
    craft_objdef(&a, 1, 0xbeef0);
    craft_event(&a, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, 10);
    craft_event(&a, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 20);
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 81, 1, 0, 5);
    craft_objdef(&b, 1, 0xcafe0);
    craft_event(&b, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, 30);
    craft_event(&b, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 40);
    craft_write(&f, dir, "p8.0.ctrace");
    craft_free(&f);
}

/* Run `ctrace ARGS... dir` with the safety net; fails on a hang. */
static void run_cmd(struct e2e_result *res, const char *const *args,
                    const char *dir)
{
    const char *argv[12];
    size_t n = 0;
    argv[n++] = "ctrace";
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = dir;
    argv[n] = NULL;
    cr_assert_eq(e2e_run_env(res, argv, NULL, "", HOSTILE_TIMEOUT_S), 0);
    cr_assert_not(res->timed_out, "ctrace %s hung on %s", argv[1], dir);
}

/* The reading commands, each writing its output to stdout or to a
 * fresh place. */
struct reading_cmd {
    const char *args[8];
};

static void reading_cmds(struct reading_cmd cmds[4])
{
    memset(cmds, 0, 4 * sizeof *cmds);
    static char ctf[4096]; /* one per test: each runs in its own process */
    snprintf(ctf, sizeof ctf, "%s/out.ctf", e2e_tmpdir());
    struct reading_cmd v[4] = {
        {{"report", NULL}},
        {{"dump", "--json", NULL}},
        {{"export", "--format=chrome", NULL}},
        {{"export", "--format=ctf", "-o", ctf, NULL}},
    };
    memcpy(cmds, v, sizeof v);
}

/* What a command wrote: on stdout, or the CTF directory's files. */
static void expect_output(const struct reading_cmd *c,
                          const struct e2e_result *res)
{
    if (strcmp(c->args[0], "export") || strcmp(c->args[1], "--format=ctf")) {
        cr_expect_gt(res->out_len, 0, "ctrace %s wrote nothing", c->args[0]);
        return;
    }
    char *meta = path_in(c->args[3], "metadata");
    char *stream = path_in(c->args[3], "stream");
    struct stat st;
    cr_expect_eq(access(meta, R_OK), 0, "no %s", meta);
    cr_expect(stat(stream, &st) == 0 && st.st_size > 0, "no events in %s",
              stream);
    free(meta);
    free(stream);
}

/* ---- FIFOs ---- */

Test(hostile, fifo_process_file_never_blocks)
{
    char *dir = rt_dir();
    write_good_process(dir);
    char *fifo = path_in(dir, "p9.0.ctrace");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    struct reading_cmd cmds[4];
    reading_cmds(cmds);
    for (size_t i = 0; i < 4; i++) {
        struct e2e_result res;
        run_cmd(&res, cmds[i].args, dir);
        cr_expect_eq(res.status, 1, "ctrace %s: status %d, stderr: %s",
                     cmds[i].args[0], res.status, res.err);
        cr_expect(strstr(res.err, fifo) &&
                      strstr(res.err, "not a regular file"),
                  "ctrace %s: %s", cmds[i].args[0], res.err);
        expect_output(&cmds[i], &res);
        e2e_result_free(&res);
    }
    /* the viewer reads the whole trace before it looks for a terminal */
    const char *view[] = {"view", NULL};
    struct e2e_result res;
    run_cmd(&res, view, dir);
    cr_expect_eq(res.status, 1);
    e2e_result_free(&res);
    free(fifo);
}

Test(hostile, only_a_fifo_is_not_a_trace)
{
    char *dir = rt_dir();
    char *fifo = path_in(dir, "p9.0.ctrace");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    struct reading_cmd cmds[4];
    reading_cmds(cmds);
    for (size_t i = 0; i < 4; i++) {
        struct e2e_result res;
        run_cmd(&res, cmds[i].args, dir);
        cr_expect_eq(res.status, 1, "ctrace %s: status %d", cmds[i].args[0],
                     res.status);
        cr_expect(strstr(res.err, "not a regular file"), "ctrace %s: %s",
                  cmds[i].args[0], res.err);
        e2e_result_free(&res);
    }
    const char *view[] = {"view", NULL};
    struct e2e_result res;
    run_cmd(&res, view, dir);
    cr_expect_eq(res.status, 1);
    cr_expect(strstr(res.err, "not a regular file"), "%s", res.err);
    e2e_result_free(&res);
    free(fifo);
}

/* ---- one exit-status policy for report, dump and export ---- */

Test(hostile, missing_trace_exits_1_naming_it)
{
    char *dir = rt_dir();
    char *missing = path_in(dir, "not-there");
    struct reading_cmd cmds[4];
    reading_cmds(cmds);
    for (size_t i = 0; i < 4; i++) {
        struct e2e_result res;
        run_cmd(&res, cmds[i].args, missing);
        cr_expect_eq(res.status, 1, "ctrace %s: status %d", cmds[i].args[0],
                     res.status);
        cr_expect(strstr(res.err, missing) &&
                      strstr(res.err, "no such trace directory"),
                  "ctrace %s: %s", cmds[i].args[0], res.err);
        e2e_result_free(&res);
    }
    free(missing);
}

/* A record of an unknown type in thread 0: the rest of that thread is
 * lost, thread 1 and what came before still read. */
Test(hostile, damaged_trace_exits_1_after_writing_what_reads)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 8, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 80, 0, 0, 5);
    craft_objdef(&a, 1, 0xbeef0);
    craft_event(&a, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, 10);
    craft_event(&a, 189, 0, 0, 0, 0, 11);
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 81, 1, 0, 5);
    craft_objdef(&b, 1, 0xcafe0);
    craft_event(&b, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, 30);
    craft_event(&b, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 40);
    craft_write(&f, dir, "p8.0.ctrace");
    craft_free(&f);
    struct reading_cmd cmds[4];
    reading_cmds(cmds);
    for (size_t i = 0; i < 4; i++) {
        struct e2e_result res;
        run_cmd(&res, cmds[i].args, dir);
        cr_expect_eq(res.status, 1, "ctrace %s: status %d, stderr: %s",
                     cmds[i].args[0], res.status, res.err);
        cr_expect(strstr(res.err, "p8.0.ctrace: offset ") &&
                      strstr(res.err, "unknown event type 189"),
                  "ctrace %s: %s", cmds[i].args[0], res.err);
        expect_output(&cmds[i], &res);
        e2e_result_free(&res);
    }
    /* --error-exitcode does not hide the damage */
    const char *args[] = {"report", "--error-exitcode=7", NULL};
    struct e2e_result res;
    run_cmd(&res, args, dir);
    cr_expect_eq(res.status, 1, "%s", res.err);
    e2e_result_free(&res);
}

/* ---- times CTF cannot hold ---- */

/* The export's output must always be a trace babeltrace2 reads; when
 * the trace's times do not fit (ns from the clock's origin must fit in
 * an int64), export says so and exits 1. */
Test(hostile, maximal_clock_ctf_is_valid_or_export_fails)
{
    const char *bt_version[] = {"babeltrace2", "--version", NULL};
    struct e2e_result res;
    if (e2e_run(&res, bt_version) != 0 || res.status != 0)
        cr_skip_test("babeltrace2 is not installed");
    e2e_result_free(&res);

    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 8, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    craft_hdr(&f)->start_real_ns = 1700000000ull * 1000000000ull;
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 80, 0, 0, 5);
    craft_objdef(&a, 1, 0xbeef0);
    craft_event(&a, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, 10);
    craft_event(&a, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 20);
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 81, 1, 0, UINT64_MAX - 100);
    craft_objdef(&b, 1, 0xcafe0);
    craft_event(&b, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, UINT64_MAX - 50);
    craft_event(&b, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, UINT64_MAX - 1);
    craft_write(&f, dir, "p8.0.ctrace");
    craft_free(&f);

    char *ctf = path_in(e2e_tmpdir(), "max.ctf");
    const char *exp[] = {"export", "--format=ctf", "-o", ctf, NULL};
    run_cmd(&res, exp, dir);
    int status = res.status;
    char *err = strdup(res.err);
    e2e_result_free(&res);
    const char *bt[] = {"babeltrace2", ctf, NULL};
    cr_assert_eq(e2e_run_env(&res, bt, NULL, "", HOSTILE_TIMEOUT_S), 0);
    cr_expect_eq(res.status, 0,
                 "babeltrace2 rejects the export (which "
                 "exited %d): %s",
                 status, res.err);
    cr_expect_eq(count_lines(res.out), 4, "%s", res.out);
    e2e_result_free(&res);
    cr_expect_eq(status, 1, "export exits %d: %s", status, err);
    cr_expect(strstr(err, "p8.0.ctrace") && strstr(err, "CTF"), "%s", err);
    free(err);
    free(ctf);
}

/* ---- objects at address 0 ---- */

/* A lock event on address 0 first, then real locks: report neither
 * crashes nor invents findings (no pthread object lives at 0; dump and
 * the viewer treat 0 as "no object"). */
Test(hostile, lock_at_address_zero_through_report)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 8, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 80, 0, 0, 5);
    craft_objdef(&a, 1, 0);
    craft_objdef(&a, 2, 0xbeef0);
    craft_event(&a, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, 0, 10);
    craft_event(&a, TRACE_EV_MUTEX_ACQUIRE, 2, 0, 0, 0, 12);
    craft_event(&a, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 14);
    craft_event(&a, TRACE_EV_MUTEX_RELEASE, 2, 0, 0, 0, 16);
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 81, 1, 0, 5);
    craft_objdef(&b, 1, 0);
    craft_objdef(&b, 2, 0xbeef0);
    craft_event(&b, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 13);
    craft_event(&b, TRACE_EV_MUTEX_ACQUIRE, 2, 0, 0, 0, 30);
    craft_event(&b, TRACE_EV_MUTEX_RELEASE, 2, 0, 0, 0, 40);
    craft_write(&f, dir, "p8.0.ctrace");
    craft_free(&f);
    const char *args[] = {"report", "--format=json", NULL};
    struct e2e_result res;
    run_cmd(&res, args, dir);
    cr_expect_eq(res.status, 0, "status %d: %s", res.status, res.err);
    cr_expect(strstr(res.out, "\"findings\": []") ||
                  strstr(res.out, "\"findings\":[]"),
              "%s", res.out);
    e2e_result_free(&res);
}
