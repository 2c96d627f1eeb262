/* The ncurses viewer: `ctrace view [--follow] DIR` and the screen of
 * `ctrace run --live`.  This header is the viewer's whole public face;
 * tui/ui.h is shared by its own files only.
 */
#ifndef CTRACE_TUI_VIEW_H
#define CTRACE_TUI_VIEW_H

#include <stdbool.h>
#include <sys/types.h>

/* Explore the trace in dir; with `follow`, keep reading it while it
 * grows (the program runs elsewhere and keeps running when the viewer
 * quits).  Returns the exit status for the command (0, or 1 with the
 * reason printed when the trace cannot be read or there is no
 * terminal). */
int tui_view_main(const char *dir, bool follow);

/* `ctrace run --live`: follow the trace in dir that `child` is writing.
 * On quit, while the program still runs, asks whether to kill it (then
 * SIGKILL).  Returns 0, or 1 with the reason printed; the caller then
 * waits for the child as usual. */
int tui_live_main(const char *dir, pid_t child);

#endif
