/*
 * csr_der - see csr_der.h.
 */
#include "csr_der.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PEM_BEGIN "-----BEGIN CERTIFICATE REQUEST-----"
#define PEM_END "-----END CERTIFICATE REQUEST-----"

/* Strings a subject holds at most (a node name is 253). */
#define MAX_VALUE 1024

/* --- base64 ------------------------------------------------------------ */

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Decodes n characters of standard base64 (whitespace skipped, '='
 * ends it) into a malloc'd buffer; NULL on a bad character or size. */
static unsigned char *b64_decode(const char *s, size_t n, size_t *len) {
  unsigned char *out;
  uint32_t acc = 0;
  int bits = 0;
  size_t i, o = 0;

  if (n > CSR_DER_MAX_REQUEST * 2 || (out = malloc(n / 4 * 3 + 4)) == NULL)
    return NULL;
  for (i = 0; i < n && s[i] != '='; i++) {
    int v;

    if (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' || s[i] == '\t')
      continue;
    if ((v = b64_value(s[i])) < 0) {
      free(out);
      return NULL;
    }
    acc = acc << 6 | (uint32_t)v;
    if ((bits += 6) >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  *len = o;
  return out;
}

/* --- DER ------------------------------------------------------------------ */

struct tlv {
  unsigned tag;
  const unsigned char *v; /* the contents */
  size_t len;
};

/* Reads one TLV at p (n bytes left); its size in all, or 0 when bad. */
static size_t der_next(const unsigned char *p, size_t n, struct tlv *t) {
  size_t len, hdr = 2, i, k;

  if (n < 2 || (p[0] & 0x1f) == 0x1f) /* no high tag numbers here */
    return 0;
  t->tag = p[0];
  len = p[1];
  if (len & 0x80) {
    k = len & 0x7f;
    if (k == 0 || k > 4 || n < 2 + k)
      return 0;
    for (len = 0, i = 0; i < k; i++)
      len = len << 8 | p[2 + i];
    hdr += k;
  }
  if (len > n - hdr)
    return 0;
  t->v = p + hdr;
  t->len = len;
  return hdr + len;
}

/* The contents of a TLV with tag `tag`, or -1. */
static int der_expect(const unsigned char *p, size_t n, unsigned tag,
                      struct tlv *t, size_t *used) {
  size_t u = der_next(p, n, t);

  if (u == 0 || t->tag != tag)
    return -1;
  if (used != NULL)
    *used = u;
  return 0;
}

static const unsigned char OID_CN[] = {0x55, 0x04, 0x03};
static const unsigned char OID_O[] = {0x55, 0x04, 0x0a};
static const unsigned char OID_EXT_REQ[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                            0x0d, 0x01, 0x09, 0x0e};
static const unsigned char OID_SAN[] = {0x55, 0x1d, 0x11};

static int oid_is(const struct tlv *t, const unsigned char *oid, size_t n) {
  return t->tag == 0x06 && t->len == n && memcmp(t->v, oid, n) == 0;
}

/* A directory string as text (UTF8, Printable, IA5, T61). */
static char *der_string(const struct tlv *t) {
  char *s;

  if ((t->tag != 0x0c && t->tag != 0x13 && t->tag != 0x16 &&
       t->tag != 0x14) ||
      t->len > MAX_VALUE || memchr(t->v, '\0', t->len) != NULL ||
      (s = malloc(t->len + 1)) == NULL)
    return NULL;
  memcpy(s, t->v, t->len);
  s[t->len] = '\0';
  return s;
}

/* One AttributeTypeAndValue of the subject. */
static int subject_attr(const struct tlv *atv, struct csr_der *c) {
  struct tlv oid, val;
  size_t u;
  char *s;

  if (der_expect(atv->v, atv->len, 0x06, &oid, &u) < 0 ||
      der_next(atv->v + u, atv->len - u, &val) == 0)
    return -1;
  if (!oid_is(&oid, OID_CN, sizeof OID_CN) &&
      !oid_is(&oid, OID_O, sizeof OID_O))
    return 0;
  if ((s = der_string(&val)) == NULL)
    return -1;
  if (oid_is(&oid, OID_CN, sizeof OID_CN)) {
    free(c->cn);
    c->cn = s;
    return 0;
  }
  if (c->n_orgs == CSR_DER_MAX_ORGS) {
    free(s);
    return -1;
  }
  c->orgs[c->n_orgs++] = s;
  return 0;
}

/* Name ::= SEQUENCE OF SET OF AttributeTypeAndValue */
static int subject(const struct tlv *name, struct csr_der *c) {
  size_t off = 0, u, off2, u2;
  struct tlv rdn, atv;

  while (off < name->len) {
    if (der_expect(name->v + off, name->len - off, 0x31, &rdn, &u) < 0)
      return -1;
    for (off2 = 0; off2 < rdn.len; off2 += u2)
      if (der_expect(rdn.v + off2, rdn.len - off2, 0x30, &atv, &u2) < 0 ||
          subject_attr(&atv, c) < 0)
        return -1;
    off += u;
  }
  return 0;
}

/* GeneralNames: dNSName [2], rfc822Name [1], URI [6], iPAddress [7] are
 * what Go keeps (and kube refuses). */
static int san_names(const struct tlv *ext_value, struct csr_der *c) {
  struct tlv seq, gn;
  size_t off, u;

  if (der_expect(ext_value->v, ext_value->len, 0x30, &seq, NULL) < 0)
    return -1;
  for (off = 0; off < seq.len; off += u) {
    if ((u = der_next(seq.v + off, seq.len - off, &gn)) == 0)
      return -1;
    if (gn.tag == 0x81 || gn.tag == 0x82 || gn.tag == 0x86 || gn.tag == 0x87)
      c->sans = 1;
  }
  return 0;
}

/* Extensions ::= SEQUENCE OF Extension {OID, BOOLEAN?, OCTET STRING} */
static int extensions(const struct tlv *exts, struct csr_der *c) {
  struct tlv ext, oid, f;
  size_t off, u, p, up;

  for (off = 0; off < exts->len; off += u) {
    if (der_expect(exts->v + off, exts->len - off, 0x30, &ext, &u) < 0 ||
        der_expect(ext.v, ext.len, 0x06, &oid, &p) < 0)
      return -1;
    if ((up = der_next(ext.v + p, ext.len - p, &f)) == 0)
      return -1;
    if (f.tag == 0x01 && (up = der_next(ext.v + p + up, ext.len - p - up,
                                        &f)) == 0)
      return -1;
    if (f.tag != 0x04)
      return -1;
    if (oid_is(&oid, OID_SAN, sizeof OID_SAN) && san_names(&f, c) < 0)
      return -1;
  }
  return 0;
}

/* attributes [0] IMPLICIT SET OF Attribute {OID, SET OF value} */
static int attributes(const struct tlv *attrs, struct csr_der *c) {
  struct tlv attr, oid, set, exts;
  size_t off, u, p, v, uv;

  for (off = 0; off < attrs->len; off += u) {
    if (der_expect(attrs->v + off, attrs->len - off, 0x30, &attr, &u) < 0 ||
        der_expect(attr.v, attr.len, 0x06, &oid, &p) < 0 ||
        der_expect(attr.v + p, attr.len - p, 0x31, &set, NULL) < 0)
      return -1;
    if (!oid_is(&oid, OID_EXT_REQ, sizeof OID_EXT_REQ))
      continue;
    for (v = 0; v < set.len; v += uv)
      if (der_expect(set.v + v, set.len - v, 0x30, &exts, &uv) < 0 ||
          extensions(&exts, c) < 0)
        return -1;
  }
  return 0;
}

static int pkcs10(const unsigned char *der, size_t n, struct csr_der *c) {
  struct tlv req, info, f;
  size_t off = 0, u;

  if (der_expect(der, n, 0x30, &req, NULL) < 0 ||
      der_expect(req.v, req.len, 0x30, &info, NULL) < 0 ||
      der_expect(info.v, info.len, 0x02, &f, &u) < 0) /* version */
    return -1;
  off = u;
  if (der_expect(info.v + off, info.len - off, 0x30, &f, &u) < 0 ||
      subject(&f, c) < 0)
    return -1;
  off += u;
  if (der_expect(info.v + off, info.len - off, 0x30, &f, &u) < 0) /* key */
    return -1;
  off += u;
  if (off == info.len)
    return 0;
  if (der_expect(info.v + off, info.len - off, 0xa0, &f, NULL) < 0)
    return -1;
  return attributes(&f, c);
}

int csr_der_parse(const char *request_b64, struct csr_der *out) {
  unsigned char *pem = NULL, *der = NULL;
  const char *begin, *end;
  size_t pem_len, der_len;
  int rc = -1;

  memset(out, 0, sizeof *out);
  if (request_b64 == NULL ||
      (pem = b64_decode(request_b64, strlen(request_b64), &pem_len)) ==
          NULL ||
      memchr(pem, '\0', pem_len) != NULL)
    goto out;
  pem[pem_len] = '\0'; /* room: the buffer has 4 bytes spare */
  /* Go's pem.Decode takes the first block; kube wants its type to be
   * CERTIFICATE REQUEST. */
  if ((begin = strstr((char *)pem, "-----BEGIN ")) == NULL ||
      strncmp(begin, PEM_BEGIN, strlen(PEM_BEGIN)) != 0 ||
      (end = strstr(begin, PEM_END)) == NULL)
    goto out;
  begin += strlen(PEM_BEGIN);
  if ((der = b64_decode(begin, (size_t)(end - begin), &der_len)) == NULL)
    goto out;
  rc = pkcs10(der, der_len, out);
out:
  free(pem);
  free(der);
  if (rc < 0)
    csr_der_clear(out);
  return rc;
}

void csr_der_clear(struct csr_der *c) {
  size_t i;

  free(c->cn);
  for (i = 0; i < c->n_orgs; i++)
    free(c->orgs[i]);
  memset(c, 0, sizeof *c);
}
