/* outside_wake: one thread waits on a semaphore that only something
 * outside its threads can post.  Correct programs wait like this; ctrace
 * must warn at most, never kill them.
 *
 *   alarm SECONDS  a SIGALRM handler posts the semaphore; alarm(SECONDS)
 *                  sends it.  Prints "woken by SIGALRM", exits 0.
 *   named NAME     waits on named semaphore NAME (created here, value 0)
 *                  until another program posts it.  Prints "posted from
 *                  outside", unlinks NAME, exits 0.
 *   stuck          the bug: a private semaphore, no handler, no timer:
 *                  nothing can ever post it, and it hangs (ctrace kills
 *                  it as a hang). */
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t wake;

static void on_alarm(int sig)
{
    (void)sig;
    sem_post(&wake); /* async-signal-safe */
}

static int wait_for_alarm(unsigned seconds)
{
    sem_init(&wake, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
    while (sem_wait(&wake) != 0)
        ; /* EINTR: the handler ran before the post was seen */
    puts("woken by SIGALRM");
    return 0;
}

static int wait_named(const char *name)
{
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (s == SEM_FAILED) {
        perror("sem_open");
        return 1;
    }
    while (sem_wait(s) != 0)
        ;
    puts("posted from outside");
    sem_close(s);
    sem_unlink(name);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && strcmp(argv[1], "alarm") == 0)
        return wait_for_alarm((unsigned)atoi(argv[2]));
    if (argc > 2 && strcmp(argv[1], "named") == 0)
        return wait_named(argv[2]);
    if (argc > 1 && strcmp(argv[1], "stuck") == 0) {
        sem_init(&wake, 0, 0);
        sem_wait(&wake); /* BUG: nothing posts it */
        puts("never");
        return 0;
    }
    fprintf(stderr, "usage: outside_wake alarm SECONDS | named NAME | stuck\n");
    return 2;
}
