/* `ctrace attach` (attach.h): snapshot, replay, report. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "replay.h"
#include "report_internal.h"
#include "snapshot.h"
#include "tree.h"

/* ---- the text report's thread section ---- */

static void attach_object(const struct report_input *in,
                          const struct snap_thread *t, const char *kind,
                          char *buf, size_t len)
{
    struct finding_object o;
    memset(&o, 0, sizeof o);
    o.addr = t->obj;
    o.proc = t->proc;
    snprintf(o.kind, sizeof o.kind, "%s", kind);
    char name[256];
    report_object_name(in, &o, name, sizeof name);
    if (strstr(name, "0x"))
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%s %s (0x%" PRIx64 ")", kind, name, t->obj);
}

/* "held by T2 'w' (tid 12, pid 10)", or by a thread that is gone. */
static void attach_holder(const struct snapshot *s,
                          const struct report_input *in,
                          const struct snap_thread *t, const char *how,
                          char *buf, size_t len)
{
    long h = t->owner ? snapshot_thread_of(s, t->proc, t->owner) : -1;
    char who[256];
    if (h >= 0) {
        report_thread_label(in, (uint32_t)h, who, sizeof who);
        snprintf(buf, len, ", %s by %s", how, who);
    } else if (t->owner) {
        snprintf(buf, len, ", %s by tid %d, which has exited", how,
                 (int)t->owner);
    } else {
        buf[0] = '\0';
    }
}

static void attach_describe(const struct snapshot *s,
                            const struct report_input *in,
                            const struct snap_thread *t, char *buf, size_t len)
{
    char obj[320], extra[320] = "";
    const char *call = snapshot_wait_call(t->wait);
    switch (t->wait) {
    case SW_RUNNING:
        snprintf(buf, len, "running");
        return;
    case SW_STOPPED:
        snprintf(buf, len, "stopped (state %c)", t->pt.state);
        return;
    case SW_MUTEX:
        attach_object(in, t, "mutex", obj, sizeof obj);
        attach_holder(s, in, t, "held", extra, sizeof extra);
        break;
    case SW_RDLOCK:
    case SW_WRLOCK:
        attach_object(in, t, "rwlock", obj, sizeof obj);
        attach_holder(s, in, t, "write-held", extra, sizeof extra);
        break;
    case SW_COND:
        attach_object(in, t, "cond", obj, sizeof obj);
        break;
    case SW_SEM:
        attach_object(in, t, "sem", obj, sizeof obj);
        snprintf(extra, sizeof extra, ", value %u", t->value);
        break;
    case SW_BARRIER:
        attach_object(in, t, "barrier", obj, sizeof obj);
        snprintf(extra, sizeof extra, ", count %u", t->value);
        break;
    case SW_PYLOCK:
        attach_object(in, t, "threading.Lock", obj, sizeof obj);
        call = "threading.Lock wait (Lock.acquire)";
        break;
    case SW_FUTEX:
        snprintf(obj, sizeof obj, "futex 0x%" PRIx64, t->obj);
        break;
    case SW_JOIN: {
        long j = snapshot_thread_of(s, t->proc, t->owner);
        if (j >= 0)
            report_thread_label(in, (uint32_t)j, obj, sizeof obj);
        else
            snprintf(obj, sizeof obj, "tid %d", (int)t->owner);
        snprintf(buf, len, "blocked in pthread_join of %s", obj);
        goto timed;
    }
    case SW_READ:
    case SW_WRITE:
    case SW_ACCEPT:
        snprintf(obj, sizeof obj, "fd %d (%s)", t->fd, t->fd_what);
        break;
    case SW_WAITPID:
        snprintf(buf, len, "blocked in waitpid(%d)", (int)t->wait_pid);
        goto timed;
    case SW_SYSCALL:
        snprintf(buf, len, "blocked in system call %ld", t->pt.sc.nr);
        goto timed;
    default:
        snprintf(buf, len, "blocked in %s", call);
        goto timed;
    }
    snprintf(buf, len, "blocked in %s on %s%s", call, obj, extra);
timed:
    if (t->timed && t->wait != SW_SLEEP)
        strncat(buf, ", with a timeout", len - strlen(buf) - 1);
}

static void attach_thread_stack(FILE *out, const struct snapshot *s,
                                const struct snap_thread *t)
{
    size_t n = 0;
    struct sym_frame fr[SYM_MAX_INLINE];
    char line[1024];
    for (size_t k = 0; k < t->npy; k++) {
        sym_lookup(s->sym, t->proc, t->py[k], false, fr, 1);
        sym_frame_format(&fr[0], true, line, sizeof line);
        fprintf(out, "    #%zu %s\n", n++, line);
    }
    for (size_t k = 0; k < t->depth; k++) {
        int m =
            sym_lookup(s->sym, t->proc, t->pcs[k], k > 0, fr, SYM_MAX_INLINE);
        for (int j = 0; j < m; j++) {
            sym_frame_format(&fr[j], true, line, sizeof line);
            fprintf(out, "    #%zu %s%s%s\n", n++, line,
                    fr[j].inlined ? " [inlined]" : "",
                    fr[j].lib && fr[j].in_system ? "" : "");
        }
    }
    if (n == 0)
        fputs("    (no stack)\n", out);
}

static void attach_write_threads(FILE *out, const struct snapshot *s,
                                 const struct report_input *in)
{
    for (size_t pi = 0; pi < s->nprocs; pi++) {
        const struct snap_proc *p = &s->procs[pi];
        fprintf(out, "== process %d (%s): %zu thread%s ==\n", (int)p->pid,
                p->cmdline[0] ? p->cmdline : p->exe, p->nthreads,
                p->nthreads == 1 ? "" : "s");
        if (p->no_symbols)
            fprintf(out, "  (%s has no symbol table: frames are addresses)\n",
                    p->exe);
        if (p->py_error[0])
            fprintf(out, "  (no Python frames: %s)\n", p->py_error);
        for (size_t i = p->first_thread; i < p->first_thread + p->nthreads;
             i++) {
            const struct snap_thread *t = &s->threads[i];
            char who[256], what[1024];
            report_thread_label(in, (uint32_t)i, who, sizeof who);
            attach_describe(s, in, t, what, sizeof what);
            tree_describe_peer(s, t, what, sizeof what);
            fprintf(out, "\n%s: %s", who, what);
            if (t->wait != SW_RUNNING && t->pt.idle_s >= 0)
                fprintf(out, " (for %.1f s)", t->pt.idle_s);
            fputs(":\n", out);
            attach_thread_stack(out, s, t);
        }
        fputc('\n', out);
    }
}

/* ---- the whole command ---- */

int attach_run(pid_t pid, const struct attach_options *o, FILE *out,
               size_t *nfindings, char *err, size_t errlen)
{
    struct snapshot s;
    if (snapshot_take(pid, o->children, &s, err, errlen) != 0)
        return -1;
    struct replay r;
    replay_snapshot(&s, &r);
    if (o->children)
        tree_check(&s, &r);
    struct report_input in = {.res = &r.res,
                              .procs = r.procs,
                              .nprocs = r.nprocs,
                              .threads = r.threads,
                              .nthreads = r.nthreads,
                              .sym = s.sym};
    struct report_options ro = {.format = o->format, .color = o->color};
    if (o->format == REPORT_FORMAT_TEXT) {
        fprintf(out, "ctrace attach: %zu process%s stopped for %.1f ms\n\n",
                s.nprocs, s.nprocs == 1 ? "" : "es", s.stopped_ms);
        attach_write_threads(out, &s, &in);
    }
    int rc = report_write(out, &in, &ro);
    if (rc != 0)
        snprintf(err, errlen, "cannot write the report");
    *nfindings = r.res.nfindings;
    replay_free(&r);
    snapshot_free(&s);
    return rc;
}
