/* lock_loop: one thread locks and unlocks one mutex N times (argv[1],
 * default 100000) while a second does the same on another, then prints
 * the counters.  Deterministic output, many events: the disk-full test
 * runs it with a trace directory far too small for its events. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t locks[2] = {PTHREAD_MUTEX_INITIALIZER,
                                   PTHREAD_MUTEX_INITIALIZER};
static long counters[2];
static long iterations = 100000;

static void *spin(void *arg)
{
    long k = (long)arg;
    for (long i = 0; i < iterations; i++) {
        pthread_mutex_lock(&locks[k]);
        counters[k]++;
        pthread_mutex_unlock(&locks[k]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        iterations = atol(argv[1]);
    pthread_t t;
    pthread_create(&t, NULL, spin, (void *)1L);
    spin((void *)0L);
    pthread_join(t, NULL);
    printf("counters %ld %ld\n", counters[0], counters[1]);
    return counters[0] == iterations && counters[1] == iterations ? 0 : 1;
}
