/* lock_in_handler: the SIGUSR1 handler takes stats_lock, which main also
 * takes in normal code.  A signal that arrives while main holds
 * stats_lock would make the handler wait for main, which waits for the
 * handler: a deadlock of one thread.  Here the signal is raised at a
 * moment main holds no lock, so the run itself ends well.  With "fixed"
 * the handler only bumps an atomic counter. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long requests;
static volatile sig_atomic_t dumps;
static int fixed;

static void on_usr1(int signo)
{
    (void)signo;
    if (fixed) {
        dumps = dumps + 1;
        return;
    }
    pthread_mutex_lock(&stats_lock); /* LINE:handler_lock */
    dumps = dumps + 1;
    pthread_mutex_unlock(&stats_lock);
}

static void count_request(void)
{
    pthread_mutex_lock(&stats_lock); /* LINE:plain_lock */
    requests++;
    pthread_mutex_unlock(&stats_lock);
}

int main(int argc, char **argv)
{
    fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return 2;
    count_request();
    raise(SIGUSR1); /* LINE:raise */
    count_request();
    printf("requests %ld dumps %d\n", requests, (int)dumps);
    return 0;
}
