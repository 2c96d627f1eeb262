/* Analyzer throughput.
 *
 *   perf_analyzer [N]          feed N synthetic events (default 50M) and
 *                              print events/s of the analyzer alone
 *   perf_analyzer --trace DIR  read a recorded trace twice: the reader
 *                              alone, then reader + analyzer
 *
 * The synthetic stream is the shape of the overhead workload: 4 threads,
 * 16 mutexes, lock/unlock pairs with one in eight contended (wait, then
 * acquire after the holder's release), and a site stack of 8 frames on
 * every event.  A buffer of events is generated once and fed again and
 * again with fresh timestamps, so generation costs nothing measurable.
 * It also prints the peak resident set, which must not grow with N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analyzer.h"
#include "builder.h"

#define BUF_EVENTS                                                             \
    (1u << 14) /* small: the reader hands one event at a time, in cache */
#define THREADS 4
#define LOCKS 16

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: the machine may be shared, wall time lies. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Anonymous memory now (heap: what the analyzer holds), in KB; the peak
 * RSS also counts the trace files the reader maps. */
static long anon_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static uint64_t stacks[THREADS * 4][8];

static void put(struct trace_event *v, size_t *n, uint32_t t, uint32_t type,
                uint64_t obj, uint32_t arg, uint32_t site_k)
{
    struct trace_event *e = &v[(*n)++];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->arg = arg;
    e->pid = 100;
    e->tid = 1000 + t;
    e->proc = 0;
    e->thread = t;
    e->obj = obj;
    uint32_t s = t * 4 + site_k;
    e->site = stacks[s][0];
    e->site_stack = stacks[s];
    e->site_depth = 8;
}

/* One buffer of events; every lock is free again at its end. */
static size_t build(struct trace_event *v, size_t cap)
{
    size_t n = 0;
    uint64_t x = 88172645463325252ull;
    while (n + 8 <= cap) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t t = (uint32_t)(x % THREADS);
        uint64_t m = 0x10000 + 64 * ((x >> 8) % LOCKS);
        if (((x >> 20) & 7) == 0) {
            uint32_t u = (t + 1) % THREADS;
            put(v, &n, t, TRACE_EV_MUTEX_ACQUIRE, m, TRACE_ACQ_LOCK, 0);
            put(v, &n, u, TRACE_EV_MUTEX_WAIT, m, 0, 1);
            put(v, &n, t, TRACE_EV_MUTEX_RELEASE, m, 0, 2);
            put(v, &n, u, TRACE_EV_MUTEX_ACQUIRE, m,
                TRACE_ACQ_LOCK | TRACE_ACQ_CONTENDED, 1);
            put(v, &n, u, TRACE_EV_MUTEX_RELEASE, m, 0, 3);
        } else {
            put(v, &n, t, TRACE_EV_MUTEX_ACQUIRE, m, TRACE_ACQ_LOCK, 0);
            put(v, &n, t, TRACE_EV_MUTEX_RELEASE, m, 0, 2);
        }
    }
    return n;
}

static int synthetic(uint64_t total)
{
    for (size_t s = 0; s < THREADS * 4; s++)
        for (size_t f = 0; f < 8; f++)
            stacks[s][f] = 0x400000 + s * 0x1000 + f * 0x10;
    struct trace_event *buf = calloc(BUF_EVENTS, sizeof *buf);
    if (!buf)
        return 1;
    size_t n = build(buf, BUF_EVENTS);
    struct analyzer *a = analyzer_new(NULL, NULL);
    analyzer_set_process(a, 0, 100, 1, -1);
    for (uint32_t t = 0; t < THREADS; t++)
        analyzer_set_thread(a, t, 0, 1000 + t, t);
    uint64_t fed = 0, ts = 1000;
    double t0 = now_s(), c0 = cpu_s();
    while (fed < total) {
        size_t k = n;
        if (total - fed < k)
            k = (size_t)(total - fed);
        for (size_t i = 0; i < k; i++) {
            buf[i].ts_ns = ts;
            ts += 7;
            analyzer_feed(a, &buf[i]);
        }
        fed += k;
    }
    double t1 = now_s(), c1 = cpu_s();
    struct analysis_result r;
    analyzer_finish(a, &r);
    double t2 = now_s();
    analyzer_free(a);
    printf("synthetic: %llu events, %.3f s CPU (%.3f s wall): %.1f M "
           "events/s per CPU second (finish %.3f s); %zu findings, %zu locks "
           "in contention; peak RSS %ld KB\n",
           (unsigned long long)fed, c1 - c0, t1 - t0, fed / (c1 - c0) / 1e6,
           t2 - t1, r.nfindings, r.ncontention, peak_rss_kb());
    int bad = r.nfindings != 0 || r.ncontention != LOCKS;
    if (bad)
        tb_dump(&r);
    analysis_result_free(&r);
    free(buf);
    return bad;
}

static int from_trace(const char *dir)
{
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "perf_analyzer: %s\n", err.msg);
        return 1;
    }
    struct trace_event ev;
    uint64_t n = 0;
    double c0 = cpu_s();
    while (trace_reader_next(r, &ev, &err) > 0)
        n++;
    double c1 = cpu_s();
    trace_reader_close(r);
    printf("reader alone: %llu events, %.3f s CPU: %.1f M events/s\n",
           (unsigned long long)n, c1 - c0, n / (c1 - c0) / 1e6);
    struct analysis_result res;
    struct analyzer_options o;
    analyzer_options_default(&o);
    r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "perf_analyzer: %s\n", err.msg);
        return 1;
    }
    struct analyzer *a = analyzer_new(&o, r);
    long anon_mid = 0;
    c0 = cpu_s();
    uint64_t k = 0;
    while (trace_reader_next(r, &ev, &err) > 0) {
        analyzer_feed(a, &ev);
        if (++k == n / 2)
            anon_mid = anon_kb();
    }
    analyzer_finish(a, &res);
    c1 = cpu_s();
    long anon_end = anon_kb();
    analyzer_free(a);
    trace_reader_close(r);
    int rc = 0;
    if (rc < 0) {
        fprintf(stderr, "perf_analyzer: %s\n", err.msg);
        return 1;
    }
    printf("reader + analyzer: %llu events, %.3f s CPU: %.1f M events/s; %zu "
           "findings; anonymous memory %ld KB half way, %ld KB at the end "
           "(peak RSS with the mapped trace %ld KB)\n",
           (unsigned long long)res.events, c1 - c0,
           res.events / (c1 - c0) / 1e6, res.nfindings, anon_mid, anon_end,
           peak_rss_kb());
    analysis_result_free(&res);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--trace") == 0)
        return from_trace(argv[2]);
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000ull;
    return synthetic(total);
}
