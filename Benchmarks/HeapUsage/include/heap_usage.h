#ifndef GLOSS_HEAP_USAGE_H
#define GLOSS_HEAP_USAGE_H
#include <stddef.h>

/// Bytes currently allocated through malloc by this process (glibc's mallinfo2 uordblks), or 0 where unavailable.
size_t gloss_heap_in_use(void);

#endif
