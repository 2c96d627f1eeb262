/* Helpers shared by the race tests (see races_test.h). */
#include "races_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void races_run(struct races_run *r, const char *const argv[])
{
    memset(r, 0, sizeof *r);
    r->trace_dir = e2e_trace_dir();
    const char *args[64] = {"ctrace", "run", "--no-report", "-o", r->trace_dir};
    size_t n = 5;
    for (size_t i = 0; argv[i] && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    cr_assert_eq(e2e_run(&r->run, args), 0, "cannot start ctrace");
    cr_assert(!r->run.timed_out, "%s timed out", argv[0]);
    struct e2e_result rep;
    const char *rargs[] = {"ctrace", "report", "--format=json", r->trace_dir,
                           NULL};
    cr_assert_eq(e2e_run(&rep, rargs), 0, "cannot start ctrace report");
    r->report = json_parse(rep.out);
    cr_assert_not_null(r->report,
                       "ctrace report --format=json %s gave no "
                       "JSON (status %d): %s",
                       r->trace_dir, rep.status, rep.err);
    r->report_text = strdup(rep.out);
    e2e_result_free(&rep);
}

void races_check_schema(const struct races_run *r)
{
    char *path = NULL, *cmd = NULL, *out = NULL;
    cr_assert_geq(asprintf(&path, "%s.json", r->trace_dir), 0);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(r->report_text, f);
    fclose(f);
    cr_assert_geq(asprintf(&cmd, "python3 %s schema %s %s",
                           races_source("tests/analyzer/report_check.py"),
                           races_source("docs/report-schema.json"), path),
                  0);
    int st = races_sh(cmd, &out);
    if (st == 2)
        cr_log_warn("schema not checked: %s", out);
    else
        cr_assert_eq(st, 0, "the report does not match the schema: %s", out);
    free(out);
    free(cmd);
    free(path);
}

void races_run_free(struct races_run *r)
{
    e2e_result_free(&r->run);
    json_free(r->report);
    free(r->report_text);
    r->report = NULL;
    r->report_text = NULL;
}

const struct json *races_findings(const struct races_run *r)
{
    return json_get(r->report, "findings");
}

size_t races_count_kind(const struct races_run *r, const char *kind)
{
    const struct json *f = races_findings(r);
    size_t n = 0;
    for (size_t i = 0; i < json_len(f); i++) {
        const char *k = json_str(json_at(f, i), "kind");
        n += k && strcmp(k, kind) == 0;
    }
    return n;
}

static const struct json *first_frame(const struct json *finding, size_t i)
{
    const struct json *st = json_at(json_get(finding, "stacks"), i);
    return json_at(json_get(st, "frames"), 0);
}

int races_stack_line(const struct json *finding, size_t i)
{
    return (int)json_num(first_frame(finding, i), "line", 0);
}

const char *races_stack_file(const struct json *finding, size_t i)
{
    const char *f = json_str(first_frame(finding, i), "file");
    if (!f)
        return "";
    const char *b = strrchr(f, '/');
    return b ? b + 1 : f;
}

size_t races_markers(const char *path, const char *marker, int *lines,
                     size_t max)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    char buf[1024], c_style[64], cxx_style[64];
    snprintf(c_style, sizeof c_style, "/* %s */", marker);
    snprintf(cxx_style, sizeof cxx_style, "// %s", marker);
    size_t n = 0;
    for (int line = 1; fgets(buf, sizeof buf, f); line++)
        if ((strstr(buf, c_style) || strstr(buf, cxx_style)) && n < max)
            lines[n++] = line;
    fclose(f);
    return n;
}

const char *races_source(const char *rel)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    char *p = NULL;
    cr_assert_geq(asprintf(&p, "%s/%s", root ? root : ".", rel), 0);
    return p;
}

const char *races_shim_dir(void)
{
    const char *d = getenv("CTRACE_SHIM_DIR");
    cr_assert_not_null(d, "CTRACE_SHIM_DIR is not set");
    return d;
}

int races_sh(const char *cmd, char **out)
{
    struct e2e_result r;
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    cr_assert_eq(e2e_run(&r, argv), 0, "cannot run /bin/sh");
    int status = r.status;
    if (out) {
        cr_assert_geq(asprintf(out, "%s%s", r.out, r.err), 0);
    }
    e2e_result_free(&r);
    return status;
}

bool races_have(const char *compiler)
{
    char *cmd = NULL;
    cr_assert_geq(asprintf(&cmd, "command -v %s >/dev/null 2>&1", compiler), 0);
    bool ok = races_sh(cmd, NULL) == 0;
    free(cmd);
    return ok;
}
