/* bench/threads: analysis cost against the number of threads a trace has
 * seen (not a test, it prints figures).
 *
 *   threads [--ctrace PATH] [N...]
 *                           create/join loops of N threads (default 10000
 *                           40000 160000), recorded and reported with the
 *                           ctrace at PATH (default ../cli/ctrace: the
 *                           option measures another build, e.g. before a
 *                           change)
 *   threads --loop N        the workload itself: create a thread, join
 *                           it, N times (each thread takes and releases
 *                           one mutex, so its exit carries some clock)
 *
 * For each N: run the loop natively, then under `ctrace run --no-report
 * -o DIR` (record time and its ratio to native), then `ctrace report DIR`
 * (report time, time per thread and the report's peak RSS from wait4's
 * ru_maxrss).  Last, the per-thread report time of the largest N over the
 * smallest's: 1.0 is linear growth, N_big / N_small is quadratic.
 *
 * The binaries are found next to this one in the build tree
 * (../cli/ctrace and this program); traces go to $TMPDIR and are
 * removed. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchlib.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *loop_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static int loop_run(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, loop_thread, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
        pthread_join(t, NULL);
    }
    printf("threads %ld\n", counter);
    return 0;
}

struct row {
    long n;
    double native_ms, record_ms, report_ms;
    long report_rss_kb;
};

static void measure(const char *self, const char *ctrace, struct row *r)
{
    static char out[1 << 16];
    char nbuf[32], dir[PATH_MAX];
    snprintf(nbuf, sizeof nbuf, "%ld", r->n);
    char *nat[] = {(char *)self, "--loop", nbuf, NULL};
    r->native_ms = bench_run("threads", nat, out, sizeof out, NULL) / 1e6;
    bench_tmpdir("threads", dir, sizeof dir);
    char *rec[] = {(char *)ctrace, "run",        "--no-report", "-o", dir,
                   "--",           (char *)self, "--loop",      nbuf, NULL};
    r->record_ms = bench_run("threads", rec, out, sizeof out, NULL) / 1e6;
    struct rusage ru;
    char *rep[] = {(char *)ctrace, "report", dir, NULL};
    r->report_ms = bench_run("threads", rep, out, sizeof out, &ru) / 1e6;
    r->report_rss_kb = ru.ru_maxrss;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "threads: cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--loop") == 0)
        return loop_run(atol(argv[2]));
    char dir[PATH_MAX], self[PATH_MAX + 16], ctrace[PATH_MAX + 16];
    bench_self_dir("threads", dir, sizeof dir);
    snprintf(self, sizeof self, "%s/threads", dir);
    snprintf(ctrace, sizeof ctrace, "%s/../cli/ctrace", dir);
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--ctrace") == 0) {
        snprintf(ctrace, sizeof ctrace, "%s", argv[2]);
        first = 3;
    }
    long def[] = {10000, 40000, 160000};
    int nn = argc > first ? argc - first : 3;
    struct row *rows = calloc((size_t)nn, sizeof *rows);
    if (!rows)
        return 2;
    for (int i = 0; i < nn; i++)
        rows[i].n = argc > first ? atol(argv[first + i]) : def[i];
    printf("%8s %10s %10s %7s %10s %12s %10s\n", "threads", "native ms",
           "record ms", "ratio", "report ms", "report us/t", "report MB");
    for (int i = 0; i < nn; i++) {
        struct row *r = &rows[i];
        measure(self, ctrace, r);
        printf("%8ld %10.1f %10.1f %6.2fx %10.1f %12.2f %10.1f\n", r->n,
               r->native_ms, r->record_ms, r->record_ms / r->native_ms,
               r->report_ms, r->report_ms * 1e3 / (double)r->n,
               (double)r->report_rss_kb / 1024.0);
        fflush(stdout);
    }
    if (nn > 1) {
        const struct row *s = &rows[0], *b = &rows[nn - 1];
        printf("report time per thread, %ld over %ld: %.2fx (1.0 = linear, "
               "%.0f = quadratic)\n",
               b->n, s->n,
               (b->report_ms / (double)b->n) / (s->report_ms / (double)s->n),
               (double)b->n / (double)s->n);
    }
    free(rows);
    return 0;
}
