/* barrier_misuse: a barrier for 2 threads, waited on by 3 "stage"
 * threads.  Two of them pass together; the third starts a new round that
 * nobody completes, and waits for ever.  main joins the stages, so every
 * thread ends up blocked: ctrace reports the hang while the program runs,
 * ends it, and the report of the trace also names the barrier misuse.
 * With "fixed" the barrier counts 3. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NSTAGES 3

static pthread_barrier_t stage_barrier;

static void *stage_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "stage");
    pthread_barrier_wait(&stage_barrier); /* LINE:wait */
    return NULL;
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    pthread_barrier_init(&stage_barrier, NULL,
                         fixed ? NSTAGES : 2); /* LINE:init */
    pthread_t t[NSTAGES];
    for (int i = 0; i < NSTAGES; i++)
        pthread_create(&t[i], NULL, stage_thread, NULL);
    for (int i = 0; i < NSTAGES; i++)
        pthread_join(t[i], NULL); /* LINE:join */
    pthread_barrier_destroy(&stage_barrier);
    printf("stages done\n");
    return 0;
}
