/* Sample: a SIGSEGV handler that never returns: it siglongjmps back to
 * where the program probed an address (the usual way to test whether
 * memory is readable).  Afterwards the program locks and unlocks a
 * mutex outside any handler.  Prints "probe 0" (the NULL probe faulted)
 * and "lock ADDR"; exits 0. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf jump_back;
static pthread_mutex_t jump_lock = PTHREAD_MUTEX_INITIALIZER;

static void jump_handler(int signo) { siglongjmp(jump_back, signo); }

static int jump_probe(const volatile int *p)
{
    if (sigsetjmp(jump_back, 1) != 0)
        return 0;
    return *p == *p ? 1 : 1;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    printf("probe %d\n", jump_probe(NULL));
    pthread_mutex_lock(&jump_lock);
    pthread_mutex_unlock(&jump_lock);
    printf("lock %p\n", (void *)&jump_lock);
    return 0;
}
