/* What the repository says about the trace must match the code: the
 * format version the spec names, and the license meson.build declares
 * must be there in full. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "rt.h"

static char *source_file(const char *name)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(root, "CTRACE_SOURCE_ROOT is not set");
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s", root, name), 0);
    size_t len;
    char *text = (char *)rt_slurp(path, &len);
    text[len] = '\0';
    free(path);
    return text;
}

/* Every "version N" the spec states as the current one is the version
 * files carry. */
Test(consistency, trace_format_doc_names_the_version_files_carry)
{
    char *doc = source_file("docs/trace-format.md");
    static const char *const says[] = {
        "# ctrace trace format, version ",
        "(`TRACE_FORMAT_VERSION`, now **",
        "this is its content for\nversion ",
    };
    for (size_t i = 0; i < sizeof says / sizeof *says; i++) {
        const char *at = strstr(doc, says[i]);
        cr_assert_not_null(at, "docs/trace-format.md no longer says '%s'",
                           says[i]);
        unsigned v = (unsigned)strtoul(at + strlen(says[i]), NULL, 10);
        cr_expect_eq(v, TRACE_FORMAT_VERSION,
                     "docs/trace-format.md: '%s%u', files carry version %u",
                     says[i], v, TRACE_FORMAT_VERSION);
    }
    free(doc);
}

Test(consistency, license_is_the_mit_text_meson_declares)
{
    char *meson = source_file("meson.build");
    cr_assert(strstr(meson, "license : 'MIT'"), "meson.build changed license");
    free(meson);
    char *lic = source_file("LICENSE");
    cr_expect(strstr(lic, "MIT License"), "%s", lic);
    cr_expect(strstr(lic, "Copyright (c) 2026 the ctrace authors"), "%s", lic);
    cr_expect(strstr(lic, "Permission is hereby granted, free of charge"), "%s",
              lic);
    cr_expect(strstr(lic, "THE SOFTWARE IS PROVIDED \"AS IS\""), "%s", lic);
    free(lic);
}
