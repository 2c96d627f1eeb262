/* Sample: lock/unlock pairs forever, reporting progress, until something
 * kills it from outside.  Bug-free.
 *
 * Prints "pid P" first, then after every SIGKILL_PAIRS_STEP completed
 * pairs the total so far ("pairs N"), one line each, written straight to
 * stdout.  A test reads those lines, SIGKILLs the process, and checks
 * that the trace holds at least every pair reported.  Stops by itself
 * after SIGKILL_PAIRS_LIMIT pairs so that a forgotten run ends. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SIGKILL_PAIRS_STEP 1000
#define SIGKILL_PAIRS_LIMIT 200000000L

static pthread_mutex_t pairs_lock = PTHREAD_MUTEX_INITIALIZER;

static void pairs_report(const char *what, long n)
{
    char line[64];
    int len = snprintf(line, sizeof line, "%s %ld\n", what, n);
    if (write(STDOUT_FILENO, line, (size_t)len) != len)
        _exit(2); /* the reader went away */
}

int main(void)
{
    volatile long counter = 0;
    pairs_report("pid", (long)getpid());
    for (long pairs = 1; pairs <= SIGKILL_PAIRS_LIMIT; pairs++) {
        pthread_mutex_lock(&pairs_lock);
        counter = counter + 1;
        pthread_mutex_unlock(&pairs_lock);
        if (pairs % SIGKILL_PAIRS_STEP == 0)
            pairs_report("pairs", pairs);
    }
    return 0;
}
