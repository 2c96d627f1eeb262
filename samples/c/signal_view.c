/* Sample: what a program sees of its own signal dispositions.  ctrace
 * keeps handlers of its own installed behind the program's back; this
 * program queries dispositions every way it can and prints what it
 * sees, so a test can compare the output with and without ctrace:
 *   - a fatal signal never touched (SIGSEGV): SIG_DFL, all its flags
 *     (SA_RESTORER included), a mask bit;
 *   - sigaction() of a handler with flags and a mask, read back;
 *   - signal() returning the previous handler, for a fatal signal
 *     (SIGBUS) and an ordinary one (SIGUSR1);
 *   - SIG_IGN installed and read back;
 *   - an SA_RESETHAND handler after it ran once (SIG_DFL again);
 *   - sysv_signal and sigset return values.
 * Exits 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t view_hits;

static void view_handler(int signo)
{
    (void)signo;
    view_hits = view_hits + 1;
}

static void view_info_handler(int signo, siginfo_t *info, void *uc)
{
    (void)signo;
    (void)info;
    (void)uc;
    view_hits = view_hits + 1;
}

static const char *view_name(void *h)
{
    if (h == (void *)SIG_DFL)
        return "SIG_DFL";
    if (h == (void *)SIG_IGN)
        return "SIG_IGN";
    if (h == (void *)view_handler)
        return "view_handler";
    if (h == (void *)view_info_handler)
        return "view_info_handler";
    return "SOMETHING ELSE";
}

static void view_show(const char *what, int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (sigaction(sig, NULL, &sa) != 0) {
        printf("%s: sigaction failed\n", what);
        return;
    }
    printf("%s: %s flags %#x usr2-masked %d\n", what,
           view_name((void *)sa.sa_handler), (unsigned)sa.sa_flags,
           sigismember(&sa.sa_mask, SIGUSR2));
}

int main(void)
{
    view_show("SIGSEGV untouched", SIGSEGV);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = view_info_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    struct sigaction old;
    sigaction(SIGSEGV, &sa, &old);
    printf("SIGSEGV old: %s\n", view_name((void *)old.sa_handler));
    view_show("SIGSEGV set", SIGSEGV);

    printf("signal(SIGBUS) old: %s\n",
           view_name((void *)signal(SIGBUS, view_handler)));
    printf("signal(SIGBUS) again: %s\n",
           view_name((void *)signal(SIGBUS, SIG_DFL)));
    view_show("SIGBUS back to default", SIGBUS);
    printf("signal(SIGUSR1) old: %s\n",
           view_name((void *)signal(SIGUSR1, view_handler)));
    view_show("SIGUSR1 by signal()", SIGUSR1);

    signal(SIGFPE, SIG_IGN);
    view_show("SIGFPE ignored", SIGFPE);
    signal(SIGFPE, SIG_DFL);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = view_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    view_show("SIGUSR2 one-shot", SIGUSR2);
    raise(SIGUSR2);
    view_show("SIGUSR2 after it ran", SIGUSR2);

    printf("sysv_signal old: %s\n",
           view_name((void *)sysv_signal(SIGUSR1, SIG_DFL)));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    printf("sigset old: %s\n",
           view_name((void *)sigset(SIGUSR1, view_handler)));
    printf("sigset hold old: %s\n",
           view_name((void *)sigset(SIGUSR1, SIG_HOLD)));
#pragma GCC diagnostic pop
    printf("hits %d\n", (int)view_hits);
    return 0;
}
