#ifndef SHARECORE_PREFETCH_H
#define SHARECORE_PREFETCH_H

/// Asks the CPU to start loading the cache line that holds `address` into its caches. Only a
/// hint: it never faults, whatever the address, and changes nothing a program can observe but
/// time. (It lives in this target because it is the package's C target on the read path, next
/// to the hash that reads what it prefetches.)
static inline void sharecore_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
