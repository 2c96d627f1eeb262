/* Launching a traced program: finding it, checking that LD_PRELOAD can
 * work on it, finding libctrace.so, setting the environment, spawning it
 * in the foreground and waiting for it.
 *
 * Checks answer "will the dynamic loader preload libctrace.so into what
 * the kernel runs?": not for a static ELF (no PT_INTERP), not in secure
 * mode (AT_SECURE: setuid/setgid to another id than ours, or file
 * capabilities), not for another ELF class or machine.  A script is
 * judged by its interpreter (#!), recursively, as the kernel does.
 *
 * Failures print one "ctrace: ..." line and return the exit status a
 * shell would use: 127 not found, 126 found but cannot be run.
 */
#ifndef CTRACE_CLI_LAUNCH_H
#define CTRACE_CLI_LAUNCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LAUNCH_EXIT_NOT_FOUND 127
#define LAUNCH_EXIT_CANNOT_RUN 126

struct launch_target {
    char path[PATH_MAX]; /* the program, as found through PATH */
    bool sh_fallback;    /* neither ELF nor #!: run by /bin/sh, as execvp
                            does */
};

/* Find `name` as execvp does and check it.  Returns 0, or an exit
 * status with the reason printed. */
int launch_resolve(const char *name, struct launch_target *t);

/* The absolute path of libctrace.so: $CTRACE_LIB when set, else found
 * relative to this executable (installed layout, then build tree).
 * Returns 0, or -1 with the reason printed. */
int launch_find_shim(char *buf, size_t size);

/* The environment of the traced program: CTRACE_DIR, LD_PRELOAD with the
 * shim first, CTRACE_OPTIONS (unset when `shim_options` is empty). */
int launch_setup_env(const char *trace_dir, const char *shim,
                     const char *shim_options);

/* Start the program in the foreground (our process group, our stdio).
 * From here until launch_wait() returns, SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT do not kill ctrace: sent by another process they are forwarded
 * to the program; sent by the terminal they reach it directly.  Returns
 * 0, or an exit status with the reason printed. */
int launch_spawn(const struct launch_target *t, char *const argv[], pid_t *pid);

/* Called every tick while the program runs (live monitoring). */
typedef void launch_tick_fn(void *arg);

/* Wait for the program; call tick(arg) about every tick_ms while it runs
 * (tick may be NULL).  Returns its exit status, or 128+signo when a
 * signal killed it. */
int launch_wait(pid_t pid, int tick_ms, launch_tick_fn *tick, void *arg);

#endif
