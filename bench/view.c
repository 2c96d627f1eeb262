/* bench/view: how fast the viewer opens a big trace and answers pan and
 * zoom (docs/viewer.md; a benchmark, not a test, it prints figures).
 *
 *   view [--iters N] [--threads T] [--trace DIR] [--keep] [--width W]
 *        [--rows R]
 *
 * 1. Records `workload mix T N` under `ctrace run --no-report` (T = 2,
 *    N = 2500000 by default: about 10M events; T x N constant keeps the
 *    size), unless --trace names an existing trace.
 * 2. Opens it in the viewer's model as `ctrace view` does (reader,
 *    per-thread pass, pyramid, symbolizer fed): best and median of 3.
 * 3. On a screen W cells wide with one row per thread (at most R), times
 *    what a frame costs: the cells of every row at each zoom level from the
 *    whole trace down to 1 ns per column (pyramid copies, then exact
 *    windows re-read from checkpoints), pans of half a screen at several
 *    zooms, the details pane's reads (events of one column, the activity
 *    of every thread at the cursor), and highlighting one lock.
 *
 * The binaries are found next to this one in the build tree
 * (../cli/ctrace and ./workload). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "symbols.h"

#define VIEW_RUNS 3

struct bench_opts {
    long iters;
    int threads;
    const char *trace;
    bool keep;
    size_t width, rows;
};

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_parse(int argc, char **argv, struct bench_opts *o)
{
    *o = (struct bench_opts){2500000, 2, NULL, false, 200, 50};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            o->iters = atol(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            o->threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc)
            o->trace = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            o->keep = true;
        else if (strcmp(argv[i], "--width") == 0 && i + 1 < argc)
            o->width = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            o->rows = (size_t)atol(argv[++i]);
        else {
            fprintf(stderr, "usage: view [--iters N] [--threads T] [--trace "
                            "DIR] [--keep] [--width W] [--rows R]\n");
            exit(2);
        }
    }
}

/* Record the mix workload; returns the trace directory (malloc'ed). */
static char *bench_record(long iters, int threads)
{
    char self[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        perror("view: /proc/self/exe");
        exit(2);
    }
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    char ctrace[PATH_MAX], workload[PATH_MAX], tmp[PATH_MAX - 64], iter[32],
        nthreads[16];
    snprintf(ctrace, sizeof ctrace, "%s/../cli/ctrace", self);
    snprintf(workload, sizeof workload, "%s/workload", self);
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/ctrace-bench-view-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(tmp)) {
        perror("view: mkdtemp");
        exit(2);
    }
    char *dir = malloc(PATH_MAX);
    snprintf(dir, PATH_MAX, "%s/trace", tmp);
    snprintf(iter, sizeof iter, "%ld", iters);
    snprintf(nthreads, sizeof nthreads, "%d", threads);
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(ctrace, "ctrace", "run", "--no-report", "-o", dir, workload,
              "mix", nthreads, iter, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "view: recording failed (status %d)\n", st);
        exit(1);
    }
    printf("recorded: workload mix %d %ld in %.2f s -> %s\n", threads, iters,
           bench_now() - t0, dir);
    return dir;
}

static struct model *bench_open(const char *dir, struct symbolizer **sym,
                                double *secs)
{
    struct trace_error err;
    *sym = sym_new();
    double t0 = bench_now();
    struct model *m = model_open(dir, false, *sym, &err);
    *secs = bench_now() - t0;
    if (!m) {
        fprintf(stderr, "view: %s\n", err.msg);
        exit(1);
    }
    return m;
}

/* One frame's cells: every row of the screen at (t0, shift). */
static void bench_frame(struct model *m, uint64_t t0, unsigned shift,
                        size_t width, size_t rows, struct cell *cells,
                        uint8_t *hl)
{
    for (size_t r = 0; r < rows && r < m->nth; r++) /* one row per thread */
        model_cells(m, r, t0, shift, width, cells + r * width, hl + r * width);
}

struct bench_stat {
    double total, max;
    size_t n;
};

static void bench_stat_add(struct bench_stat *s, double v)
{
    s->total += v;
    s->n++;
    if (v > s->max)
        s->max = v;
}

static void bench_zoom(struct model *m, const struct bench_opts *o,
                       struct cell *cells, uint8_t *hl)
{
    unsigned top = m->base_shift + m->levels - 1, fit = 0;
    while (fit < top && ((uint64_t)o->width << fit) <= m->end_ns)
        fit++;
    struct bench_stat pyr = {0}, raw = {0};
    printf("zoom (a %zu x %zu frame at each level, cursor mid-trace):\n",
           o->width, o->rows < m->nth ? o->rows : m->nth);
    for (int s = (int)fit; s >= 0; s--) {
        uint64_t col = 1ull << s, mid = m->end_ns / 2;
        uint64_t t0 = mid > col * o->width / 2 ? mid - col * o->width / 2 : 0;
        t0 &= ~(col - 1);
        double a = bench_now();
        bench_frame(m, t0, (unsigned)s, o->width, o->rows, cells, hl);
        double d = bench_now() - a;
        bench_stat_add((unsigned)s >= m->base_shift ? &pyr : &raw, d);
        if (s == (int)fit || s % 4 == 0 || (unsigned)s == m->base_shift)
            printf("  %2d: %10llu ns/col  %8.3f ms  (%s)\n", s,
                   (unsigned long long)col, d * 1e3,
                   (unsigned)s >= m->base_shift ? "pyramid" : "re-read");
    }
    printf("  pyramid levels: %zu frames, mean %.3f ms, max %.3f ms\n", pyr.n,
           pyr.total / (double)(pyr.n ? pyr.n : 1) * 1e3, pyr.max * 1e3);
    printf("  finer than a base cell (exact, re-read): %zu frames, mean "
           "%.3f ms, max %.3f ms\n",
           raw.n, raw.total / (double)(raw.n ? raw.n : 1) * 1e3, raw.max * 1e3);
}

static void bench_pan(struct model *m, const struct bench_opts *o,
                      struct cell *cells, uint8_t *hl)
{
    printf("pan (half a screen at a time, 20 steps from the middle):\n");
    unsigned shifts[] = {m->base_shift + 4, m->base_shift, m->base_shift - 3,
                         m->base_shift - 8};
    for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; k++) {
        unsigned s = shifts[k];
        uint64_t col = 1ull << s, t0 = (m->end_ns / 2) & ~(col - 1);
        struct bench_stat st = {0};
        for (int i = 0; i < 20; i++) {
            double a = bench_now();
            bench_frame(m, t0, s, o->width, o->rows, cells, hl);
            bench_stat_add(&st, bench_now() - a);
            t0 += col * o->width / 2;
        }
        printf("  %10llu ns/col: mean %.3f ms, max %.3f ms per frame\n",
               (unsigned long long)col, st.total / (double)st.n * 1e3,
               st.max * 1e3);
    }
}

static bool bench_count(void *ctx, const struct trace_event *ev,
                        const struct activity *before)
{
    (void)ev;
    (void)before;
    (*(size_t *)ctx)++;
    return true;
}

static void bench_details(struct model *m)
{
    uint64_t col = 1ull << (m->base_shift + 2);
    size_t n = 0, busy = 0; /* the thread with the most events */
    for (size_t t = 1; t < m->nth; t++)
        if (m->th[t].events > m->th[busy].events)
            busy = t;
    /* a moment where it is busy: one of its checkpoints, mid-trace */
    uint64_t at = m->th[busy].nck ? m->th[busy].ck[m->th[busy].nck / 2].ts
                                  : m->end_ns / 2;
    double a = bench_now();
    model_fetch(m, busy, at, at + col, bench_count, &n);
    double fetch = bench_now() - a;
    a = bench_now();
    struct activity act;
    for (size_t t = 0; t < m->nth; t++)
        model_activity_at(m, t, at, &act);
    double who = bench_now() - a;
    printf("details: events of one column (%zu events): %.3f ms; activity "
           "of all %zu threads at the cursor: %.3f ms\n",
           n, fetch * 1e3, m->nth, who * 1e3);
    long busiest = 0;
    for (size_t i = 1; i < m->nlocks; i++)
        if (m->locks[i].acquisitions > m->locks[busiest].acquisitions)
            busiest = (long)i;
    a = bench_now();
    model_highlight_lock(m, busiest);
    printf("highlight one lock (%s, every thread re-read): %.3f s\n",
           model_lock_name(m, busiest), bench_now() - a);
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, &o);
    char *dir = o.trace ? strdup(o.trace) : bench_record(o.iters, o.threads);
    double runs[VIEW_RUNS];
    struct model *m = NULL;
    struct symbolizer *sym = NULL;
    for (int i = 0; i < VIEW_RUNS; i++) {
        if (m) {
            model_free(m);
            sym_free(sym);
        }
        m = bench_open(dir, &sym, &runs[i]);
    }
    qsort(runs, VIEW_RUNS, sizeof runs[0], bench_cmp);
    size_t cells_total = 0;
    for (unsigned k = 0; k < m->levels; k++)
        cells_total += model_level_cells(m, k) * m->nth;
    size_t ckpts = 0;
    for (size_t i = 0; i < m->nth; i++)
        ckpts += m->th[i].nck;
    printf("trace: %llu events, %zu threads, %.3f s long\n",
           (unsigned long long)m->events, m->nth, (double)m->end_ns * 1e-9);
    printf("open (model build, as ctrace view): best %.3f s, median %.3f s "
           "(%.1f M events/s)\n",
           runs[0], runs[VIEW_RUNS / 2],
           (double)m->events / runs[VIEW_RUNS / 2] * 1e-6);
    printf("model: base %zu cells of %llu ns, %u levels, %zu cells (%.1f MiB), "
           "%zu checkpoints (%.1f KiB)\n",
           m->base_cells, 1ull << m->base_shift, m->levels, cells_total,
           (double)(cells_total * sizeof(struct cell)) / 1048576.0, ckpts,
           (double)(ckpts * sizeof(struct model_ckpt)) / 1024.0);
    struct cell *cells = calloc(o.width * o.rows, sizeof *cells);
    uint8_t *hl = calloc(o.width * o.rows, 1);
    bench_zoom(m, &o, cells, hl);
    bench_pan(m, &o, cells, hl);
    bench_details(m);
    free(cells);
    free(hl);
    model_free(m);
    sym_free(sym);
    if (!o.trace && !o.keep) {
        char cmd[PATH_MAX + 32];
        *strrchr(dir, '/') = '\0'; /* the mkdtemp directory */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "view: could not remove %s\n", dir);
    } else if (!o.trace) {
        printf("trace kept in %s\n", dir);
    }
    free(dir);
    return 0;
}
