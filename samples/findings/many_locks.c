/* many_locks: a lock-order inversion whose two halves are 20,000 live
 * locks apart (ThreadSanitizer forgets its lock graph after 4,096).
 * Thread "early" takes pool[0] then pool[1]; main then initialises and
 * uses 20,000 more heap locks, each taken while holding the one before
 * (a long chain of edges, no cycle); thread "late" takes pool[1] then
 * pool[0].  The locks are named by their creation site.  With "fixed"
 * "late" takes them in "early"'s order: no cycle. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPOOL 2
#define NCHAIN 20000

static pthread_mutex_t *pool, *chain;
static int fixed;
static long work;

static void take_pair(int first, int second)
{
    pthread_mutex_lock(&pool[first]);  /* LINE:pair_first */
    pthread_mutex_lock(&pool[second]); /* LINE:pair_second */
    work++;
    pthread_mutex_unlock(&pool[second]);
    pthread_mutex_unlock(&pool[first]);
}

static void *early_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "early");
    take_pair(0, 1);
    return NULL;
}

static void *late_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "late");
    if (fixed)
        take_pair(0, 1);
    else
        take_pair(1, 0);
    return NULL;
}

/* 20,000 live locks, each taken while holding the previous one. */
static void walk_chain(void)
{
    chain = calloc(NCHAIN, sizeof *chain);
    for (int i = 0; i < NCHAIN; i++)
        pthread_mutex_init(&chain[i], NULL); /* LINE:chain_init */
    pthread_mutex_lock(&chain[0]);
    for (int i = 1; i < NCHAIN; i++) {
        pthread_mutex_lock(&chain[i]);
        pthread_mutex_unlock(&chain[i - 1]);
    }
    pthread_mutex_unlock(&chain[NCHAIN - 1]);
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pool = calloc(NPOOL, sizeof *pool);
    for (int i = 0; i < NPOOL; i++)
        pthread_mutex_init(&pool[i], NULL); /* LINE:pool_init */
    pthread_t t;
    pthread_create(&t, NULL, early_thread, NULL);
    pthread_join(t, NULL);
    walk_chain();
    pthread_create(&t, NULL, late_thread, NULL);
    pthread_join(t, NULL);
    printf("work %ld, %d live locks\n", work, NPOOL + NCHAIN);
    return 0;
}
