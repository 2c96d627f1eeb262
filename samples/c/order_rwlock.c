/* Sample (order workload): order_mutex.c on the write side of 3 rwlocks:
 * 4 threads x 100000 contended wrlock/unlock pairs.  Bug-free. */
#define ORDER_RWLOCK 1
#include "order_mutex.c"
