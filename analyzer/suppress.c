/* ThreadSanitizer-syntax suppressions: parsing, glob matching against a
 * finding's symbolized frames and object names, and removal of the
 * suppressed findings.  The rule types and their kinds are in suppress.h;
 * the one table below (suppress_types) is their only code form. */
#include "suppress.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

enum suppress_scope {
    SCOPE_ANY_FRAME, /* every frame of every stack, and object names */
    SCOPE_TOP_FRAME, /* each stack's top program frame */
    SCOPE_LIBRARY,   /* module of each stack's top program frame */
};

struct suppress_rule {
    uint64_t kinds; /* bit per enum finding_kind */
    enum suppress_scope scope;
    char *pattern;
};

struct suppressions {
    struct suppress_rule *rules;
    size_t n, cap;
};

#define KBIT(id) (1ull << FINDING_##id)

static const struct {
    const char *type;
    uint64_t kinds;
    enum suppress_scope scope;
} suppress_types[] = {
    {"deadlock", KBIT(LOCK_ORDER_INVERSION) | KBIT(DEADLOCK) | KBIT(HANG),
     SCOPE_ANY_FRAME},
    {"mutex",
     KBIT(DOUBLE_LOCK) | KBIT(UNLOCK_OF_UNLOCKED) | KBIT(UNLOCK_BY_NON_OWNER) |
         KBIT(DESTROY_OF_LOCKED) | KBIT(USE_OF_DESTROYED) |
         KBIT(COND_WAIT_WITHOUT_MUTEX) | KBIT(COND_MULTIPLE_MUTEXES) |
         KBIT(EXIT_HOLDING_LOCK) | KBIT(SEM_MISUSE) | KBIT(BARRIER_MISUSE) |
         KBIT(FORK_WITH_LOCK_HELD),
     SCOPE_ANY_FRAME},
    {"thread", KBIT(THREAD_LEAK) | KBIT(INVALID_JOIN), SCOPE_ANY_FRAME},
    {"race", KBIT(DATA_RACE), SCOPE_ANY_FRAME},
    {"race_top", KBIT(DATA_RACE), SCOPE_TOP_FRAME},
    {"signal", KBIT(LOCK_IN_SIGNAL_HANDLER), SCOPE_ANY_FRAME},
    {"called_from_lib", ~0ull, SCOPE_LIBRARY},
};

_Static_assert(FINDING_KIND_COUNT <= 64, "suppression kind masks are 64 bit");

/* ---- patterns ---- */

/* Glob with `*` only, anchored at both ends. */
static bool suppress_glob(const char *p, const char *t)
{
    const char *star = NULL, *resume = NULL;
    while (*t) {
        if (*p == '*') {
            star = ++p;
            resume = t;
        } else if (*p && *p == *t) {
            p++;
            t++;
        } else if (star) {
            p = star;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool suppress_pattern_match(const char *pattern, const char *text)
{
    if (!text || !*text)
        return false;
    size_t n = strlen(pattern);
    bool start = n > 0 && pattern[0] == '^';
    bool end = n > (size_t)start && pattern[n - 1] == '$';
    char buf[1024];
    size_t body = n - (size_t)start - (size_t)end;
    if (body + 3 > sizeof(buf))
        return false;
    size_t o = 0;
    if (!start)
        buf[o++] = '*';
    memcpy(buf + o, pattern + start, body);
    o += body;
    if (!end)
        buf[o++] = '*';
    buf[o] = '\0';
    return suppress_glob(buf, text);
}

/* ---- parsing ---- */

static char *suppress_trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int suppress_add(struct suppressions *s, const char *type,
                        const char *pattern)
{
    struct suppress_rule r = {0};
    bool known = false;
    for (size_t i = 0; i < sizeof(suppress_types) / sizeof(suppress_types[0]);
         i++) {
        if (strcmp(type, suppress_types[i].type) == 0) {
            r.kinds = suppress_types[i].kinds;
            r.scope = suppress_types[i].scope;
            known = true;
        }
    }
    int k = finding_kind_from_name(type);
    if (!known && k >= 0) {
        r.kinds = 1ull << k;
        r.scope = SCOPE_ANY_FRAME;
        known = true;
    }
    if (!known)
        return -1;
    r.pattern = strdup(pattern);
    if (!r.pattern)
        abort();
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->rules = realloc(s->rules, s->cap * sizeof(*s->rules));
        if (!s->rules)
            abort();
    }
    s->rules[s->n++] = r;
    return 0;
}

/* One line: 0 ok (or nothing), -1 with err filled. */
static int suppress_parse_line(struct suppressions *s, char *line,
                               const char *origin, unsigned lineno, char *err,
                               size_t errlen)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    line = suppress_trim(line);
    if (!*line)
        return 0;
    char *colon = strchr(line, ':');
    if (!colon) {
        snprintf(err, errlen,
                 "%s:%u: expected 'type:pattern' (for example "
                 "'deadlock:worker_*'), got '%s'",
                 origin, lineno, line);
        return -1;
    }
    *colon = '\0';
    char *type = suppress_trim(line);
    char *pattern = suppress_trim(colon + 1);
    if (!*pattern) {
        snprintf(err, errlen, "%s:%u: empty pattern after '%s:'", origin,
                 lineno, type);
        return -1;
    }
    if (suppress_add(s, type, pattern) != 0) {
        snprintf(err, errlen,
                 "%s:%u: unknown suppression type '%s' (known: deadlock, "
                 "mutex, thread, race, race_top, signal, called_from_lib, or "
                 "a finding kind)",
                 origin, lineno, type);
        return -1;
    }
    return 0;
}

struct suppressions *suppress_parse(const char *text, const char *origin,
                                    char *err, size_t errlen)
{
    struct suppressions *s = calloc(1, sizeof(*s));
    char *copy = strdup(text);
    if (!s || !copy)
        abort();
    unsigned lineno = 0;
    char *save = NULL;
    /* strtok_r would skip empty lines and miscount: split by hand */
    for (char *line = copy; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        if (suppress_parse_line(s, line, origin, lineno, err, errlen) != 0) {
            free(copy);
            suppress_free(s);
            return NULL;
        }
    }
    free(copy);
    return s;
}

struct suppressions *suppress_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read suppressions file %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + got + 1 > cap) {
            cap = 2 * (len + got + 1);
            text = realloc(text, cap);
            if (!text)
                abort();
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        snprintf(err, errlen, "cannot read suppressions file %s", path);
        return NULL;
    }
    if (!text)
        text = calloc(1, 1);
    else
        text[len] = '\0';
    struct suppressions *s = suppress_parse(text, path, err, errlen);
    free(text);
    return s;
}

void suppress_free(struct suppressions *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->rules[i].pattern);
    free(s->rules);
    free(s);
}

size_t suppress_rule_count(const struct suppressions *s)
{
    return s ? s->n : 0;
}

/* ---- matching ---- */

static bool suppress_frame_match(const char *pattern, const struct sym_frame *f)
{
    return suppress_pattern_match(pattern, f->function) ||
           suppress_pattern_match(pattern, f->file) ||
           suppress_pattern_match(pattern, f->module);
}

static bool suppress_objects_match(const char *pattern,
                                   const struct report_input *in,
                                   const struct finding *f)
{
    char name[256];
    for (size_t i = 0; i < f->nobjects && i < 32; i++) {
        report_object_name(in, &f->objects[i], name, sizeof(name));
        if (suppress_pattern_match(pattern, name))
            return true;
    }
    return false;
}

static bool suppress_stack_match(const struct suppress_rule *r,
                                 const struct sym_frame *frames, size_t n)
{
    if (n == 0)
        return false;
    size_t top = report_top_frame(frames, n);
    switch (r->scope) {
    case SCOPE_TOP_FRAME:
        return suppress_frame_match(r->pattern, &frames[top]);
    case SCOPE_LIBRARY:
        return suppress_pattern_match(r->pattern, frames[top].module);
    case SCOPE_ANY_FRAME:
        for (size_t i = 0; i < n; i++)
            if (suppress_frame_match(r->pattern, &frames[i]))
                return true;
        return false;
    }
    return false;
}

bool suppress_match(const struct suppressions *s, const struct report_input *in,
                    const struct finding *f)
{
    if (!s || s->n == 0)
        return false;
    struct sym_frame *frames = malloc(REPORT_MAX_FRAMES * sizeof(*frames));
    if (!frames)
        abort();
    bool hit = false;
    for (size_t i = 0; i < s->n && !hit; i++) {
        const struct suppress_rule *r = &s->rules[i];
        if (!(r->kinds & (1ull << f->kind)))
            continue;
        if (r->scope == SCOPE_ANY_FRAME &&
            suppress_objects_match(r->pattern, in, f)) {
            hit = true;
            break;
        }
        for (size_t k = 0; k < f->nstacks && !hit; k++) {
            size_t n = report_stack_frames(in, &f->stacks[k], frames,
                                           REPORT_MAX_FRAMES);
            hit = suppress_stack_match(r, frames, n);
        }
    }
    free(frames);
    return hit;
}

size_t suppress_apply(const struct suppressions *s,
                      const struct report_input *in,
                      struct analysis_result *res)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < res->nfindings; i++) {
        struct finding *f = &res->findings[i];
        if (suppress_match(s, in, f)) {
            free(f->stacks);
            f->stacks = NULL;
            removed++;
            continue;
        }
        if (kept != i)
            res->findings[kept] = *f;
        kept++;
    }
    res->nfindings = kept;
    return removed;
}
