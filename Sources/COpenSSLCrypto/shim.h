// MD5's block function from OpenSSL's libcrypto (hand-written assembly on x86-64 and arm64),
// driven from ShareCore's own MD5 state. `MD5_Update` is deprecated in OpenSSL 3 in favour of
// EVP, which cannot start from a saved state; ShareCore keeps each file's running MD5 state in
// its record, so it needs exactly the low-level form.
#ifndef SHARECORE_OPENSSL_MD5_SHIM_H
#define SHARECORE_OPENSSL_MD5_SHIM_H

#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/md5.h>
#include <stdint.h>
#include <string.h>

/// Processes `blocks` whole 64-byte blocks at `data` into the state words `state` (A, B, C, D).
/// Only the four words carry over: lengths and padding are the caller's.
static inline void sharecore_md5_blocks(uint32_t state[4], const void *data, size_t blocks) {
    MD5_CTX context;
    memset(&context, 0, sizeof context);
    context.A = state[0];
    context.B = state[1];
    context.C = state[2];
    context.D = state[3];
    // With nothing pending and a whole number of blocks, MD5_Update runs the block function
    // over them directly and keeps nothing back.
    MD5_Update(&context, data, blocks * 64);
    state[0] = context.A;
    state[1] = context.B;
    state[2] = context.C;
    state[3] = context.D;
}

#endif
