/* A forked child runs two threads that race on a global: the race is
 * reported in the child process (the parent's copy is untouched).
 * Twin of fork_ok.c. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "order.h"

static int generation;
static struct order turn;

static void *first(void *arg)
{
    (void)arg;
    generation = 5; /* RACE */
    order_post(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    order_wait(&turn);
    generation = 6; /* RACE */
    return NULL;
}

int main(void)
{
    generation = 1;
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t a, b;
        order_init(&turn);
        pthread_create(&a, NULL, first, NULL);
        pthread_create(&b, NULL, second, NULL);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        _exit(0);
    }
    generation = 3;
    int status = 0;
    waitpid(pid, &status, 0);
    printf("generation = %d, child status %d\n", generation,
           WEXITSTATUS(status));
    return 0;
}
