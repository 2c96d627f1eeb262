/* The workload of bench/races: a parallel histogram with one lock per
 * bucket, memory-heavy (every item is read from a large input and counted
 * in a per-thread table; each block's counts are then merged into the
 * shared table bucket by bucket, each under its own mutex).  Built three
 * ways by bench/meson.build: plain, with `ctrace cc`, and with GCC's
 * ThreadSanitizer.
 *
 *   races_workload [THREADS [ITEMS [BLOCK]]]   (defaults 2, 32M, 64K)
 *
 * Prints the histogram's checksum and the time of the parallel part:
 * "elapsed_ns N". */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BUCKETS 256

static uint8_t *input;
static uint64_t histogram[BUCKETS];
static pthread_mutex_t bucket_lock[BUCKETS];
static size_t block_items;

struct slice {
    size_t lo, hi;
    pthread_t thread;
};

static void merge(uint64_t *local)
{
    for (int b = 0; b < BUCKETS; b++) {
        if (!local[b])
            continue;
        pthread_mutex_lock(&bucket_lock[b]);
        histogram[b] += local[b];
        pthread_mutex_unlock(&bucket_lock[b]);
        local[b] = 0;
    }
}

static void *count(void *arg)
{
    const struct slice *s = arg;
    /* the thread's own table, on the heap: its accesses are instrumented
     * (a local array that never escapes is not) */
    uint64_t *local = calloc(BUCKETS, sizeof *local);
    if (!local)
        abort();
    for (size_t at = s->lo; at < s->hi; at += block_items) {
        size_t end = at + block_items < s->hi ? at + block_items : s->hi;
        for (size_t i = at; i < end; i++)
            local[input[i]]++;
        merge(local);
    }
    free(local);
    return NULL;
}

/* Fill the input with xorshift64 numbers, a word at a time. */
static void fill(size_t items)
{
    uint64_t x = 88172645463325252ull, *w = (uint64_t *)input;
    for (size_t i = 0; i < items / 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w[i] = x;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    size_t items = argc > 2 ? strtoull(argv[2], NULL, 0) : 32u << 20;
    block_items = argc > 3 ? strtoull(argv[3], NULL, 0) : 64u << 10;
    if (threads < 1 || threads > 64 || items % 8 || !block_items)
        return 2;
    input = malloc(items);
    if (!input)
        return 1;
    fill(items);
    for (int b = 0; b < BUCKETS; b++)
        pthread_mutex_init(&bucket_lock[b], NULL);
    struct slice s[64];
    uint64_t t0 = now_ns();
    for (int t = 0; t < threads; t++) {
        s[t].lo = items / (size_t)threads * (size_t)t;
        s[t].hi = t == threads - 1 ? items
                                   : items / (size_t)threads * (size_t)(t + 1);
        pthread_create(&s[t].thread, NULL, count, &s[t]);
    }
    for (int t = 0; t < threads; t++)
        pthread_join(s[t].thread, NULL);
    uint64_t t1 = now_ns();
    uint64_t total = 0, check = 0;
    for (int b = 0; b < BUCKETS; b++) {
        total += histogram[b];
        check = check * 31 + histogram[b];
    }
    printf("items %llu checksum %llx\nelapsed_ns %llu\n",
           (unsigned long long)total, (unsigned long long)check,
           (unsigned long long)(t1 - t0));
    free(input);
    return total == items ? 0 : 1;
}
