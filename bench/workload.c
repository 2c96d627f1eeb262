/* The overhead benchmark's workloads, run natively and under ctrace by
 * bench/overhead.c.  Each mode prints one line `name value` on stdout.
 *
 *   workload mix [THREADS ITERS]  THREADS threads (2), ITERS iterations
 *                                 each (2M): lock a random one of 16
 *                                 mutexes, ~20 floating-point multiplies
 *                                 inside, unlock.  Prints elapsed ns.
 *   workload mixstamp [THREADS ITERS]
 *                                 the mix, natively, with the two clock
 *                                 reads a recorder needs per iteration
 *                                 (RDTSCP after the lock, RDTSC before
 *                                 the unlock, as the shim stamps them)
 *                                 and nothing recorded: the floor of any
 *                                 recorder that timestamps each event.
 *   workload loop [ITERS]         one thread, one mutex, uncontended
 *                                 lock/unlock ITERS times (10M).  Prints
 *                                 ns per lock+unlock pair.
 *   workload rdtsc [ITERS]        cost of one rdtsc in ns (the reference
 *                                 the shim's per-event cost is held to).
 */
#include <pthread.h>
#include <stdbool.h>
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

static inline uint64_t stamp_acquire(void)
{
    uint32_t lo = 0, hi = 0;
#if defined(__x86_64__)
    __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi)::"rcx", "memory");
#endif
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t stamp_release(void)
{
    uint32_t lo = 0, hi = 0;
#if defined(__x86_64__)
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
#endif
    return ((uint64_t)hi << 32) | lo;
}

static volatile uint64_t stamp_sink;

/* One mix thread; `stamp` (a constant at each call) adds the clock reads. */
static inline __attribute__((always_inline)) void mix_loop(void *arg,
                                                           bool stamp)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    uint64_t stamps = 0;
    pthread_barrier_wait(&start_line);
    for (long i = 0; i < mix_iters; i++) {
        x ^= x << 13; /* xorshift: a cheap random lock choice */
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x % NLOCKS);
        pthread_mutex_lock(&locks[k]);
        if (stamp)
            stamps += stamp_acquire();
        double v = sink[k] + 1.0;
        for (int j = 0; j < 20; j++)
            v *= 1.0000001;
        sink[k] = v;
        if (stamp)
            stamps += stamp_release();
        pthread_mutex_unlock(&locks[k]);
    }
    if (stamp)
        stamp_sink = stamps;
}

static void *mix_thread(void *arg)
{
    mix_loop(arg, false);
    return NULL;
}

static void *mix_stamp_thread(void *arg)
{
    mix_loop(arg, true);
    return NULL;
}

static int run_mix(int nthreads, void *(*thread_main)(void *))
{
    pthread_t t[64];
    if (nthreads < 1 || nthreads > 64)
        return 2;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    pthread_barrier_init(&start_line, NULL, (unsigned)nthreads + 1);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)(i + 1));
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
    printf("rdtsc_ns %.3f\n",
           (double)(t1 - t0) / (double)iters + (double)(acc & 0));
#else
    (void)iters;
    printf("rdtsc_ns 0\n");
#endif
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "mix";
    bool stamped = strcmp(mode, "mixstamp") == 0;
    if (strcmp(mode, "mix") == 0 || stamped) {
        int threads = argc > 2 ? atoi(argv[2]) : 2;
        if (argc > 3)
            mix_iters = atol(argv[3]);
        return run_mix(threads, stamped ? mix_stamp_thread : mix_thread);
    }
    if (strcmp(mode, "loop") == 0)
        return run_loop(argc > 2 ? atol(argv[2]) : 10000000);
    if (strcmp(mode, "rdtsc") == 0)
        return run_rdtsc(argc > 2 ? atol(argv[2]) : 10000000);
    fprintf(stderr, "usage: workload mix|mixstamp|loop|rdtsc [N...]\n");
    return 2;
}
