/* Sample: a pthread barrier.  4 threads go through 10 rounds of two
 * barrier waits (count 4): after the first, the one thread that gets
 * PTHREAD_BARRIER_SERIAL_THREAD adds the round's contributions; the
 * second keeps anyone from writing the next round's meanwhile.
 * Bug-free.
 *
 * Known counts: barrier-init 1 (count 4), barrier-wait 80, barrier-leave
 * 80 of which 20 with arg 1 (one per barrier generation), barrier-destroy
 * 1. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 4
#define ROUNDS 10

static pthread_barrier_t barrier;
static int contribution[THREADS];
static long total;
static int serial_count;

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    for (int r = 1; r <= ROUNDS; r++) {
        contribution[id] = r;
        if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
            for (int i = 0; i < THREADS; i++)
                total += contribution[i];
            serial_count++;
        }
        /* Nobody writes a contribution before the sum is taken. */
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    long want = (long)THREADS * ROUNDS * (ROUNDS + 1) / 2;
    printf("total %ld (expected %ld), serial threads %d (expected %d)\n", total,
           want, serial_count, ROUNDS);
    return total == want && serial_count == ROUNDS ? 0 : 1;
}
