#ifndef SHARECORE_CLMDB_SHIM_H
#define SHARECORE_CLMDB_SHIM_H
#include <lmdb.h>
#endif
