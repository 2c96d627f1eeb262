/* After fork, parent and child each write "the same" global at the same
 * time: two address spaces, no shared memory, no race.  Twin:
 * fork_race.c. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int generation;

static void *parent_worker(void *arg)
{
    (void)arg;
    generation += 10;
    return NULL;
}

int main(void)
{
    generation = 1;
    pid_t pid = fork();
    if (pid == 0) {
        generation = 2;
        _exit(generation == 2 ? 0 : 1);
    }
    pthread_t t;
    pthread_create(&t, NULL, parent_worker, NULL);
    pthread_join(t, NULL);
    generation += 3;
    int status = 0;
    waitpid(pid, &status, 0);
    printf("generation = %d, child status %d\n", generation,
           WEXITSTATUS(status));
    return 0;
}
