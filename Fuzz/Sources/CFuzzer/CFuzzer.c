// Only declarations live in this module (include/CFuzzer.h); libFuzzer defines them.
#include "CFuzzer.h"
