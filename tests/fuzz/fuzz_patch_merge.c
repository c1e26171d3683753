/*
 * libFuzzer target: the RFC 7386 merge patch engine (host/apiserver/patch.c).
 * Input: "DOC\0PATCH" or a bare PATCH, see fuzz_patch.h.
 */
#include "fuzz_patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_patch_run(CP_PATCH_MERGE, data, size);
}
