/* Decoding an event's arg meaning and payload into keyed fields, for
 * every writer (event_fields.h).  Moved out of `ctrace dump` so that the
 * CTF export shows the same fields under the same keys.
 *
 * Payload layouts are the structs of trace/format.h; a payload view
 * (struct payload) hands out bytes only while they last, so a short or
 * corrupt payload yields fewer fields, never a read past its end. */
#include "event_fields.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* A view of a payload with bounds: every take checks what is left. */
struct payload {
    const unsigned char *p;
    size_t left;
};

static const void *payload_take(struct payload *pl, size_t n)
{
    if (n > pl->left)
        return NULL;
    const void *at = pl->p;
    pl->p += n;
    pl->left -= n;
    return at;
}

/* The u64 pcs after an 8-aligned point of the payload. */
static void payload_frames(const struct event_fields_sink *s, void *ctx,
                           const struct trace_event *ev, struct payload *pl,
                           size_t nframes)
{
    size_t used = (size_t)(pl->p - (const unsigned char *)ev->payload);
    size_t pad = (8 - used % 8) % 8;
    if (!payload_take(pl, pad))
        return;
    if (nframes > pl->left / 8)
        nframes = pl->left / 8;
    if (!nframes)
        return;
    uint64_t pcs[TRACE_PAYLOAD_MAX / 8];
    memcpy(pcs, pl->p, nframes * 8);
    s->frames(ctx, "frames", pcs, nframes);
}

static void payload_string(const struct event_fields_sink *s, void *ctx,
                           const char *key, struct payload *pl, size_t len)
{
    if (len > pl->left)
        len = pl->left;
    const char *str = payload_take(pl, len);
    if (str)
        s->str(ctx, key, str, len);
}

static void fields_process_start(const struct event_fields_sink *s, void *ctx,
                                 struct payload *pl)
{
    const struct trace_process_info *pi = payload_take(pl, sizeof *pi);
    if (!pi)
        return;
    s->uint(ctx, "ppid", pi->ppid);
    if (pi->parent_serial != UINT32_MAX)
        s->uint(ctx, "parent_serial", pi->parent_serial);
    s->uint(ctx, "flags", pi->flags);
}

static void fields_spawn(const struct event_fields_sink *s, void *ctx,
                         struct payload *pl)
{
    const struct trace_spawn_info *si = payload_take(pl, sizeof *si);
    if (!si)
        return;
    s->uint(ctx, "child_pid", si->child_pid);
    s->uint(ctx, "result", si->result);
    payload_string(s, ctx, "path", pl, pl->left);
}

static void fields_reap(const struct event_fields_sink *s, void *ctx,
                        struct payload *pl)
{
    const struct trace_reap_info *ri = payload_take(pl, sizeof *ri);
    if (!ri)
        return;
    s->sint(ctx, "child_pid", ri->pid);
    if (ri->pid > 0 || ri->how >= 5) { /* system/pclose: pid 0, a status */
        s->sint(ctx, "status", ri->status);
        if (WIFEXITED(ri->status))
            s->sint(ctx, "exit_code", WEXITSTATUS(ri->status));
        else if (WIFSIGNALED(ri->status))
            s->sint(ctx, "signo", WTERMSIG(ri->status));
    } else if (ri->pid < 0) {
        s->sint(ctx, "errno", ri->err);
    }
    s->sint(ctx, "how", ri->how);
}

static void fields_signal(const struct event_fields_sink *s, void *ctx,
                          const struct trace_event *ev, struct payload *pl)
{
    const struct trace_signal_info *si = payload_take(pl, sizeof *si);
    if (!si)
        return;
    s->sint(ctx, "signo", si->signo);
    s->sint(ctx, "code", si->code);
    s->hex(ctx, "addr", si->addr);
    payload_frames(s, ctx, ev, pl, si->nframes);
}

static void fields_assert(const struct event_fields_sink *s, void *ctx,
                          const struct trace_event *ev, struct payload *pl)
{
    const struct trace_assert_info *ai = payload_take(pl, sizeof *ai);
    if (!ai)
        return;
    payload_string(s, ctx, "expr", pl, ai->expr_len);
    payload_string(s, ctx, "file", pl, ai->file_len);
    s->uint(ctx, "line", ai->line);
    payload_string(s, ctx, "function", pl, ai->func_len);
    payload_frames(s, ctx, ev, pl, ai->nframes);
}

static void fields_module(const struct event_fields_sink *s, void *ctx,
                          struct payload *pl)
{
    const struct trace_module_info *mi = payload_take(pl, sizeof *mi);
    if (!mi)
        return;
    s->hex(ctx, "base", mi->base);
    s->hex(ctx, "lo", mi->lo);
    s->hex(ctx, "hi", mi->hi);
    size_t n = mi->build_id_len < sizeof mi->build_id ? mi->build_id_len
                                                      : sizeof mi->build_id;
    char hex[2 * sizeof mi->build_id + 1];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", mi->build_id[i]);
    hex[2 * n] = '\0';
    s->str(ctx, "build_id", hex, sizeof hex);
    payload_string(s, ctx, "path", pl, mi->path_len);
}

/* cxx-throw, and cxx-terminate (type_len 0: no exception in flight). */
static void fields_throw(const struct event_fields_sink *s, void *ctx,
                         const struct trace_event *ev, struct payload *pl)
{
    const struct trace_throw_info *ti = payload_take(pl, sizeof *ti);
    if (!ti)
        return;
    if (ti->type_len)
        payload_string(s, ctx, "type", pl, ti->type_len);
    if (ti->what_len)
        payload_string(s, ctx, "what", pl, ti->what_len);
    payload_frames(s, ctx, ev, pl, ti->nframes);
}

static void fields_pyexc(const struct event_fields_sink *s, void *ctx,
                         struct payload *pl)
{
    const struct trace_pyexc_info *pi = payload_take(pl, sizeof *pi);
    if (!pi)
        return;
    payload_string(s, ctx, "kind", pl, pi->kind_len);
    payload_string(s, ctx, "type", pl, pi->type_len);
    payload_string(s, ctx, "message", pl, pi->message_len);
    payload_string(s, ctx, "traceback", pl, pi->traceback_len);
}

static void fields_pyframes(const struct event_fields_sink *s, void *ctx,
                            const struct trace_event *ev)
{
    struct trace_pyframe_view fr[64];
    size_t n = trace_pyframes_decode(ev->payload, ev->payload_len, fr, 64);
    s->pyframes(ctx, "frames", fr, n);
}

static void fields_pyruntime(const struct event_fields_sink *s, void *ctx,
                             struct payload *pl)
{
    const struct trace_pyruntime_info *ri = payload_take(pl, sizeof *ri);
    if (!ri)
        return;
    s->hex(ctx, "lo", ri->lo);
    s->hex(ctx, "hi", ri->hi);
    s->hex(ctx, "version", ri->version);
    s->uint(ctx, "flags", ri->flags);
}

static void fields_kill(const struct event_fields_sink *s, void *ctx,
                        struct payload *pl)
{
    const struct trace_kill_info *ki = payload_take(pl, sizeof *ki);
    if (!ki)
        return;
    s->sint(ctx, "target_pid", ki->pid);
    s->sint(ctx, "signo", ki->signo);
}

/* Payloads that are one string: the key it is shown under, or NULL. */
static const char *string_payload_key(uint32_t type)
{
    switch (type) {
    case TRACE_EV_EXEC:
        return "path";
    case TRACE_EV_SYSTEM:
    case TRACE_EV_POPEN:
        return "command";
    case TRACE_EV_THREAD_NAME:
    case TRACE_EV_SEM_OPEN:
    case TRACE_EV_SEM_UNLINK:
        return "name";
    default:
        return NULL;
    }
}

void event_fields_payload(const struct event_fields_sink *s, void *ctx,
                          const struct trace_event *ev)
{
    struct payload pl = {ev->payload, ev->payload ? ev->payload_len : 0};
    const char *key = string_payload_key(ev->type);
    if (key) {
        payload_string(s, ctx, key, &pl, pl.left);
        return;
    }
    switch (ev->type) {
    case TRACE_EV_PROCESS_START:
        fields_process_start(s, ctx, &pl);
        break;
    case TRACE_EV_SPAWN:
        fields_spawn(s, ctx, &pl);
        break;
    case TRACE_EV_PROCESS_REAP:
        fields_reap(s, ctx, &pl);
        break;
    case TRACE_EV_SIGNAL:
        fields_signal(s, ctx, ev, &pl);
        break;
    case TRACE_EV_ABORT:
        payload_frames(s, ctx, ev, &pl, pl.left / 8);
        break;
    case TRACE_EV_ASSERT:
        fields_assert(s, ctx, ev, &pl);
        break;
    case TRACE_EV_CXX_THROW:
    case TRACE_EV_CXX_TERMINATE:
        fields_throw(s, ctx, ev, &pl);
        break;
    case TRACE_EV_PY_EXCEPTION:
        fields_pyexc(s, ctx, &pl);
        break;
    case TRACE_EV_PY_FRAMES:
        fields_pyframes(s, ctx, ev);
        break;
    case TRACE_EV_PY_RUNTIME:
        fields_pyruntime(s, ctx, &pl);
        break;
    case TRACE_EV_SIGNAL_SEND:
        fields_kill(s, ctx, &pl);
        break;
    case TRACE_EV_MODULE_LOAD:
        fields_module(s, ctx, &pl);
        break;
    default:
        break;
    }
}

void event_fields_arg(const struct event_fields_sink *s, void *ctx,
                      const struct trace_event *ev)
{
    switch (ev->type) {
    case TRACE_EV_FORK: /* 0xffffffff: fork failed */
        s->sint(ctx, "child_pid", (int32_t)ev->arg);
        break;
    case TRACE_EV_PROCESS_WAIT:
        s->sint(ctx, "wait_pid", (int32_t)ev->arg);
        break;
    case TRACE_EV_PROCESS_EXIT:
        s->sint(ctx, "status", (int32_t)ev->arg);
        break;
    case TRACE_EV_SIGNAL_ENTER:
    case TRACE_EV_SIGNAL_LEAVE:
        s->uint(ctx, "signo", ev->arg);
        break;
    case TRACE_EV_EXEC_FAIL:
        s->uint(ctx, "errno", ev->arg);
        break;
    case TRACE_EV_THREAD_CREATE:
        s->uint(ctx, "child_serial", ev->arg);
        break;
    default:
        break;
    }
}
