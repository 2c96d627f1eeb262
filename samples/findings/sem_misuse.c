/* sem_misuse: main posts jobs_sem, which nobody ever initialised with
 * sem_init (a zeroed sem_t happens to work with glibc; POSIX leaves it
 * undefined).  With "fixed" main initialises it first. */
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static sem_t jobs_sem;

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    if (fixed)
        sem_init(&jobs_sem, 0, 0);
    sem_post(&jobs_sem); /* LINE:post */
    int rc = sem_trywait(&jobs_sem);
    printf("trywait %d\n", rc);
    if (fixed)
        sem_destroy(&jobs_sem);
    return 0;
}
