/* Helpers for tests/security: a shared sticky directory like /tmp, a
 * directory of protected files (root's) to check afterwards, hostile
 * objects owned by a second, unprivileged user, and runs of ctrace and
 * of programs as that user (setpriv).
 *
 * Environment: that of every e2e test, plus SEC_PROG (the traced test
 * program), SEC_ATTACKER (the racer), SEC_SHIM (libctrace.so). */
#ifndef CTRACE_TESTS_SEC_COMMON_H
#define CTRACE_TESTS_SEC_COMMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "e2e.h"

#define SEC_UID 65534 /* nobody: the other user */
#define SEC_GID 65534
#define SEC_PROTECTED_FILES 50

/* Skip the current test unless it runs as root with setpriv at hand. */
void sec_require_other_user(void);
/* A fresh world-writable sticky directory, like /tmp. */
const char *sec_shared_dir(void);
/* A fresh directory that others may enter (0755). */
const char *sec_open_dir(void);
char *sec_path(const char *dir, const char *name);
void sec_write(const char *path, const char *text, mode_t mode);
bool sec_exists(const char *path);
/* The file's text, or NULL; malloc'ed. */
char *sec_read(const char *path);
/* lchown to the other user. */
void sec_give_away(const char *path);

/* DIR/protected: a root-owned directory of SEC_PROTECTED_FILES files
 * f000.. nobody else can write.  Returns its path. */
const char *sec_protected_make(const char *dir);
/* How many protected files are missing or changed. */
int sec_protected_changed(const char *prot);

/* `ctrace -o DIR --no-report SEC_PROG` as the current user. */
struct e2e_result sec_ctrace(const char *dir);
/* A trace directory made by this ctrace (one run). */
void sec_real_trace(const char *dir);
/* Expect a refusal (exit 1, SEC_PROG not run, err_part in stderr). */
void sec_expect_refused(const struct e2e_result *r, const char *err_part);

/* argv run as the other user, in the background; returns the pid. */
pid_t sec_spawn_as_user(const char *const argv[]);

#endif
