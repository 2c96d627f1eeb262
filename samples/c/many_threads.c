/* Sample: 1000 threads, created and joined in 10 waves of 100; each adds
 * its number to a total.  Every one of them must be in the trace
 * (thread-create, thread-start, thread-exit, thread-join).  Bug-free. */
#include <pthread.h>
#include <stdio.h>

#define WAVES 10
#define PER_WAVE 100

static long total;

static void *worker(void *arg)
{
    __atomic_add_fetch(&total, (long)arg, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    pthread_t t[PER_WAVE];
    int created = 0;
    for (int w = 0; w < WAVES; w++) {
        int n = 0;
        for (; n < PER_WAVE; n++)
            if (pthread_create(&t[n], NULL, worker,
                               (void *)(long)(w * PER_WAVE + n + 1)) != 0)
                break;
        created += n;
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
    }
    long n = WAVES * PER_WAVE;
    printf("threads %d (expected %ld), total %ld (expected %ld)\n", created, n,
           total, n * (n + 1) / 2);
    return created == n && total == n * (n + 1) / 2 ? 0 : 1;
}
