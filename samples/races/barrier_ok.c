/* Each thread writes its own slot, then all meet at a barrier, then each
 * reads the other's slot: the barrier orders the writes before the
 * reads.  Twin of barrier_race.c. */
#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t barrier;
static int phase1[2];
static int seen[2];

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    phase1[id] = id + 1;
    pthread_barrier_wait(&barrier);
    seen[id] = phase1[1 - id];
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_barrier_init(&barrier, NULL, 2);
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    printf("seen %d %d\n", seen[0], seen[1]);
    return 0;
}
