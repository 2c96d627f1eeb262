/* bench/analyze: analyzer throughput and memory on real traces
 * (docs/analysis.md; a benchmark; not a test, it prints figures).
 *
 *   analyze [--events N] [--small N] [--threads T] [--reps R] [--keep]
 *
 * For a small trace (default 10M events) and a big one (default 50M):
 * 1. record the overhead benchmark's mix workload (T threads, 2 by
 *    default, each locking a random one of 16 mutexes) under `ctrace run
 *    --no-report`, with enough iterations for the wanted events (two per
 *    iteration: acquire and release), and time the recording;
 * 2. analyse the trace in a fresh child process, in-process as `ctrace
 *    report` does without writing a report: the reader merges the
 *    threads, every event goes to the analyzer (and module loads to the
 *    symbolizer), then analyzer_finish.  The child measures wall and CPU
 *    time, its peak RSS (getrusage ru_maxrss) and the peak of its
 *    anonymous memory (RssAnon, sampled every 1M events: the part that
 *    is the analyzer's own, as opposed to the trace's mapped pages).
 * Each trace is analysed R times (3 by default), each in a fresh child:
 * the time figures are the median run's (by CPU time), with the fastest
 * and slowest shown, because on a shared machine one run can be twice as
 * slow as the next; the memory figures are the largest of all runs.
 * Then it prints events/s on one core (the analysis is single-threaded),
 * the growth of peak memory from the small trace to the big one, and the
 * ratio analysis time / recording time.  Targets: >= 20M
 * events/s, memory that does not grow with events, analysis faster than
 * recording.
 *
 * The binaries are found next to this one in the build tree
 * (../cli/ctrace and ./workload); traces go to $TMPDIR (about 1 GB for
 * 50M events) and are removed unless --keep. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "reader.h"
#include "symbols.h"

struct bench_opts {
    uint64_t events, small;
    int threads;
    int reps;
    int keep;
};

/* What one analysis measured (written by the child through a pipe). */
struct figures {
    uint64_t events;
    uint64_t wall_ns, cpu_ns;
    uint64_t maxrss_kb;    /* ru_maxrss: anonymous + mapped trace pages */
    uint64_t anon_peak_kb; /* peak RssAnon seen */
    uint64_t file_kb;      /* RssFile at the end (mapped trace) */
    uint64_t findings;
    int ok;
};

struct run {
    const char *label;
    uint64_t target;
    char dir[PATH_MAX];
    uint64_t record_ns;
    uint64_t trace_bytes;
    struct figures fig;              /* the median run, peaks of all */
    uint64_t cpu_min_ns, cpu_max_ns; /* fastest and slowest run */
};

static char bin_dir[PATH_MAX];

static uint64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "analyze: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void bin_dir_find(void)
{
    ssize_t n = readlink("/proc/self/exe", bin_dir, sizeof bin_dir - 1);
    if (n <= 0)
        die("/proc/self/exe");
    bin_dir[n] = '\0';
    *strrchr(bin_dir, '/') = '\0';
}

/* ---- recording ---- */

/* Run argv with stdout to /dev/null; its exit status, or -1. */
static int spawn_wait(char *const argv[])
{
    fflush(stdout); /* the child's freopen would write our buffer again */
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint64_t du_total;

static int du_add(const char *path, const struct stat *sb, int type,
                  struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (type == FTW_F)
        du_total += (uint64_t)sb->st_size;
    return 0;
}

static int rm_one(const char *path, const struct stat *sb, int type,
                  struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void record(struct run *r, const struct bench_opts *o)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(r->dir, sizeof r->dir, "%s/ctrace-analyze-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->dir))
        die("mkdtemp");
    strncat(r->dir, "/trace", sizeof r->dir - strlen(r->dir) - 1);
    char ctrace[PATH_MAX + 16], workload[PATH_MAX + 16], threads[16], iters[32];
    snprintf(ctrace, sizeof ctrace, "%s/../cli/ctrace", bin_dir);
    snprintf(workload, sizeof workload, "%s/workload", bin_dir);
    snprintf(threads, sizeof threads, "%d", o->threads);
    uint64_t per = 2ull * (uint64_t)o->threads;
    snprintf(iters, sizeof iters, "%" PRIu64, (r->target + per - 1) / per);
    char *argv[] = {ctrace,   "run", "--no-report", "-o",  r->dir,
                    workload, "mix", threads,       iters, NULL};
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    int st = spawn_wait(argv);
    r->record_ns = clock_ns(CLOCK_MONOTONIC) - t0;
    if (st != 0) {
        fprintf(stderr, "analyze: %s run ... %s mix %s %s exited %d\n", ctrace,
                workload, threads, iters, st);
        exit(2);
    }
    du_total = 0;
    nftw(r->dir, du_add, 16, FTW_PHYS);
    r->trace_bytes = du_total;
}

/* ---- analysis (in a child) ---- */

/* RssAnon and RssFile of this process, in kB. */
static void rss_now(uint64_t *anon_kb, uint64_t *file_kb)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    *anon_kb = *file_kb = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (sscanf(line, "RssAnon: %llu", &v) == 1)
            *anon_kb = v;
        else if (sscanf(line, "RssFile: %llu", &v) == 1)
            *file_kb = v;
    }
    fclose(f);
}

static void anon_sample(struct figures *f)
{
    uint64_t anon, file;
    rss_now(&anon, &file);
    if (anon > f->anon_peak_kb)
        f->anon_peak_kb = anon;
    f->file_kb = file;
}

/* What `ctrace report` does before writing (analyzer/report_run.c). */
static void analyze_trace(const char *dir, struct figures *f)
{
    memset(f, 0, sizeof *f);
    uint64_t w0 = clock_ns(CLOCK_MONOTONIC);
    uint64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "analyze: %s: %s\n", dir, err.msg);
        return;
    }
    struct analyzer *a = analyzer_new(NULL, r);
    struct symbolizer *sym = sym_new();
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "analyze: %s (skipped)\n", err.msg);
            continue;
        }
        if (ev.type == TRACE_EV_MODULE_LOAD) {
            const struct trace_process *p = trace_reader_process(r, ev.proc);
            sym_add_event(sym, &ev, p ? p->exe : NULL);
        }
        analyzer_feed(a, &ev);
        if ((++f->events & ((1u << 20) - 1)) == 0)
            anon_sample(f);
    }
    struct analysis_result res;
    analyzer_finish(a, &res);
    anon_sample(f);
    f->findings = res.nfindings;
    analysis_result_free(&res);
    analyzer_free(a);
    sym_free(sym);
    trace_reader_close(r);
    f->wall_ns = clock_ns(CLOCK_MONOTONIC) - w0;
    f->cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    f->maxrss_kb = (uint64_t)ru.ru_maxrss;
    f->ok = 1;
}

/* A fresh process per analysis, so that each peak is its own. */
static void analyze_in_child(const char *dir, struct figures *f)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[0]);
        struct figures mine;
        analyze_trace(dir, &mine);
        ssize_t w = write(fds[1], &mine, sizeof mine);
        _exit(w == (ssize_t)sizeof mine ? 0 : 1);
    }
    close(fds[1]);
    memset(f, 0, sizeof *f);
    ssize_t got = read(fds[0], f, sizeof *f);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (got != (ssize_t)sizeof *f || !f->ok) {
        fprintf(stderr, "analyze: the analysis of %s failed\n", dir);
        exit(2);
    }
}

static int cmp_cpu(const void *a, const void *b)
{
    const struct figures *x = a, *y = b;
    return x->cpu_ns < y->cpu_ns ? -1 : x->cpu_ns > y->cpu_ns;
}

/* Analyse r's trace `reps` times: the median run's times, the largest
 * memory figures, the CPU time range. */
static void analyze_reps(struct run *r, int reps)
{
    struct figures f[16];
    for (int i = 0; i < reps; i++)
        analyze_in_child(r->dir, &f[i]);
    qsort(f, (size_t)reps, sizeof f[0], cmp_cpu);
    r->fig = f[reps / 2];
    r->cpu_min_ns = f[0].cpu_ns;
    r->cpu_max_ns = f[reps - 1].cpu_ns;
    for (int i = 0; i < reps; i++) {
        if (f[i].maxrss_kb > r->fig.maxrss_kb)
            r->fig.maxrss_kb = f[i].maxrss_kb;
        if (f[i].anon_peak_kb > r->fig.anon_peak_kb)
            r->fig.anon_peak_kb = f[i].anon_peak_kb;
    }
}

/* ---- report ---- */

static double mb(uint64_t kb) { return (double)kb / 1024.0; }

static void print_run(const struct run *r)
{
    const struct figures *f = &r->fig;
    double rec_s = (double)r->record_ns / 1e9;
    double wall_s = (double)f->wall_ns / 1e9, cpu_s = (double)f->cpu_ns / 1e9;
    printf("%s trace: %" PRIu64 " events, %.0f MB on disk (%.1f bytes/event)"
           ", %" PRIu64 " findings\n",
           r->label, f->events, (double)r->trace_bytes / 1e6,
           (double)r->trace_bytes / (double)(f->events ? f->events : 1),
           f->findings);
    printf("  recording (ctrace run --no-report): %.2f s\n", rec_s);
    printf("  analysis (median of the runs): %.2f s wall, %.2f s CPU: %.1fM "
           "events/s (%.1fM events/s of CPU; runs from %.2f to %.2f s CPU)\n",
           wall_s, cpu_s, (double)f->events / wall_s / 1e6,
           (double)f->events / cpu_s / 1e6, (double)r->cpu_min_ns / 1e9,
           (double)r->cpu_max_ns / 1e9);
    printf("  peak RSS %.1f MB (anonymous peak %.1f MB, mapped trace at the "
           "end %.1f MB)\n",
           mb(f->maxrss_kb), mb(f->anon_peak_kb), mb(f->file_kb));
    printf("  analysis time / recording time: %.2f\n", wall_s / rec_s);
}

static void print_summary(const struct run *small, const struct run *big)
{
    const struct figures *s = &small->fig, *b = &big->fig;
    /* one core: per CPU second, since other processes may share it */
    double rate = (double)b->events / ((double)b->cpu_ns / 1e9);
    double wall_rate = (double)b->events / ((double)b->wall_ns / 1e9);
    double ratio = (double)b->wall_ns / (double)big->record_ns;
    printf("\nsummary (%s trace):\n", big->label);
    printf("  throughput %.1fM events/s on one core (per CPU second; %.1fM "
           "per wall second) (target >= 20M): %s\n",
           rate / 1e6, wall_rate / 1e6, rate >= 20e6 ? "met" : "NOT met");
    printf("  peak RSS %.1f MB vs %.1f MB for %.1fx the events (%+.1f%%); "
           "anonymous %.1f MB vs %.1f MB (%+.1f%%): %s\n",
           mb(b->maxrss_kb), mb(s->maxrss_kb),
           (double)b->events / (double)s->events,
           100.0 * ((double)b->maxrss_kb / (double)s->maxrss_kb - 1.0),
           mb(b->anon_peak_kb), mb(s->anon_peak_kb),
           100.0 * ((double)b->anon_peak_kb / (double)s->anon_peak_kb - 1.0),
           (double)b->anon_peak_kb < 1.25 * (double)s->anon_peak_kb
               ? "does not grow with events"
               : "GROWS with events");
    printf("  analysis / recording %.2f (target < 1): %s\n", ratio,
           ratio < 1.0 ? "met" : "NOT met");
}

static void parse(int argc, char **argv, struct bench_opts *o)
{
    o->events = 50000000;
    o->small = 10000000;
    o->threads = 2;
    o->reps = 3;
    o->keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            o->events = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--small") == 0 && i + 1 < argc)
            o->small = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            o->threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            o->reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            o->keep = 1;
        else {
            fprintf(stderr, "usage: analyze [--events N] [--small N] "
                            "[--threads T] [--reps R] [--keep]\n");
            exit(2);
        }
    }
    if (o->threads < 1 || o->threads > 64 || !o->events || !o->small ||
        o->reps < 1 || o->reps > 15) {
        fprintf(stderr, "analyze: bad --events, --small, --threads or "
                        "--reps (1..15)\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    parse(argc, argv, &o);
    bin_dir_find();
    struct run runs[2] = {{.label = "small", .target = o.small},
                          {.label = "big", .target = o.events}};
    for (int i = 0; i < 2; i++) {
        record(&runs[i], &o);
        analyze_reps(&runs[i], o.reps);
        print_run(&runs[i]);
        fflush(stdout);
        if (o.keep) {
            printf("  kept %s\n", runs[i].dir);
        } else {
            nftw(runs[i].dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
            *strrchr(runs[i].dir, '/') = '\0';
            rmdir(runs[i].dir);
        }
    }
    print_summary(&runs[0], &runs[1]);
    return 0;
}
