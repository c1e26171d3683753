/*
 * fuzz_continue - libFuzzer target for apiserver/continue_token: any
 * client-supplied token decodes or is refused without leaking, and what
 * decodes encodes back to an equivalent token.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/continue_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *tok = malloc(size + 1), *again;
  uint8_t *start = NULL, *start2 = NULL;
  size_t len = 0, len2 = 0;
  int64_t rev = 0, rev2 = 0;

  if (tok == NULL)
    return 0;
  memcpy(tok, data, size);
  tok[size] = '\0';
  if (cp_continue_decode(tok, &rev, &start, &len) < 0) {
    if (start != NULL || len != 0)
      abort();
    free(tok);
    return 0;
  }
  if (rev <= 0 || start == NULL || len == 0 || len > CP_CONTINUE_MAX_KEY)
    abort();
  again = cp_continue_encode(rev, start, len);
  if (again == NULL ||
      cp_continue_decode(again, &rev2, &start2, &len2) != 0 ||
      rev2 != rev || len2 != len || memcmp(start, start2, len) != 0)
    abort();
  free(again);
  free(start2);
  free(start);
  free(tok);
  return 0;
}
