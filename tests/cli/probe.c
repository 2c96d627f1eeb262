/* Test program for tests/cli: does one thing the cli tests observe.
 *   probe exit N   exit with status N
 *   probe segv     die of a real SIGSEGV (no core file)
 *   probe env      print CTRACE_DIR, CTRACE_OPTIONS and LD_PRELOAD as
 *                  the traced program sees them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void probe_print_env(const char *name)
{
    const char *v = getenv(name);
    printf("%s=%s\n", name, v ? v : "(unset)");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exit") == 0)
        return atoi(argv[2]);
    if (argc == 2 && strcmp(argv[1], "segv") == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        volatile int *volatile nowhere = NULL; /* a real store */
        *nowhere = 1;
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "env") == 0) {
        probe_print_env("CTRACE_DIR");
        probe_print_env("CTRACE_OPTIONS");
        probe_print_env("LD_PRELOAD");
        return 0;
    }
    fprintf(stderr, "usage: probe exit N | segv | env\n");
    return 2;
}
