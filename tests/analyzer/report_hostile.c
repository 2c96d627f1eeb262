/* The symbolizer on hostile module maps: a module path that names a
 * FIFO must not block it (each lookup runs in a child with an alarm, so
 * a hang fails the test instead of hanging the suite), and a module
 * whose path is refused is still symbolized by its build id when the
 * system has a file for it. */
#include <criterion/criterion.h>
#include <elf.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_testlib.h"

#define HOSTILE_TIMEOUT_S 20

static char *fifo_path(void)
{
    char tmpl[] = "/tmp/ctrace-symfifo-XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir);
    char *p = NULL;
    cr_assert_geq(asprintf(&p, "%s/libhostile.so", dir), 0);
    cr_assert_eq(mkfifo(p, 0644), 0);
    return p;
}

/* Look pc up in a child; returns its exit status (0: a function name
 * was found when `want` is set, else just returned), or 128+signo. */
static int lookup_in_child(const struct trace_module_info *m, const char *path,
                           uint64_t pc, const char *want)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        alarm(HOSTILE_TIMEOUT_S);
        struct symbolizer *s = sym_new();
        sym_add_module(s, 1, m, path);
        struct sym_frame f[4];
        int n = sym_lookup(s, 1, pc, false, f, 4);
        if (n < 1)
            _exit(2);
        if (want && !(f[n - 1].function && strstr(f[n - 1].function, want)))
            _exit(3);
        sym_free(s);
        _exit(0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(hostile, fifo_module_path_never_blocks)
{
    struct trace_module_info m;
    char exe[4096];
    testlib_exe_module(&m, exe, sizeof exe);
    char *fifo = fifo_path();
    int rc = lookup_in_child(&m, fifo, testlib_plain(), NULL);
    cr_expect_eq(rc, 0, "status %d (%d: the alarm: the lookup hung)", rc,
                 128 + SIGALRM);
    unlink(fifo);
    free(fifo);
}

/* ---- libc by its build id ---- */

struct libc_walk {
    struct trace_module_info *m;
    bool found;
};

static void note_build_id(struct trace_module_info *m, const uint8_t *p,
                          size_t len)
{
    while (len >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *n = (const void *)p;
        size_t name = (n->n_namesz + 3) & ~3u, desc = (n->n_descsz + 3) & ~3u;
        size_t all = sizeof *n + name + desc;
        if (all > len)
            return;
        if (n->n_type == NT_GNU_BUILD_ID && n->n_descsz <= sizeof m->build_id) {
            memcpy(m->build_id, p + sizeof *n + name, n->n_descsz);
            m->build_id_len = (uint16_t)n->n_descsz;
            return;
        }
        p += all;
        len -= all;
    }
}

static int libc_one(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct libc_walk *w = data;
    if (!strstr(info->dlpi_name, "/libc.so"))
        return 0;
    struct trace_module_info *m = w->m;
    memset(m, 0, sizeof *m);
    m->base = info->dlpi_addr;
    m->lo = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (a < m->lo)
                m->lo = a;
            if (a + ph->p_memsz > m->hi)
                m->hi = a + ph->p_memsz;
        } else if (ph->p_type == PT_NOTE && !m->build_id_len) {
            note_build_id(m, (const uint8_t *)a, ph->p_memsz);
        }
    }
    w->found = m->build_id_len > 0;
    return 1;
}

Test(hostile, fifo_module_symbolized_by_build_id)
{
    struct trace_module_info m;
    struct libc_walk w = {&m, false};
    dl_iterate_phdr(libc_one, &w);
    if (!w.found)
        cr_skip_test("libc has no build id here");
    char debug[256];
    int n = snprintf(debug, sizeof debug, "/usr/lib/debug/.build-id/%02x/",
                     m.build_id[0]);
    for (int i = 1; i < m.build_id_len; i++)
        n += snprintf(debug + n, sizeof debug - (size_t)n, "%02x",
                      m.build_id[i]);
    snprintf(debug + n, sizeof debug - (size_t)n, ".debug");
    if (access(debug, R_OK) != 0)
        cr_skip_test("no debug file for libc (%s)", debug);
    uint64_t pc = testlib_libc_pc();
    cr_assert_neq(pc, 0);
    char *fifo = fifo_path();
    int rc = lookup_in_child(&m, fifo, pc, "pthread_mutex_lock");
    cr_expect_eq(rc, 0, "status %d (3: not symbolized; %d: hung)", rc,
                 128 + SIGALRM);
    unlink(fifo);
    free(fifo);
}
