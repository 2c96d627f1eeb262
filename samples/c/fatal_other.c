/* Sample: the other fatal signals, one per argument, each raised inside
 * a named function (other_crash):
 *   bus   touch a shared mapping past the end of its (empty) file: SIGBUS
 *   ill   execute an undefined instruction (ud2 on x86): SIGILL
 *   trap  a breakpoint instruction (int3 on x86; raise elsewhere): SIGTRAP
 *   sys   raise(SIGSYS), as seccomp would deliver it
 * Prints "crash_fn ADDR" first.  Exit 2 on a bad argument. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int other_bus(void)
{
    int fd = memfd_create("ctrace-bus", 0);
    if (fd < 0)
        return 2;
    volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 2;
    return p[0]; /* the file is empty: SIGBUS */
}

__attribute__((noinline)) int other_crash(const char *what)
{
    if (strcmp(what, "bus") == 0)
        return other_bus();
    if (strcmp(what, "ill") == 0) {
#if defined(__x86_64__) || defined(__i386__)
        __asm__ __volatile__("ud2"); /* in place: no cold-section copy */
#else
        __builtin_trap();
#endif
        return 0;
    }
    if (strcmp(what, "trap") == 0) {
#if defined(__x86_64__) || defined(__i386__)
        __asm__ __volatile__("int3");
#else
        raise(SIGTRAP);
#endif
        return 0;
    }
    if (strcmp(what, "sys") == 0)
        return raise(SIGSYS) + 1; /* + 1: not a tail call, keep our frame */
    return 2;
}

int main(int argc, char **argv)
{
    printf("crash_fn %p\n", (void *)other_crash);
    fflush(stdout);
    return other_crash(argc > 1 ? argv[1] : "");
}
