/* What the runtime records, measured: one thread scans an array ten
 * times with no synchronization in between (one epoch: a few merged
 * records), another bumps a counter under a mutex a hundred times (each
 * unlock ends an epoch: the accesses are recorded again every time),
 * and a race deep in a call chain shows the whole shadow stack. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define N 4096

static int table[N];
static long counter;
static long deep_value;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int fds[2];

static void *scanner(void *arg)
{
    long sum = 0;
    for (int pass = 0; pass < 10; pass++)
        for (int i = 0; i < N; i++)
            sum += table[i];
    *(long *)arg = sum;
    return NULL;
}

static void *locker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

__attribute__((noinline)) void level5(long v) { deep_value = v; }
__attribute__((noinline)) void level4(long v) { level5(v + 1); }
__attribute__((noinline)) void level3(long v) { level4(v + 1); }
__attribute__((noinline)) void level2(long v) { level3(v + 1); }
__attribute__((noinline)) void level1(long v) { level2(v + 1); }

static void *deep(void *arg)
{
    char ch = 0;
    if (arg && read(fds[0], &ch, 1) != 1)
        return NULL;
    level1(arg ? 10 : 20);
    if (!arg && write(fds[1], &ch, 1) != 1)
        return NULL;
    return NULL;
}

int main(void)
{
    pthread_t s, l, d1, d2;
    long sum = 0;
    if (pipe(fds) != 0)
        return 1;
    for (int i = 0; i < N; i++)
        table[i] = i;
    pthread_create(&s, NULL, scanner, &sum);
    pthread_join(s, NULL);
    pthread_create(&l, NULL, locker, NULL);
    pthread_join(l, NULL);
    pthread_create(&d1, NULL, deep, NULL);
    pthread_create(&d2, NULL, deep, (void *)1);
    pthread_join(d1, NULL);
    pthread_join(d2, NULL);
    printf("sum %ld counter %ld deep %ld\n", sum, counter, deep_value);
    return 0;
}
