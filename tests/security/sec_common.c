/* Helpers for tests/security (see sec_common.h). */
#include "sec_common.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static bool sec_have_setpriv(void)
{
    return access("/usr/bin/setpriv", X_OK) == 0 ||
           access("/bin/setpriv", X_OK) == 0;
}

void sec_require_other_user(void)
{
    if (geteuid() != 0)
        cr_skip_test("needs root: the test plays a second user (uid %d)",
                     SEC_UID);
    if (!sec_have_setpriv())
        cr_skip_test("needs setpriv (util-linux) to run as uid %d", SEC_UID);
}

const char *sec_shared_dir(void)
{
    const char *dir = e2e_tmpdir();
    cr_assert_eq(chmod(dir, 01777), 0, "chmod %s: %s", dir, strerror(errno));
    return dir;
}

const char *sec_open_dir(void)
{
    const char *dir = e2e_tmpdir();
    cr_assert_eq(chmod(dir, 0755), 0, "chmod %s: %s", dir, strerror(errno));
    return dir;
}

char *sec_path(const char *dir, const char *name)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

void sec_write(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0, "create %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

bool sec_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

char *sec_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    char buf[4096];
    struct stat st;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    bool whole = fstat(fd, &st) == 0 && st.st_size == n;
    close(fd);
    if (n < 0)
        return NULL;
    buf[n] = '\0'; /* a file that grew, or has NULs, reads as different */
    return whole && strlen(buf) == (size_t)n ? strdup(buf) : strdup("?");
}

void sec_give_away(const char *path)
{
    cr_assert_eq(lchown(path, SEC_UID, SEC_GID), 0, "lchown %s: %s", path,
                 strerror(errno));
}

static char *sec_protected_text(int i)
{
    char *t = NULL;
    cr_assert(asprintf(&t, "protected file %d\n", i) > 0);
    return t;
}

const char *sec_protected_make(const char *dir)
{
    char *prot = sec_path(dir, "protected");
    cr_assert_eq(mkdir(prot, 0755), 0);
    for (int i = 0; i < SEC_PROTECTED_FILES; i++) {
        char name[16], *text = sec_protected_text(i);
        snprintf(name, sizeof name, "f%03d", i);
        char *p = sec_path(prot, name);
        sec_write(p, text, 0644);
        free(p);
        free(text);
    }
    return prot;
}

int sec_protected_changed(const char *prot)
{
    int changed = 0;
    for (int i = 0; i < SEC_PROTECTED_FILES; i++) {
        char name[16], *want = sec_protected_text(i);
        snprintf(name, sizeof name, "f%03d", i);
        char *p = sec_path(prot, name);
        char *got = sec_read(p);
        changed += !got || strcmp(got, want) != 0;
        free(got);
        free(p);
        free(want);
    }
    return changed;
}

struct e2e_result sec_ctrace(const char *dir)
{
    struct e2e_result r;
    const char *argv[] = {"ctrace",           "-o", dir, "--no-report",
                          getenv("SEC_PROG"), NULL};
    cr_assert_eq(e2e_run(&r, argv), 0, "cannot run ctrace");
    cr_assert(!r.timed_out, "ctrace timed out; stderr: %s", r.err);
    return r;
}

void sec_real_trace(const char *dir)
{
    struct e2e_result r = sec_ctrace(dir);
    cr_assert_eq(r.status, 0, "ctrace -o %s failed: %s", dir, r.err);
    e2e_result_free(&r);
}

void sec_expect_refused(const struct e2e_result *r, const char *err_part)
{
    cr_expect_eq(r->status, 1, "exit status %d, expected 1; stderr: %s",
                 r->status, r->err);
    cr_expect_null(strstr(r->out, "ran"), "the program ran: %s", r->out);
    if (err_part)
        cr_expect_not_null(strstr(r->err, err_part), "stderr lacks \"%s\": %s",
                           err_part, r->err);
}

pid_t sec_spawn_as_user(const char *const argv[])
{
    const char *full[32] = {"setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups"};
    size_t n = 4;
    for (size_t i = 0; argv[i] && n + 1 < 32; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    pid_t pid;
    int rc =
        posix_spawnp(&pid, "setpriv", NULL, NULL, (char *const *)full, environ);
    cr_assert_eq(rc, 0, "cannot spawn setpriv: %s", strerror(rc));
    return pid;
}
