/* Sample: abort() called from a named function (abort_now).  Prints
 * "crash_fn ADDR" and dies by SIGABRT.  With the argument "handler" it
 * installs a SIGABRT handler that prints "caught SIGABRT" and _exit(3)s
 * (abort() runs the handler before it would kill the process). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) void abort_now(void) { abort(); }

static void abort_handler(int signo)
{
    static const char msg[] = "caught SIGABRT\n";
    if (signo == SIGABRT && write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
        _exit(4);
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "handler") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = abort_handler;
        sigaction(SIGABRT, &sa, NULL);
    }
    printf("crash_fn %p\n", (void *)abort_now);
    fflush(stdout);
    abort_now();
    return 0;
}
