/* Test program for tests/cli: linked with -static, so ctrace must refuse
 * it (no PT_INTERP: no dynamic loader, no LD_PRELOAD). */
#include <stdio.h>

int main(void)
{
    puts("static program ran");
    return 0;
}
