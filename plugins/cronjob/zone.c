/*
 * zone - see zone.h. The TZif layout is RFC 8536's: a 44-byte header
 * (magic "TZif", version, six big-endian counts), then transition times,
 * their type indexes, the types (offset, isdst, abbreviation index), and
 * more we skip; a version 2+ file repeats header and data with 64-bit
 * times, which we read instead.
 */
#include "zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 44

struct counts {
  uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int64_t be64(const unsigned char *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The header at p (n bytes left); -1 when it is not one. */
static int header(const unsigned char *p, size_t n, struct counts *c) {
  if (n < HEADER || memcmp(p, "TZif", 4) != 0)
    return -1;
  c->isut = be32(p + 20);
  c->isstd = be32(p + 24);
  c->leap = be32(p + 28);
  c->time = be32(p + 32);
  c->type = be32(p + 36);
  c->chars = be32(p + 40);
  if (c->time > CJ_ZONE_MAX_TRANSITIONS || c->type == 0 ||
      c->type > CJ_ZONE_MAX_TYPES || c->leap > CJ_ZONE_MAX_TRANSITIONS ||
      c->isut > CJ_ZONE_MAX_TYPES || c->isstd > CJ_ZONE_MAX_TYPES ||
      c->chars > CJ_ZONE_MAX_FILE)
    return -1;
  return 0;
}

/* Bytes of the data block after a header, with `w`-byte times. */
static size_t block_len(const struct counts *c, size_t w) {
  return c->time * w + c->time + c->type * 6 + c->chars + c->leap * (w + 4) +
         c->isstd + c->isut;
}

/* Fills z from the data block at p with `w`-byte times; -1 when bad. */
static int fill(struct cj_zone *z, const unsigned char *p,
                const struct counts *c, size_t w) {
  const unsigned char *idx = p + c->time * w, *types = idx + c->time;
  size_t i;

  z->n = c->time;
  z->n_offsets = c->type;
  z->at = calloc(c->time + 1, sizeof *z->at);
  z->type = calloc(c->time + 1, 1);
  z->offset = calloc(c->type, sizeof *z->offset);
  if (z->at == NULL || z->type == NULL || z->offset == NULL)
    return -1;
  for (i = 0; i < c->time; i++) {
    z->at[i] = w == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
    z->type[i] = idx[i];
    if (idx[i] >= c->type || (i > 0 && z->at[i] <= z->at[i - 1]))
      return -1;
  }
  for (i = 0; i < c->type; i++)
    z->offset[i] = (int32_t)be32(types + i * 6);
  return 0;
}

/* Reads the whole file (at most CJ_ZONE_MAX_FILE bytes). */
static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;

  if (f == NULL)
    return NULL;
  if ((buf = malloc(CJ_ZONE_MAX_FILE)) != NULL)
    *n = fread(buf, 1, CJ_ZONE_MAX_FILE, f);
  fclose(f);
  return buf;
}

static int parse(struct cj_zone *z, const unsigned char *buf, size_t n) {
  struct counts c;
  size_t skip;

  if (header(buf, n, &c) < 0 || block_len(&c, 4) > n - HEADER)
    return -1;
  if (buf[4] < '2')
    return fill(z, buf + HEADER, &c, 4);
  skip = HEADER + block_len(&c, 4);
  if (header(buf + skip, n - skip, &c) < 0 ||
      block_len(&c, 8) > n - skip - HEADER)
    return -1;
  return fill(z, buf + skip + HEADER, &c, 8);
}

static int is_utc(const char *name) {
  return name == NULL || name[0] == '\0' || strcmp(name, "UTC") == 0;
}

int cj_zone_load(const char *dir, const char *name, struct cj_zone *z,
                 char *why, size_t len) {
  char path[600];
  unsigned char *buf = NULL;
  size_t n = 0;
  int rc = -1;

  memset(z, 0, sizeof *z);
  if (is_utc(name))
    return 0;
  /* A name, never a path out of the database. */
  if (name[0] == '/' || strstr(name, "..") != NULL || strlen(name) > 255)
    goto out;
  snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : "/usr/share/zoneinfo",
           name);
  if ((buf = slurp(path, &n)) == NULL)
    goto out;
  rc = parse(z, buf, n);
out:
  free(buf);
  if (rc < 0) {
    cj_zone_free(z);
    snprintf(why, len, "unknown time zone %s", name);
  }
  return rc;
}

void cj_zone_free(struct cj_zone *z) {
  free(z->at);
  free(z->type);
  free(z->offset);
  memset(z, 0, sizeof *z);
}

int cj_zone_offset(void *userdata, int64_t utc_s, int32_t *offset_s,
                   int64_t *until_s) {
  const struct cj_zone *z = userdata;
  size_t lo = 0, hi = z->n;

  *until_s = INT64_MAX;
  if (z->n_offsets == 0) { /* UTC */
    *offset_s = 0;
    return 0;
  }
  if (z->n == 0 || utc_s < z->at[0]) {
    *offset_s = z->offset[0];
    if (z->n > 0)
      *until_s = z->at[0];
    return 0;
  }
  while (hi - lo > 1) { /* the last transition at or before utc_s */
    size_t mid = lo + (hi - lo) / 2;

    if (z->at[mid] <= utc_s)
      lo = mid;
    else
      hi = mid;
  }
  *offset_s = z->offset[z->type[lo]];
  if (lo + 1 < z->n)
    *until_s = z->at[lo + 1];
  return 0;
}
