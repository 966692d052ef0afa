#ifndef SHARECORE_CXXHASH_SHIM_H
#define SHARECORE_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
