// xxhash.h's own XXH3 code, inlined and compiled for AVX2 (this file only; its function is
// called only when the CPU has AVX2, see xxh3_dispatch.c). Gives the same values as libxxhash.
#include "sharecore_xxh3.h"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__clang__)
// The headers xxhash.h includes, first, so that the target attribute below reaches only
// xxhash's functions and ours.
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#pragma clang attribute push (__attribute__((target("avx2"))), apply_to = function)
#define XXH_INLINE_ALL
#define XXH_VECTOR 2 /* XXH_AVX2 */
#include <xxhash.h>

uint64_t sharecore_xxh3_64bits_avx2(const void *input, size_t length) {
    return XXH3_64bits(input, length);
}

// Hashes 4 KiB, then copies those 4 KiB while they are in L1, and so on: xxh3's streaming
// form gives the same value as the one-shot form.
uint64_t sharecore_xxh3_64bits_copy_avx2(void *dest, const void *src, size_t length) {
    enum { piece = 4096 };
    if (length <= piece) {
        uint64_t hash = XXH3_64bits(src, length);
        if (length > 0) memcpy(dest, src, length);
        return hash;
    }
    XXH3_state_t state;
    XXH3_64bits_reset(&state);
    const unsigned char *in = (const unsigned char *)src;
    unsigned char *out = (unsigned char *)dest;
    for (size_t at = 0; at < length; at += piece) {
        size_t take = length - at < piece ? length - at : piece;
        XXH3_64bits_update(&state, in + at, take);
        memcpy(out + at, in + at, take);
    }
    return XXH3_64bits_digest(&state);
}
#pragma clang attribute pop
#endif
