/* The event table as data: names and flags for every event type, expanded
 * once from events.def so that `ctrace dump`, the JSON output and the
 * reader all agree on what a type number means. */
#include <string.h>

#include "reader.h"

struct event_desc {
    const char *name;
    uint32_t flags;
    uint8_t family;
};

static const struct event_desc event_table[TRACE_EV_LIMIT] = {
#define EV(id, num, name, fam, flags, doc)                                     \
    [num] = {name, flags, TRACE_FAM_##fam},
#include "events.def"
#undef EV
};

const char *trace_event_name(uint32_t type)
{
    return type < TRACE_EV_LIMIT ? event_table[type].name : NULL;
}

uint32_t trace_event_flags(uint32_t type)
{
    return type < TRACE_EV_LIMIT ? event_table[type].flags : 0;
}

uint32_t trace_event_family(uint32_t type)
{
    return type < TRACE_EV_LIMIT ? event_table[type].family : TRACE_FAM_META;
}

int trace_event_from_name(const char *name)
{
    if (!name)
        return -1;
    for (uint32_t t = 0; t < TRACE_EV_LIMIT; t++)
        if (event_table[t].name && strcmp(event_table[t].name, name) == 0)
            return (int)t;
    return -1;
}
