/* bench/overhead: what recording costs, measured against a baseline taken
 * in the same run (the recorder's benchmark; not a test, it prints figures).
 *
 *   overhead [--reps N] [--keep DIR]
 *
 * 1. The mix workload (2 threads x 2M iterations, a random one of 16
 *    mutexes, ~20 multiplies inside) natively and under `ctrace run
 *    --no-report`: median wall time of each, and the ratio.  Also the
 *    mix run natively with only the two clock reads per iteration that
 *    the shim makes (fenced TSC after the lock, TSC before the unlock)
 *    and nothing recorded: the floor for any recorder that timestamps
 *    every event this way.
 * 2. One thread locking and unlocking one mutex, natively and traced: the
 *    added ns per recorded event, next to the cost of one rdtsc measured
 *    by the same workload binary in the same run.
 * 3. Bytes per event: the traced mix run's trace size over its events
 *    (counted through the trace reader).
 *
 * The binaries are found next to this one in the build tree
 * (../cli/ctrace and ./workload). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "reader.h"

struct paths {
    char ctrace[PATH_MAX];
    char workload[PATH_MAX];
    char tmp[PATH_MAX];
};

static void paths_find(struct paths *p)
{
    char self[PATH_MAX - 64];
    bench_self_dir("overhead", self, sizeof self);
    snprintf(p->ctrace, sizeof p->ctrace, "%s/../cli/ctrace", self);
    snprintf(p->workload, sizeof p->workload, "%s/workload", self);
    bench_tmpdir("overhead", p->tmp, sizeof p->tmp);
}

/* Run argv, return the value printed after `key` on its stdout. */
static double run_value(char *const argv[], const char *key)
{
    char out[4096];
    bench_run("overhead", argv, out, sizeof out, NULL);
    return bench_value("overhead", out, key);
}

/* Run the workload's `mode` natively and traced, and `floor_mode`
 * (if not NULL) natively, `reps` times each (alternating, so load changes
 * hit all alike); medians out. */
static void measure(const struct paths *p, const char *mode,
                    const char *floor_mode, const char *key, int reps,
                    const char *trace_dir, double *native, double *traced,
                    double *floor)
{
    double nv[64], tv[64], fv[64];
    for (int i = 0; i < reps; i++) {
        char *nat[] = {(char *)p->workload, (char *)mode, NULL};
        nv[i] = run_value(nat, key);
        char *tr[] = {(char *)p->ctrace,
                      "run",
                      "--no-report",
                      "-o",
                      (char *)trace_dir,
                      "--",
                      (char *)p->workload,
                      (char *)mode,
                      NULL};
        tv[i] = run_value(tr, key);
        if (floor_mode) {
            char *fl[] = {(char *)p->workload, (char *)floor_mode, NULL};
            fv[i] = run_value(fl, key);
        }
    }
    *native = bench_median(nv, reps);
    *traced = bench_median(tv, reps);
    if (floor_mode)
        *floor = bench_median(fv, reps);
}

static uint64_t count_events(const char *dir)
{
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "overhead: %s\n", err.msg);
        exit(1);
    }
    struct trace_event ev;
    uint64_t n = 0;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) == 1)
        n++;
    if (rc < 0)
        fprintf(stderr, "overhead: %s\n", err.msg);
    trace_reader_close(r);
    return n;
}

int main(int argc, char **argv)
{
    int reps = 5;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            keep = argv[++i];
        else {
            fprintf(stderr, "usage: overhead [--reps N] [--keep DIR]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 64)
        reps = 5;
    struct paths p;
    paths_find(&p);
    char trace_dir[PATH_MAX + 32];
    snprintf(trace_dir, sizeof trace_dir, "%s", keep ? keep : p.tmp);
    if (!keep)
        strcat(trace_dir, "/trace");

    double rdtsc_v[64];
    for (int i = 0; i < reps; i++) {
        char *a[] = {p.workload, "rdtsc", NULL};
        rdtsc_v[i] = run_value(a, "rdtsc_ns ");
    }
    double rdtsc_ns = bench_median(rdtsc_v, reps);

    double loop_nat, loop_tr;
    measure(&p, "loop", NULL, "loop_ns_per_pair ", reps, trace_dir, &loop_nat,
            &loop_tr, NULL);
    double per_event = (loop_tr - loop_nat) / 2.0; /* lock + unlock */

    double mix_nat, mix_tr, mix_stamped;
    measure(&p, "mix", "mixstamp", "mix_ns ", reps, trace_dir, &mix_nat,
            &mix_tr, &mix_stamped);
    uint64_t bytes = bench_trace_bytes(trace_dir);
    uint64_t events = count_events(trace_dir);

    printf("ctrace overhead benchmark (%d runs each, medians; baseline "
           "measured in this run)\n",
           reps);
    printf("  mix workload (2 threads x 2M, 16 mutexes): native %.1f ms, "
           "traced %.1f ms, "
           "ratio %.2fx (target <= 1.25x)\n",
           mix_nat / 1e6, mix_tr / 1e6, mix_tr / mix_nat);
    printf("    natively with only the shim's two clock reads per iteration, "
           "nothing recorded: %.1f ms, ratio %.2fx\n",
           mix_stamped / 1e6, mix_stamped / mix_nat);
    printf(
        "  uncontended lock/unlock: native %.2f ns/pair, traced %.2f ns/pair\n",
        loop_nat, loop_tr);
    printf(
        "  cost per recorded event: %.2f ns; one rdtsc: %.2f ns; ratio %.2fx "
        "(target <= 2x)\n",
        per_event, rdtsc_ns, per_event / rdtsc_ns);
    printf("  trace of the mix run: %llu events, %llu bytes on disk, %.2f "
           "bytes/event "
           "(target <= 16)\n",
           (unsigned long long)events, (unsigned long long)bytes,
           events ? (double)bytes / (double)events : 0.0);
    if (!keep) {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", p.tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "overhead: could not remove %s\n", p.tmp);
    }
    return 0;
}
