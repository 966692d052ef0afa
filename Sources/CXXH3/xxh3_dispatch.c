// Chooses, once, the xxh3-64 implementation for this CPU: the AVX2 build of xxh3_avx2.c when
// the CPU and the OS support AVX2, otherwise libxxhash's (whose x86-64 Debian build is SSE2).
#include "sharecore_xxh3.h"
#include <string.h>
#include <xxhash.h>

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__clang__)
#define SHARECORE_XXH3_HAS_AVX2 1
uint64_t sharecore_xxh3_64bits_avx2(const void *input, size_t length);
uint64_t sharecore_xxh3_64bits_copy_avx2(void *dest, const void *src, size_t length);
#endif

uint64_t sharecore_xxh3_64bits_library(const void *input, size_t length) {
    return XXH3_64bits(input, length);
}

static uint64_t sharecore_xxh3_64bits_copy_library(void *dest, const void *src, size_t length) {
    uint64_t hash = XXH3_64bits(src, length);
    if (length > 0) memcpy(dest, src, length);
    return hash;
}

typedef uint64_t (*sharecore_xxh3_fn)(const void *, size_t);
typedef uint64_t (*sharecore_xxh3_copy_fn)(void *, const void *, size_t);

static int sharecore_has_avx2(void) {
#ifdef SHARECORE_XXH3_HAS_AVX2
    // -1 unknown, 0 no, 1 yes. Racing first calls all store the same answer.
    static int known = -1;
    int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&known, answer, __ATOMIC_RELAXED);
    }
    return answer;
#else
    return 0;
#endif
}

uint64_t sharecore_xxh3_64bits(const void *input, size_t length) {
#ifdef SHARECORE_XXH3_HAS_AVX2
    if (sharecore_has_avx2()) return sharecore_xxh3_64bits_avx2(input, length);
#endif
    return sharecore_xxh3_64bits_library(input, length);
}

uint64_t sharecore_xxh3_64bits_copy(void *dest, const void *src, size_t length) {
#ifdef SHARECORE_XXH3_HAS_AVX2
    if (sharecore_has_avx2()) return sharecore_xxh3_64bits_copy_avx2(dest, src, length);
#endif
    return sharecore_xxh3_64bits_copy_library(dest, src, length);
}
