/* kill(): records who sends which signal to which process (signal-send),
 * before the call, so that the exception groups can tell a child killed
 * on purpose (multiprocessing's Pool.terminate(), a supervisor stopping
 * its workers) from one that died (docs/python.md).  Sending no signal
 * (a probe: signal 0) is not recorded.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  kill is async-signal-safe,
 * so this wrapper is too: its real function is resolved by a
 * constructor, never from a handler. */
#include "shim.h"

#include <signal.h>
#include <sys/types.h>

static int (*real_kill)(pid_t, int);

__attribute__((constructor(102))) static void kill_constructor(void)
{
    real_kill = (int (*)(pid_t, int))shim_dlsym("kill", NULL);
}

SHIM_EXPORT int kill(pid_t pid, int sig)
{
    if (SHIM_UNLIKELY(!real_kill))
        kill_constructor();
    struct trace_thread_writer *w = sig ? shim_writer() : NULL;
    if (w) {
        struct trace_kill_info k = {(int32_t)pid, sig};
        shim_event_payload(w, TRACE_EV_SIGNAL_SEND, NULL, SHIM_SITE, &k,
                           sizeof k);
    }
    return real_kill(pid, sig);
}
