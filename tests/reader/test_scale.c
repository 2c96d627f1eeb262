/* How the reader grows with the number of process files.  Not timed:
 * the reader counts its steps (trace_reader_work), and four times the
 * processes must cost well under sixteen times the steps (a quadratic
 * step would), while the merge still holds every forked child until its
 * fork.  (bench: `reader_speed -p PROCS DIR` prints the times.) */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

/* Write a crafted file with the unwritten rest of its chunks as a hole,
 * as the shim leaves them: thousands of files stay cheap. */
static void write_sparse(struct craft_file *f, const struct craft_chunk *c,
                         const char *dir, const char *name)
{
    craft_hdr(f)->file_end = f->len;
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0, "%s", path);
    size_t used = c->off + TRACE_CHUNK_HEADER_SIZE + 8u * c->n;
    cr_assert_eq(write(fd, f->buf, used), (ssize_t)used);
    cr_assert_eq(ftruncate(fd, (off_t)f->len), 0);
    close(fd);
    free(path);
}

static void write_proc(const char *dir, uint32_t pid, uint32_t ppid,
                       uint64_t start, uint32_t forks)
{
    struct craft_file f;
    craft_header(&f, pid, ppid, 0, ppid ? TRACE_FILE_FORKED : 0,
                 TRACE_CLOCK_MONOTONIC, start);
    struct craft_chunk c;
    craft_chunk(&f, &c, TRACE_CHUNK_MIN, pid, 0, 0, start);
    struct trace_process_info pi = {pid, ppid, UINT32_MAX, 0};
    craft_payload(&c, TRACE_EV_PROCESS_START, 0, start, &pi, sizeof pi);
    for (uint32_t i = 0; i < forks; i++)
        craft_event(&c, TRACE_EV_FORK, 0, 0, 0, pid + 1 + i,
                    1000 + 10 * (i + 1));
    craft_event(&c, TRACE_EV_PROCESS_EXIT, 0, 0, 0, 0, 1000 + 10 * forks + 20);
    char name[64];
    snprintf(name, sizeof name, "p%u.0.ctrace", pid);
    write_sparse(&f, &c, dir, name);
    craft_free(&f);
}

/* pid 1 (from clock 100) forks pids 2..procs (from clock 1010); every
 * child's first event is stamped before its fork (skewed clocks), so the
 * merge holds them all at once. */
static uint64_t tree_work(uint32_t procs)
{
    char *dir = rt_dir();
    write_proc(dir, 1, 0, 100, procs - 1);
    for (uint32_t pid = 2; pid <= procs; pid++)
        write_proc(dir, pid, 1, 500 + pid % 7, 0);

    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(trace_reader_process_count(r), procs);
    struct trace_event ev;
    uint32_t *forked = calloc(procs + 2, sizeof *forked);
    size_t n = 0;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        cr_assert_eq(rc, 1, "%s", err.msg);
        n++;
        if (ev.type == TRACE_EV_FORK && ev.arg <= procs)
            forked[ev.arg] = 1;
        if (ev.type == TRACE_EV_PROCESS_START && ev.pid != 1)
            cr_assert(forked[ev.pid], "pid %u starts before its fork", ev.pid);
    }
    cr_assert_eq(n, 2 + (procs - 1) + 2 * (size_t)(procs - 1));
    struct trace_reader_work w;
    trace_reader_work(r, &w);
    trace_reader_close(r);
    free(forked);
    return w.link_steps + w.gate_steps;
}

Test(scale, process_files_cost_n_log_n, .timeout = 600)
{
    uint64_t small = tree_work(400), big = tree_work(1600);
    double ratio = (double)big / (double)(small ? small : 1);
    cr_log_info("reader steps: 400 processes %llu, 1600 processes %llu "
                "(x%.1f)",
                (unsigned long long)small, (unsigned long long)big, ratio);
    cr_expect_lt(ratio, 8.0,
                 "4x the processes cost x%.1f the steps (%llu -> %llu): "
                 "quadratic",
                 ratio, (unsigned long long)small, (unsigned long long)big);
}
