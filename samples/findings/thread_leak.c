/* thread_leak: main starts a "flusher" thread, which finishes, and never
 * joins nor detaches it: its stack and result leak.  main waits for the
 * flusher to have finished (a pipe written by a thread-specific-data
 * destructor, which runs after the start routine has returned) so the
 * thread has really ended before the program exits.  With "fixed" main
 * joins it. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int done_pipe[2];
static pthread_key_t done_key;

static void flusher_done(void *unused)
{
    (void)unused;
    char c = 1;
    if (write(done_pipe[1], &c, 1) != 1)
        _exit(3);
}

static void *flusher_thread(void *arg)
{ /* LINE:routine (where the report shows a start routine) */
    (void)arg;
    pthread_setname_np(pthread_self(), "flusher");
    pthread_setspecific(done_key, &done_key);
    return NULL;
}

int main(int argc, char **argv)
{
    int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    if (pipe(done_pipe) != 0 || pthread_key_create(&done_key, flusher_done))
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, flusher_thread, NULL); /* LINE:create */
    char c;
    if (read(done_pipe[0], &c, 1) != 1)
        return 2;
    if (fixed)
        pthread_join(t, NULL);
    printf("flushed\n");
    return 0;
}
