#ifndef SHARECORE_XXH3_H
#define SHARECORE_XXH3_H

#include <stddef.h>
#include <stdint.h>

/// xxh3-64 (seed 0) of `length` bytes at `input`: the same value as libxxhash's `XXH3_64bits`,
/// computed with AVX2 when the CPU has it (libxxhash's Debian build uses SSE2 only, about half
/// the speed on long inputs), otherwise by libxxhash.
uint64_t sharecore_xxh3_64bits(const void *input, size_t length);

/// Copies `length` bytes from `src` to `dest` (which must not overlap) and returns their
/// xxh3-64, in one pass over `src`: with AVX2 it hashes 4 KiB at a time and copies each piece
/// right after, while it is in the L1 cache (faster than hashing, then copying, and even than
/// one large `memcpy` on the machines measured).
uint64_t sharecore_xxh3_64bits_copy(void *dest, const void *src, size_t length);

/// libxxhash's own `XXH3_64bits`, whatever the CPU (tests compare the two).
uint64_t sharecore_xxh3_64bits_library(const void *input, size_t length);

#endif
