/* Sample: a signal handler that takes a mutex.  Bug-free as written: the
 * handler's lock is never taken outside handlers, and each signal is
 * raised where the interrupted thread holds no lock.  Three deliveries,
 * all deterministic:
 *   1. raise() in main;
 *   2. pthread_kill() of a worker by itself;
 *   3. pthread_kill() of the worker by main while the worker sits in
 *      read() on a pipe (SA_RESTART resumes the read).
 * Prints "sig_lock ADDR" and "handled N"; exits 0 when N == 3. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t sig_handled;
static sem_t sig_done;  /* posted by the handler */
static sem_t sig_ready; /* the worker is about to block in read() */
static int sig_pipe[2];

static void sig_handler(int signo)
{
    (void)signo;
    pthread_mutex_lock(&sig_lock);
    sig_handled = sig_handled + 1;
    pthread_mutex_unlock(&sig_lock);
    sem_post(&sig_done);
}

static void *sig_worker(void *arg)
{
    (void)arg;
    pthread_kill(pthread_self(), SIGUSR1);
    sem_wait(&sig_done);
    sem_post(&sig_ready);
    char c;
    while (read(sig_pipe[0], &c, 1) < 0)
        ; /* EINTR without SA_RESTART semantics: read again */
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sig_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0 || pipe(sig_pipe) != 0)
        return 2;
    sem_init(&sig_done, 0, 0);
    sem_init(&sig_ready, 0, 0);
    printf("sig_lock %p\n", (void *)&sig_lock);

    raise(SIGUSR1);
    sem_wait(&sig_done);

    pthread_t worker;
    if (pthread_create(&worker, NULL, sig_worker, NULL) != 0)
        return 2;
    sem_wait(&sig_ready);
    /* The worker is in (or about to enter) read(): either way the
     * handler runs on it without any lock held. */
    pthread_kill(worker, SIGUSR1);
    sem_wait(&sig_done);
    if (write(sig_pipe[1], "x", 1) != 1)
        return 2;
    pthread_join(worker, NULL);
    printf("handled %d\n", (int)sig_handled);
    return sig_handled == 3 ? 0 : 1;
}
