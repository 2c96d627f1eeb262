/* The SARIF 2.1.0 report (`--format=sarif`), for code-scanning tools
 * that show findings inline in the source.  One rule per finding kind
 * (id = kind, shortDescription = why, from findings.def); one result per
 * finding, located at its first stack's top program frame (the first
 * frame outside libc and ctrace); every stack also as a SARIF `stack`,
 * and its top program frame as a related location labelled with the
 * stack's label.  Source paths under the current directory are written
 * relative to %SRCROOT% (which originalUriBaseIds sets to it). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctrace_config.h"
#include "report_internal.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *sarif_level(enum finding_severity s)
{
    return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "note";
}

/* Percent-encode what may not appear in a URI path. */
static void sarif_uri_encode(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~/!$&'()*+,;=:@", c)) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
}

/* The artifact URI of a source file: relative (with uriBaseId) when under
 * the current directory, else an absolute file URI.  Returns true when
 * relative. */
static bool sarif_uri(const char *path, char *buf, size_t len)
{
    char cwd[4096];
    if (path[0] == '/' && getcwd(cwd, sizeof(cwd))) {
        size_t n = strlen(cwd);
        if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/') {
            sarif_uri_encode(path + n + 1, buf, len);
            return true;
        }
    }
    if (path[0] != '/') {
        sarif_uri_encode(path, buf, len);
        return true;
    }
    snprintf(buf, len, "file://");
    sarif_uri_encode(path, buf + strlen(buf), len - strlen(buf));
    return false;
}

static void sarif_physical(struct jsonw *w, const struct sym_frame *f)
{
    char uri[4096];
    bool rel = sarif_uri(f->file, uri, sizeof(uri));
    jsonw_begin_object(w, "physicalLocation");
    jsonw_begin_object(w, "artifactLocation");
    jsonw_string(w, "uri", uri);
    if (rel)
        jsonw_string(w, "uriBaseId", "%SRCROOT%");
    jsonw_end_object(w);
    if (f->line > 0) {
        jsonw_begin_object(w, "region");
        jsonw_int(w, "startLine", f->line);
        if (f->column > 0)
            jsonw_int(w, "startColumn", f->column);
        jsonw_end_object(w);
    }
    jsonw_end_object(w);
}

/* A SARIF location object for a frame; `id` 0 and `message` NULL leave
 * those members out. */
static void sarif_location(struct jsonw *w, const char *key, unsigned id,
                           const struct sym_frame *f, const char *message)
{
    char name[768];
    jsonw_begin_object(w, key);
    if (id)
        jsonw_uint(w, "id", id);
    if (f->file)
        sarif_physical(w, f);
    sym_frame_format(f, true, name, sizeof(name));
    jsonw_begin_array(w, "logicalLocations");
    jsonw_begin_object(w, NULL);
    jsonw_string(w, "fullyQualifiedName", f->function ? f->function : name);
    jsonw_string(w, "kind", "function");
    jsonw_end_object(w);
    jsonw_end_array(w);
    if (message) {
        jsonw_begin_object(w, "message");
        jsonw_string(w, "text", message);
        jsonw_end_object(w);
    }
    jsonw_end_object(w);
}

static void sarif_rules(struct jsonw *w)
{
    jsonw_begin_array(w, "rules");
    for (int k = 0; k < FINDING_KIND_COUNT; k++) {
        jsonw_begin_object(w, NULL);
        jsonw_string(w, "id", finding_kind_name(k));
        jsonw_begin_object(w, "shortDescription");
        jsonw_string(w, "text", finding_kind_why(k));
        jsonw_end_object(w);
        jsonw_begin_object(w, "defaultConfiguration");
        jsonw_string(w, "level", sarif_level(finding_kind_severity(k)));
        jsonw_end_object(w);
        jsonw_end_object(w);
    }
    jsonw_end_array(w);
}

/* One finding stack as a SARIF stack object. */
static void sarif_stack(struct jsonw *w, const struct report_input *in,
                        const struct finding *f, const struct finding_stack *st,
                        const struct sym_frame *frames, size_t n)
{
    char label[1024];
    const struct trace_thread *t = report_thread(in, st->thread);
    report_stack_title(in, f, st, label, sizeof(label));
    jsonw_begin_object(w, NULL);
    jsonw_begin_object(w, "message");
    jsonw_string(w, "text", label);
    jsonw_end_object(w);
    jsonw_begin_array(w, "frames");
    for (size_t i = 0; i < n; i++) {
        jsonw_begin_object(w, NULL);
        sarif_location(w, "location", 0, &frames[i], NULL);
        if (frames[i].module)
            jsonw_string(w, "module", frames[i].module);
        if (t)
            jsonw_uint(w, "threadId", t->tid);
        jsonw_end_object(w);
    }
    jsonw_end_array(w);
    jsonw_end_object(w);
}

static void sarif_result(struct jsonw *w, const struct report_input *in,
                         const struct finding *f)
{
    size_t ns = f->nstacks;
    struct sym_frame *frames =
        malloc((ns ? ns : 1) * REPORT_MAX_FRAMES * sizeof(*frames));
    size_t *nf = calloc(ns ? ns : 1, sizeof(*nf));
    if (!frames || !nf)
        abort();
    for (size_t i = 0; i < ns; i++)
        nf[i] = report_stack_frames(in, &f->stacks[i],
                                    &frames[i * REPORT_MAX_FRAMES],
                                    REPORT_MAX_FRAMES);
    char message[1024];
    report_finding_text(in, f, f->message, message, sizeof(message));
    jsonw_begin_object(w, NULL);
    jsonw_string(w, "ruleId", finding_kind_name(f->kind));
    jsonw_uint(w, "ruleIndex", (uint64_t)f->kind);
    jsonw_string(w, "level", sarif_level(f->severity));
    jsonw_begin_object(w, "message");
    jsonw_string(w, "text", message);
    jsonw_end_object(w);
    jsonw_begin_array(w, "locations");
    for (size_t i = 0; i < ns; i++) {
        if (nf[i] == 0)
            continue;
        const struct sym_frame *sf = &frames[i * REPORT_MAX_FRAMES];
        sarif_location(w, NULL, 0, &sf[report_top_frame(sf, nf[i])], NULL);
        break;
    }
    jsonw_end_array(w);
    jsonw_begin_array(w, "relatedLocations");
    for (size_t i = 0; i < ns; i++) {
        if (nf[i] == 0)
            continue;
        const struct sym_frame *sf = &frames[i * REPORT_MAX_FRAMES];
        char label[1024];
        report_stack_title(in, f, &f->stacks[i], label, sizeof(label));
        sarif_location(w, NULL, (unsigned)i + 1,
                       &sf[report_top_frame(sf, nf[i])], label);
    }
    jsonw_end_array(w);
    jsonw_begin_array(w, "stacks");
    for (size_t i = 0; i < ns; i++)
        sarif_stack(w, in, f, &f->stacks[i], &frames[i * REPORT_MAX_FRAMES],
                    nf[i]);
    jsonw_end_array(w);
    jsonw_end_object(w);
    free(frames);
    free(nf);
}

int report_write_sarif(FILE *out, const struct report_input *in)
{
    const struct analysis_result *res = in->res;
    char cwd[4096], uri[4200];
    struct jsonw w;
    jsonw_init(&w, out, true);
    jsonw_begin_object(&w, NULL);
    jsonw_string(&w, "$schema", SARIF_SCHEMA);
    jsonw_string(&w, "version", "2.1.0");
    jsonw_begin_array(&w, "runs");
    jsonw_begin_object(&w, NULL);

    jsonw_begin_object(&w, "tool");
    jsonw_begin_object(&w, "driver");
    jsonw_string(&w, "name", "ctrace");
    jsonw_string(&w, "version", CTRACE_VERSION);
    sarif_rules(&w);
    jsonw_end_object(&w);
    jsonw_end_object(&w);

    if (getcwd(cwd, sizeof(cwd))) {
        /* a base URI ends with a slash */
        snprintf(uri, sizeof(uri), "file://");
        sarif_uri_encode(strcmp(cwd, "/") ? cwd : "", uri + 7, sizeof(uri) - 8);
        strcat(uri, "/");
        jsonw_begin_object(&w, "originalUriBaseIds");
        jsonw_begin_object(&w, "%SRCROOT%");
        jsonw_string(&w, "uri", uri);
        jsonw_end_object(&w);
        jsonw_end_object(&w);
    }

    size_t *order = report_finding_order(res);
    jsonw_begin_array(&w, "results");
    for (size_t i = 0; i < res->nfindings; i++)
        sarif_result(&w, in, &res->findings[order[i]]);
    jsonw_end_array(&w);
    free(order);

    if (res->nnotes) {
        jsonw_begin_object(&w, "properties");
        jsonw_begin_array(&w, "notes");
        for (size_t i = 0; i < res->nnotes; i++)
            jsonw_string(&w, NULL, res->notes[i]);
        jsonw_end_array(&w);
        jsonw_end_object(&w);
    }

    jsonw_end_object(&w);
    jsonw_end_array(&w);
    jsonw_end_object(&w);
    fflush(out);
    return ferror(out) ? -1 : 0;
}
