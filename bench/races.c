/* bench/races: what race recording costs, against a native run and against
 * ThreadSanitizer (GCC's libtsan) in the same run (docs/races.md; a benchmark,
 * not a test, it prints figures).
 *
 *   races [--reps N] [--threads T] [--items N] [--block N] [--keep DIR]
 *
 * The workload (races_workload.c: a parallel histogram with one mutex per
 * bucket) is built three ways next to this binary: races_workload
 * (plain), races_workload_ctrace (`ctrace cc`) and races_workload_tsan
 * (gcc -fsanitize=thread).  Each run, alternating the three so that load
 * changes hit all alike:
 *  - native: the plain build;
 *  - ctrace: the ctrace build under `ctrace run --no-report` (recording
 *    only; the analysis is timed apart, `ctrace report` on the trace);
 *  - tsan: the ThreadSanitizer build.
 * Reported: the workload's parallel section (it times itself) and the
 * whole process, both as medians, and the CPU time; slowdowns against
 * native; the trace's size over the instrumented accesses the runtime
 * counted (mem-stats), whole trace and mem-* records alone. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "reader.h"

#define MAX_REPS 64

struct paths {
    char ctrace[PATH_MAX];
    char native[PATH_MAX], traced[PATH_MAX], tsan[PATH_MAX];
    char tmp[PATH_MAX];
};

/* One measured run. */
struct sample {
    double section_ns; /* the workload's own figure */
    double wall_ns;    /* the whole process (ctrace included) */
    double cpu_ns;     /* user + system of everything it ran */
};

static void paths_find(struct paths *p)
{
    char self[PATH_MAX - 64];
    bench_self_dir("races", self, sizeof self);
    snprintf(p->ctrace, sizeof p->ctrace, "%s/../cli/ctrace", self);
    snprintf(p->native, sizeof p->native, "%s/races_workload", self);
    snprintf(p->traced, sizeof p->traced, "%s/races_workload_ctrace", self);
    snprintf(p->tsan, sizeof p->tsan, "%s/races_workload_tsan", self);
    bench_tmpdir("races", p->tmp, sizeof p->tmp);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double tv_ns(struct timeval tv)
{
    return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

/* Run argv, time it, and read "elapsed_ns N" from its output. */
static struct sample run(char *const argv[])
{
    char out[4096];
    struct rusage ru;
    struct sample s;
    s.wall_ns = bench_run("races", argv, out, sizeof out, &ru);
    s.cpu_ns = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
    s.section_ns = bench_value("races", out, "elapsed_ns ");
    return s;
}

static struct sample median_of(const struct sample *v, int n)
{
    double a[MAX_REPS], b[MAX_REPS], c[MAX_REPS];
    for (int i = 0; i < n; i++) {
        a[i] = v[i].section_ns;
        b[i] = v[i].wall_ns;
        c[i] = v[i].cpu_ns;
    }
    struct sample m = {bench_median(a, n), bench_median(b, n),
                       bench_median(c, n)};
    return m;
}

/* What the trace holds: instrumented accesses (mem-stats), mem-* records
 * and all records. */
struct trace_figures {
    uint64_t accesses, filtered, merged, mem_records, events;
};

static struct trace_figures trace_count(const char *dir)
{
    struct trace_figures f = {0};
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "races: %s\n", err.msg);
        exit(1);
    }
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) == 1) {
        f.events++;
        if (ev.type >= TRACE_EV_MEM_READ && ev.type <= TRACE_EV_MEM_RANGE_WRITE)
            f.mem_records++;
        if (ev.type == TRACE_EV_MEM_STATS &&
            ev.payload_len >= sizeof(struct trace_mem_stats)) {
            struct trace_mem_stats s;
            memcpy(&s, ev.payload, sizeof s);
            f.accesses += s.accesses;
            f.filtered += s.filtered;
            f.merged += s.merged;
        }
    }
    if (rc < 0)
        fprintf(stderr, "races: %s\n", err.msg);
    trace_reader_close(r);
    return f;
}

static void print_row(const char *name, struct sample s, struct sample base)
{
    printf("  %-8s %9.1f ms %7.2fx   %9.1f ms %7.2fx   %9.1f ms %7.2fx\n", name,
           s.section_ns / 1e6, s.section_ns / base.section_ns, s.wall_ns / 1e6,
           s.wall_ns / base.wall_ns, s.cpu_ns / 1e6, s.cpu_ns / base.cpu_ns);
}

int main(int argc, char **argv)
{
    int reps = 5;
    const char *keep = NULL, *threads = "2", *items = "33554432",
               *block = "65536";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = argv[++i];
        else if (strcmp(argv[i], "--items") == 0 && i + 1 < argc)
            items = argv[++i];
        else if (strcmp(argv[i], "--block") == 0 && i + 1 < argc)
            block = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            keep = argv[++i];
        else {
            fprintf(stderr, "usage: races [--reps N] [--threads T] "
                            "[--items N] [--block N] [--keep DIR]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > MAX_REPS)
        reps = 5;
    struct paths p;
    paths_find(&p);
    bool have_tsan = access(p.tsan, X_OK) == 0;
    char trace_dir[PATH_MAX + 32];
    snprintf(trace_dir, sizeof trace_dir, "%s%s", keep ? keep : p.tmp,
             keep ? "" : "/trace");

    struct sample nat[MAX_REPS], tr[MAX_REPS], ts[MAX_REPS], an[MAX_REPS];
    for (int i = 0; i < reps; i++) {
        char *a_nat[] = {p.native, (char *)threads, (char *)items,
                         (char *)block, NULL};
        nat[i] = run(a_nat);
        char *a_tr[] = {
            p.ctrace,      "run",         "--no-report", "-o",
            trace_dir,     "--",          p.traced,      (char *)threads,
            (char *)items, (char *)block, NULL};
        tr[i] = run(a_tr);
        if (have_tsan) {
            char *a_ts[] = {p.tsan, (char *)threads, (char *)items,
                            (char *)block, NULL};
            ts[i] = run(a_ts);
        }
    }
    /* the analysis of the last trace, timed apart */
    for (int i = 0; i < reps && i < 3; i++) {
        double t0 = now_ns();
        char cmd[PATH_MAX * 3];
        snprintf(cmd, sizeof cmd, "%s report %s > /dev/null 2>&1", p.ctrace,
                 trace_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "races: ctrace report failed\n");
        an[i].section_ns = an[i].wall_ns = now_ns() - t0;
        an[i].cpu_ns = 0;
    }
    struct sample mn = median_of(nat, reps), mt = median_of(tr, reps);
    struct sample ma = median_of(an, reps < 3 ? reps : 3);
    uint64_t bytes = bench_trace_bytes(trace_dir);
    struct trace_figures f = trace_count(trace_dir);

    printf("ctrace race-recording benchmark: parallel histogram, %s threads, "
           "%s items, blocks of %s, per-bucket mutexes\n"
           "(%d runs each, alternating, medians; native baseline measured in "
           "this run)\n\n",
           threads, items, block, reps);
    printf("  %-8s %12s %8s   %12s %8s   %12s %8s\n", "", "parallel",
           "slowdown", "process", "slowdown", "cpu", "slowdown");
    print_row("native", mn, mn);
    print_row("ctrace", mt, mn);
    if (have_tsan)
        print_row("tsan", median_of(ts, reps), mn);
    else
        printf("  tsan     (not built: gcc -fsanitize=thread unavailable)\n");
    printf("\n  analysis (ctrace report on the trace): %.1f ms\n",
           ma.wall_ns / 1e6);
    printf("  instrumented accesses: %llu (%llu filtered in their epoch, "
           "%llu merged into a record)\n",
           (unsigned long long)f.accesses, (unsigned long long)f.filtered,
           (unsigned long long)f.merged);
    printf("  trace: %llu bytes, %llu events (%llu mem-* records)\n",
           (unsigned long long)bytes, (unsigned long long)f.events,
           (unsigned long long)f.mem_records);
    if (f.accesses)
        printf("  bytes per instrumented access: %.3f whole trace, %.3f "
               "mem-* records (target <= 2)\n",
               (double)bytes / (double)f.accesses,
               (double)f.mem_records * TRACE_RECORD_SIZE / (double)f.accesses);
    if (have_tsan) {
        struct sample mts = median_of(ts, reps);
        printf("  ctrace vs ThreadSanitizer: %.2fx the parallel time, %.2fx "
               "the process time, %.2fx the cpu time (target <= 1)\n",
               mt.section_ns / mts.section_ns, mt.wall_ns / mts.wall_ns,
               mt.cpu_ns / mts.cpu_ns);
    }
    if (!keep) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", p.tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "races: could not remove %s\n", p.tmp);
    }
    return 0;
}
