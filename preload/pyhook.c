/* The public hook for exceptions of interpreted code (Python, docs/python.md):
 *
 *   void ctrace_record_exception(const char *kind, const char *type,
 *                                const char *message, const char *traceback);
 *
 * records one python-exception event (struct trace_pyexc_info, then the
 * four strings) in the calling thread; the analyzer groups it with every
 * other failure of the run (analyzer/excgroup.c).  A Python startup module
 * finds it with ctypes (`ctypes.CDLL(None).ctrace_record_exception`), so
 * it is exported with default visibility and its name never changes.
 *
 * `kind` says how the exception ended: "uncaught" (the process dies of
 * it; NULL or "" mean the same), "thread" (a thread died of it), "pool"
 * (a worker sent it back to its parent) or anything else (shown as is).
 * Any argument may be NULL.
 * The payload is cut to TRACE_PAYLOAD_MAX: the traceback keeps its end,
 * where Python prints the innermost frames.
 *
 * THIS CODE RUNS INSIDE THE TRACED PROGRAM (preload/shim.h): it never
 * changes errno and never crashes on bad input.  It is called from normal
 * code, not from signal handlers, so a 4 KiB stack buffer is fine.
 */
#include <string.h>

#include "shim.h"

/* Largest share of the payload each string may take before the
 * traceback gets the rest. */
#define PYHOOK_KIND_MAX 32u
#define PYHOOK_TYPE_MAX 256u
#define PYHOOK_MESSAGE_MAX 1024u

static const char pyhook_cut[] = "...\n";

/* Copy `src` (NULL: "") into dst with at most `room` bytes including the
 * NUL.  With `keep_tail`, a string that does not fit keeps its end behind
 * "...\n".  Returns the bytes written, NUL included (0 when room is 0). */
static uint32_t pyhook_put(char *dst, uint32_t room, const char *src,
                           bool keep_tail)
{
    if (room == 0)
        return 0;
    size_t len = src ? strlen(src) : 0;
    if (len < room) {
        if (len)
            memcpy(dst, src, len);
        dst[len] = '\0';
        return (uint32_t)len + 1;
    }
    uint32_t keep = room - 1;
    size_t cut = sizeof pyhook_cut - 1;
    if (keep_tail && keep > cut) {
        memcpy(dst, pyhook_cut, cut);
        memcpy(dst + cut, src + len - (keep - cut), keep - cut);
    } else {
        memcpy(dst, src, keep);
    }
    dst[keep] = '\0';
    return room;
}

static uint32_t pyhook_min(uint32_t a, uint32_t b) { return a < b ? a : b; }

SHIM_EXPORT void ctrace_record_exception(const char *kind, const char *type,
                                         const char *message,
                                         const char *traceback)
{
    int saved = errno;
    struct trace_thread_writer *w = shim_writer();
    if (!w) {
        errno = saved;
        return;
    }
    union {
        struct trace_pyexc_info info;
        char bytes[TRACE_PAYLOAD_MAX];
    } buf;
    uint32_t off = sizeof buf.info;
    uint32_t left = TRACE_PAYLOAD_MAX - off;
    /* three short strings first, each at least an empty one */
    uint32_t n = pyhook_put(buf.bytes + off, pyhook_min(PYHOOK_KIND_MAX, left),
                            kind, false);
    buf.info.kind_len = (uint16_t)n;
    off += n, left -= n;
    n = pyhook_put(buf.bytes + off, pyhook_min(PYHOOK_TYPE_MAX, left), type,
                   false);
    buf.info.type_len = (uint16_t)n;
    off += n, left -= n;
    n = pyhook_put(buf.bytes + off, pyhook_min(PYHOOK_MESSAGE_MAX, left),
                   message, false);
    buf.info.message_len = (uint16_t)n;
    off += n, left -= n;
    n = pyhook_put(buf.bytes + off, left, traceback, true);
    buf.info.traceback_len = (uint16_t)n;
    off += n;
    shim_event_payload(w, TRACE_EV_PY_EXCEPTION, NULL, SHIM_SITE, buf.bytes,
                       off);
    errno = saved;
}
