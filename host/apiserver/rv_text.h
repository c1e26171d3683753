/*
 * rv_text - a written object's two texts from one serialization: the
 * text stored (metadata.resourceVersion left out: the store's revision
 * is the version) and, once the store has given the revision, the text
 * the writer is answered with (metadata.resourceVersion set).
 *
 * Why: serializing the object again for the reply, after the write,
 * cost a create more than the first serialization did (perf: ~40 us
 * against ~15 us per 3 KB pod on this machine), because the worker
 * waited for the commit in between and the object's few hundred json-c
 * nodes had left the cache by then. The reply is now the stored text
 * with the resourceVersion member spliced back in: a copy of a few KB.
 *
 * How: the object is serialized with a placeholder node as
 * metadata.resourceVersion whose serializer notes where in the output
 * its value goes; the member ("resourceVersion":"" and its comma) is cut
 * from that text to make the stored one, and put back with the revision
 * for the reply. The reply is byte for byte what serializing the object
 * with the revision set gives (resourceVersion the last member of
 * metadata, as cp_verbs_set_rv adds it).
 *
 * Threading: none of its own; o is the caller's, not shared meanwhile.
 * Ownership: the texts are malloc'd and the caller's (stored until
 * cp_rv_text_clear).
 */
#ifndef CPLANE_HOST_APISERVER_RV_TEXT_H
#define CPLANE_HOST_APISERVER_RV_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

struct cp_rv_text {
  char *stored; /* NUL-terminated; owned until cp_rv_text_clear */
  size_t len;   /* strlen(stored) */
  /* Internal: where the member goes back in the stored text, and
   * whether it follows another member (a comma before it). spliced is 0
   * when the member could not be found (the reply then serializes o). */
  size_t at;
  int comma, spliced;
};

/* Serializes o (a JSON object) without metadata.resourceVersion, which
 * it removes from o as cp_verbs_stored_text does: t->stored. 0, or -1
 * out of memory (t left cleared). */
int cp_rv_text_make(struct cp_rv_text *t, struct json_object *o);

/* The reply text of o once stored at rev: t->stored with
 * metadata.resourceVersion "rev" as its last member; o gets the same
 * resourceVersion (callers read it after the write). malloc'd, NULL out
 * of memory. */
char *cp_rv_text_reply(const struct cp_rv_text *t, struct json_object *o,
                       int64_t rev);

/* Frees t->stored; t may be made again. Safe on a cleared t. */
void cp_rv_text_clear(struct cp_rv_text *t);

#endif /* CPLANE_HOST_APISERVER_RV_TEXT_H */
