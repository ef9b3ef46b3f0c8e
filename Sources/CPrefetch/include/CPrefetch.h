#ifndef ACD_CPREFETCH_H
#define ACD_CPREFETCH_H

/// Asks the processor to start loading the cache line at `address`, without waiting for it, ready to be written
/// (the engine changes most of what it reads) and kept in every cache level. Swift has no such hint of its own.
static inline void acd_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
