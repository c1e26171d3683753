/*
 * base64 - RFC 4648 base64 as Go's encoding/base64 does it, the one
 * implementation the host uses: the standard and URL alphabets, padded
 * or not (Go's StdEncoding, RawStdEncoding, URLEncoding,
 * RawURLEncoding), and Go's decoding rules, because what kube-apiserver
 * accepts or refuses is what Go's decoder does:
 *   - \r and \n anywhere are skipped;
 *   - a padded encoding wants exactly the padding the length calls for
 *     ("YQ" and "YQ=" are refused, "YQ==" is "a"), a raw one none;
 *   - nothing may follow the padding;
 *   - the unused bits of the last character are ignored ("YR==" is "a"),
 *     unless strict (Go's Encoding.Strict()), which refuses them.
 * A refusal names the offset of the first bad byte, as Go's
 * CorruptInputError ("illegal base64 data at input byte N").
 *
 *   char *s = cp_base64_encode(CP_BASE64_STD, "hello", 5);  "aGVsbG8="
 *   unsigned char *b = cp_base64_decode(CP_BASE64_RAW_URL, 1, tok, len, &n);
 *
 * Threading: pure functions. Ownership: the malloc'd results are the
 * caller's.
 */
#ifndef CPLANE_HOST_ENCODING_BASE64_H
#define CPLANE_HOST_ENCODING_BASE64_H

#include <stddef.h>

enum cp_base64_enc {
  CP_BASE64_STD,     /* A-Z a-z 0-9 + /, padded with '=' */
  CP_BASE64_RAW_STD, /* the same without padding */
  CP_BASE64_URL,     /* A-Z a-z 0-9 - _, padded with '=' */
  CP_BASE64_RAW_URL  /* the same without padding (JWS, RFC 7515) */
};

/* Characters the encoding of n bytes takes (no NUL); 0 when that would
 * not fit a size_t. */
size_t cp_base64_encoded_len(enum cp_base64_enc e, size_t n);
/* Writes the encoding of src[0..n) to dst, which holds at least
 * cp_base64_encoded_len(e, n) characters (no NUL is written). Returns
 * that length. */
size_t cp_base64_encode_to(enum cp_base64_enc e, char *dst, const void *src,
                           size_t n);
/* The encoding of src[0..n), NUL-terminated; malloc'd, NULL when out of
 * memory. */
char *cp_base64_encode(enum cp_base64_enc e, const void *src, size_t n);

/* The most bytes len characters decode to: room enough for
 * cp_base64_decode_to. */
size_t cp_base64_decoded_max(size_t len);
/* Decodes s[0..len) by the rules above into dst (NULL: only checks),
 * which holds cp_base64_decoded_max(len) bytes; *n (if not NULL) gets
 * the count. Returns 0, or -1 with *bad (if not NULL) the offset of the
 * first bad byte. */
int cp_base64_decode_to(enum cp_base64_enc e, int strict, unsigned char *dst,
                        const char *s, size_t len, size_t *n, size_t *bad);
/* The bytes s[0..len) decodes to, NUL-terminated (the NUL not counted in
 * *n); malloc'd, NULL when s is not valid or out of memory. */
unsigned char *cp_base64_decode(enum cp_base64_enc e, int strict,
                                const char *s, size_t len, size_t *n);

#endif /* CPLANE_HOST_ENCODING_BASE64_H */
