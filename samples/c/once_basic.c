/* Sample: pthread_once.  8 threads call pthread_once three times each on
 * one once control, and main once more after joining them; the init
 * routine itself calls pthread_once on a second control (nested).
 * Bug-free: each routine runs exactly once.
 *
 * Known counts: on `once`: once-enter 25, once-run 1, once-done 25 (one
 * with arg 1); on `inner`: 1, 1, 1 (arg 1). */
#include <pthread.h>
#include <stdio.h>

#define THREADS 8
#define CALLS 3

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_once_t inner = PTHREAD_ONCE_INIT;
static int init_runs, inner_runs;
static int table[16];

static void inner_init(void) { inner_runs++; }

static void init_table(void)
{
    init_runs++;
    pthread_once(&inner, inner_init);
    for (int i = 0; i < 16; i++)
        table[i] = i * i;
}

static void *worker(void *arg)
{
    long sum = 0;
    (void)arg;
    for (int c = 0; c < CALLS; c++) {
        pthread_once(&once, init_table);
        sum += table[15];
    }
    return (void *)sum;
}

int main(void)
{
    pthread_t t[THREADS];
    long sum = 0;
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    pthread_once(&once, init_table);
    printf("init ran %d time(s), inner %d, sum %ld (expected %d)\n", init_runs,
           inner_runs, sum, THREADS * CALLS * 225);
    return init_runs == 1 && inner_runs == 1 && sum == THREADS * CALLS * 225
               ? 0
               : 1;
}
