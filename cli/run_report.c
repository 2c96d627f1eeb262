/* The report step of `ctrace run` (see run.h): the same pipeline as
 * `ctrace report` (analyzer/report.h), printed to stderr as text. */
#include "run.h"

#include <stdio.h>
#include <string.h>

#include "report.h"

int run_report(const char *dir, const struct run_options *opts)
{
    struct report_options ro = {
        .format = REPORT_FORMAT_TEXT,
        .color = (enum report_color)report_color_from_name(
            opts->color ? opts->color : "auto"),
        .suppressions = opts->suppressions,
        .hang_timeout_s =
            opts->hang_timeout > 0 ? (unsigned)opts->hang_timeout : 0,
        .exceptions_all =
            opts->exceptions && strcmp(opts->exceptions, "all") == 0,
    };
    return report_print_for_run(dir, &ro, stderr);
}
