/* Test program for `ctrace attach`: three threads in a ring, thread i
 * holds ring_lock[i] and then waits for ring_lock[(i+1) % 3]; a barrier
 * makes sure every first lock is held before anyone asks for its second,
 * so the ring always deadlocks.  main joins them. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define RING 3

static pthread_mutex_t ring_lock[RING] = {PTHREAD_MUTEX_INITIALIZER,
                                          PTHREAD_MUTEX_INITIALIZER,
                                          PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t all_hold;

static void *ring_member(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    pthread_mutex_lock(&ring_lock[i]);
    pthread_barrier_wait(&all_hold);
    pthread_mutex_lock(&ring_lock[(i + 1) % RING]); /* deadlocks */
    return NULL;
}

int main(void)
{
    pthread_t t[RING];
    pthread_barrier_init(&all_hold, NULL, RING);
    for (uintptr_t i = 0; i < RING; i++)
        pthread_create(&t[i], NULL, ring_member, (void *)i);
    for (int i = 0; i < RING; i++)
        pthread_join(t[i], NULL);
    puts("unreachable");
    return 0;
}
