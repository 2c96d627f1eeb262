/* Two threads count with relaxed atomic fetch-add, and a seq_cst
 * exchange swaps a token: atomics never race with atomics, and the join
 * orders the final plain read.  Twin: atomic_mixed_race.c. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_long hits;
static atomic_int token;

static void *worker(void *arg)
{
    for (int i = 0; i < 1000; i++)
        atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    atomic_exchange(&token, (int)(long)arg);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, worker, (void *)1);
    pthread_create(&b, NULL, worker, (void *)2);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("hits = %ld, token = %d\n", *(long *)&hits, *(int *)&token);
    return 0;
}
