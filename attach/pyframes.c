/* CPython 3.11 frames (pyframes.h). */
#include "pyframes.h"
#include "unwind.h"

void pyframes_read(struct snapshot *s, uint32_t pi, struct unwind *u)
{
    (void)s;
    (void)pi;
    (void)u;
}
