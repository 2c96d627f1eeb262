/* Sample: an integer division by zero in a named function (fpe_crash).
 * Prints "crash_fn ADDR" and dies by SIGFPE.  With the argument "handler"
 * it installs its own SIGFPE handler with signal(), which prints "caught
 * SIGFPE" and _exit(3)s. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int fpe_zero;

__attribute__((noinline)) int fpe_crash(int x) { return x / fpe_zero; }

static void fpe_handler(int signo)
{
    static const char msg[] = "caught SIGFPE\n";
    if (signo == SIGFPE && write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
        _exit(4);
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "handler") == 0)
        signal(SIGFPE, fpe_handler);
    printf("crash_fn %p\n", (void *)fpe_crash);
    fflush(stdout);
    return fpe_crash(argc);
}
