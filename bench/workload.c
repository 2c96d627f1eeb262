/* The overhead benchmark's workloads, run natively and under ctrace by
 * bench/overhead.c.  Each mode prints one line `name value` on stdout.
 *
 *   workload mix [THREADS ITERS]  THREADS threads (2), ITERS iterations
 *                                 each (2M): lock a random one of 16
 *                                 mutexes, ~20 floating-point multiplies
 *                                 inside, unlock.  Prints elapsed ns.
 *   workload loop [ITERS]         one thread, one mutex, uncontended
 *                                 lock/unlock ITERS times (10M).  Prints
 *                                 ns per lock+unlock pair.
 *   workload rdtsc [ITERS]        cost of one rdtsc in ns (the reference
 *                                 the shim's per-event cost is held to).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NLOCKS 16

static pthread_mutex_t locks[NLOCKS];
static volatile double sink[NLOCKS];
static long mix_iters = 2000000;
static pthread_barrier_t start_line;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *mix_thread(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    pthread_barrier_wait(&start_line);
    for (long i = 0; i < mix_iters; i++) {
        x ^= x << 13; /* xorshift: a cheap random lock choice */
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x % NLOCKS);
        pthread_mutex_lock(&locks[k]);
        double v = sink[k] + 1.0;
        for (int j = 0; j < 20; j++)
            v *= 1.0000001;
        sink[k] = v;
        pthread_mutex_unlock(&locks[k]);
    }
    return NULL;
}

static int run_mix(int nthreads)
{
    pthread_t t[64];
    if (nthreads < 1 || nthreads > 64)
        return 2;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    pthread_barrier_init(&start_line, NULL, (unsigned)nthreads + 1);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, mix_thread, (void *)(uintptr_t)(i + 1));
    pthread_barrier_wait(&start_line);
    uint64_t t0 = now_ns();
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    printf("mix_ns %llu\n", (unsigned long long)(now_ns() - t0));
    return 0;
}

static int run_loop(long iters)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    uint64_t t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
    printf("loop_ns_per_pair %.3f\n", (double)(now_ns() - t0) / (double)iters);
    return 0;
}

static int run_rdtsc(long iters)
{
#if defined(__x86_64__)
    uint64_t acc = 0;
    uint64_t t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        acc += lo;
    }
    uint64_t t1 = now_ns();
    printf("rdtsc_ns %.3f\n", (double)(t1 - t0) / (double)iters + (double)(acc & 0) );
#else
    (void)iters;
    printf("rdtsc_ns 0\n");
#endif
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "mix";
    if (strcmp(mode, "mix") == 0) {
        int threads = argc > 2 ? atoi(argv[2]) : 2;
        if (argc > 3)
            mix_iters = atol(argv[3]);
        return run_mix(threads);
    }
    if (strcmp(mode, "loop") == 0)
        return run_loop(argc > 2 ? atol(argv[2]) : 10000000);
    if (strcmp(mode, "rdtsc") == 0)
        return run_rdtsc(argc > 2 ? atol(argv[2]) : 10000000);
    fprintf(stderr, "usage: workload mix|loop|rdtsc [N...]\n");
    return 2;
}
