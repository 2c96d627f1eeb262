/* Sample: a NULL dereference in a named function (segv_crash).  Prints
 * "crash_fn ADDR" (the function's address, so a test can find it in the
 * recorded stack) and dies by SIGSEGV.  With the argument "handler" it
 * first installs its own SIGSEGV handler, which prints "caught SIGSEGV"
 * and _exit(3)s: the twin that checks the program's handler still runs
 * under ctrace. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int *volatile segv_pointer; /* NULL, and the compiler cannot know */

__attribute__((noinline)) int segv_crash(void) { return *segv_pointer + 1; }

static void segv_handler(int signo, siginfo_t *info, void *uc)
{
    (void)uc;
    static const char msg[] = "caught SIGSEGV\n";
    if (signo == SIGSEGV && info->si_addr == NULL &&
        write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
        _exit(4);
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "handler") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = segv_handler;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
    }
    printf("crash_fn %p\n", (void *)segv_crash);
    fflush(stdout);
    return segv_crash();
}
