/* What the process-family files of the shim (process.c, exec.c, signal.c,
 * failure.c) share with each other: the environment a traced child must
 * inherit, the failure bookkeeping that ties abort/assert/terminate to
 * the SIGABRT they raise, and the stack capture of failures.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules. */
#ifndef CTRACE_PRELOAD_PROCESS_H
#define CTRACE_PRELOAD_PROCESS_H

#include "shim.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- exec.c: the environment of a new image ---- */

/* A copy of an environment with the variables that keep a new image
 * traced (LD_PRELOAD naming libctrace.so, CTRACE_DIR, CTRACE_OPTIONS)
 * and, for exec, CTRACE_EXEC_PID=<our pid>.  Lives in its own anonymous
 * mapping (async-signal-safe: exec may follow fork in a threaded
 * program, where malloc is off limits). */
struct shim_env {
    char **envp; /* NULL-terminated, or the caller's envp if no copy */
    void *map;   /* the mapping, or NULL */
    size_t size;
};

/* Build the copy.  `for_exec`: the same pid continues as a new image
 * (adds CTRACE_EXEC_PID); otherwise a new process (removes it).  On any
 * failure env->envp is the caller's envp unchanged. */
void shim_env_build(struct shim_env *env, char *const *envp, bool for_exec);
void shim_env_free(struct shim_env *env);
/* The directory of libctrace.so, for helper libraries next to it. */
const char *shim_lib_dir(void);

/* ---- failure.c ---- */

/* Whether this thread recorded an abort, assert or cxx-terminate whose
 * SIGABRT has not arrived yet; clears the mark (the signal handler calls
 * this for SIGABRT: that signal is the same failure, recorded once). */
bool shim_failure_take_pending(void);

/* Capture the caller's stack for a failure record: innermost first,
 * starting at `site` (the program's call site) when it is on the stack,
 * so the shim's own frames are left out. */
uint32_t shim_failure_stack(uint64_t *pcs, uint32_t max, uint64_t site);

#endif
