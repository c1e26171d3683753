/*
 * loader - finds, checks and opens plugin shared objects; see plugin.h.
 *
 * Every refusal is one message naming the plugin file, the check that
 * failed and, where there is one, what to do about it. Nothing here logs:
 * the caller decides whether a refusal is a warning or (--strict) fatal.
 */
#include "plugin/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/assert.h"
#include "informer/informer.h"
#include "plugin/abi_note.h"
#include "plugin/crash.h"
#include "plugin/identity.h"

/* The descriptor a 1.0 plugin must at least provide: through reconcile. */
#define DESC_MIN_SIZE                                                      \
  (offsetof(struct cplane_plugin, reconcile) + sizeof(void *))
#define RESOURCE_MIN_SIZE                                                  \
  (offsetof(struct cplane_resource, field_selector) + sizeof(char *))
#define MAX_RESOURCES 64

int cp_plugin_fail(char **errmsg, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(errmsg, fmt, ap) < 0)
    *errmsg = NULL;
  va_end(ap);
  return -1;
}

/* Refuses what a local user other than root or us could have replaced. */
static int check_owner_and_mode(const struct stat *st, const char *what,
                                const char *path, char **errmsg) {
  uid_t me = geteuid();

  if (st->st_uid != 0 && st->st_uid != me)
    return cp_plugin_fail(errmsg,
                "plugin %s %s is owned by uid %u, not by root or the "
                "running user (uid %u): chown it",
                what, path, (unsigned)st->st_uid, (unsigned)me);
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return cp_plugin_fail(errmsg,
                "plugin %s %s is group- or world-writable (mode %04o): "
                "chmod go-w it",
                what, path, (unsigned)(st->st_mode & 07777));
  return 0;
}

/* The directory is held to the same rule as the files: a symbolic link
 * (its last component) is refused, since whoever may change the link
 * chooses the code the host runs. */
static int open_checked_dir(const char *dir, char **errmsg) {
  struct stat st;
  char *trimmed;
  size_t len = strlen(dir);
  int fd;

  /* "dir/" would follow a link even with O_NOFOLLOW. */
  while (len > 1 && dir[len - 1] == '/')
    len--;
  trimmed = strndup(dir, len);
  if (trimmed == NULL)
    return cp_plugin_fail(errmsg, "plugin directory %s: out of memory", dir);
  fd = open(trimmed, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
      lstat(trimmed, &st) == 0 && S_ISLNK(st.st_mode)) {
    free(trimmed);
    return cp_plugin_fail(errmsg, "plugin directory %s is a symbolic link: refused "
                        "(set plugin_dir to the directory itself)", dir);
  }
  free(trimmed);
  if (fd < 0)
    return cp_plugin_fail(errmsg, "plugin directory %s: %s", dir, strerror(errno));
  if (fstat(fd, &st) < 0 ||
      check_owner_and_mode(&st, "directory", dir, errmsg) < 0) {
    if (*errmsg == NULL)
      cp_plugin_fail(errmsg, "plugin directory %s: %s", dir, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* Opens dir/file without following links and checks what it opened. */
static int open_checked_file(int dirfd, const char *path, const char *file,
                             char **errmsg) {
  struct stat st;
  int fd;

  if (strchr(file, '/') != NULL || strcmp(file, "..") == 0 ||
      strcmp(file, ".") == 0)
    return cp_plugin_fail(errmsg,
                "plugin file '%s': must be a file name inside the plugin "
                "directory, not a path",
                file);
  fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP)
      return cp_plugin_fail(errmsg, "plugin file %s is a symbolic link: refused "
                          "(copy the file into the plugin directory)", path);
    return cp_plugin_fail(errmsg, "plugin file %s: %s", path, strerror(errno));
  }
  if (fstat(fd, &st) < 0) {
    cp_plugin_fail(errmsg, "plugin file %s: %s", path, strerror(errno));
    goto bad;
  }
  if (!S_ISREG(st.st_mode)) {
    cp_plugin_fail(errmsg, "plugin file %s is not a regular file", path);
    goto bad;
  }
  if (check_owner_and_mode(&st, "file", path, errmsg) < 0)
    goto bad;
  return fd;
bad:
  close(fd);
  return -1;
}

static int check_descriptor(const struct cplane_plugin *d, const char *path,
                            char **errmsg) {
  if (d == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: cplane_plugin_entry() returned NULL",
                path);
  if (d->struct_size < DESC_MIN_SIZE)
    return cp_plugin_fail(errmsg,
                "plugin %s: descriptor struct_size is %u, smaller than "
                "ABI %d.0's %zu: rebuild it against the cplane SDK",
                path, d->struct_size, CPLANE_ABI_MAJOR, DESC_MIN_SIZE);
  if (d->abi_major != CPLANE_ABI_MAJOR)
    return cp_plugin_fail(errmsg,
                "plugin %s: abi_major is %u, this host supports %d: "
                "rebuild the plugin against this host's SDK",
                path, d->abi_major, CPLANE_ABI_MAJOR);
  if (d->abi_minor > CPLANE_ABI_MINOR)
    return cp_plugin_fail(errmsg,
                "plugin %s: abi_minor is %u, newer than this host's %d: "
                "upgrade cplane or rebuild the plugin against its SDK",
                path, d->abi_minor, CPLANE_ABI_MINOR);
  if (d->name == NULL || d->name[0] == '\0')
    return cp_plugin_fail(errmsg, "plugin %s: descriptor has no name", path);
  if (d->kind != CPLANE_KIND_CONTROLLER && d->kind != CPLANE_KIND_SCHEDULER)
    return cp_plugin_fail(errmsg, "plugin %s: kind is %u, expected %d (controller) "
                        "or %d (scheduler)",
                path, d->kind, CPLANE_KIND_CONTROLLER, CPLANE_KIND_SCHEDULER);
  if (d->n_resources > MAX_RESOURCES)
    return cp_plugin_fail(errmsg, "plugin %s: n_resources is %u, at most %d", path,
                d->n_resources, MAX_RESOURCES);
  if (d->n_resources > 0 && d->resources == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: n_resources is %u but resources is "
                        "NULL", path, d->n_resources);
  return 0;
}

/* Copies resources[] honouring the plugin's own struct size as stride. */
static int copy_resources(struct cplane_plugin_ctx *p, char **errmsg) {
  const unsigned char *base = (const unsigned char *)p->desc.resources;
  uint32_t i, stride;

  if (p->desc.n_resources == 0)
    return 0;
  stride = p->desc.resources[0].struct_size;
  if (stride < RESOURCE_MIN_SIZE)
    return cp_plugin_fail(errmsg, "plugin %s: resources[0].struct_size is %u, "
                        "smaller than %zu", p->path, stride,
                RESOURCE_MIN_SIZE);
  p->resources = calloc(p->desc.n_resources, sizeof *p->resources);
  if (p->resources == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: out of memory", p->path);
  for (i = 0; i < p->desc.n_resources; i++) {
    const struct cplane_resource *r =
        (const struct cplane_resource *)(base + (size_t)i * stride);
    if (r->struct_size != stride)
      return cp_plugin_fail(errmsg, "plugin %s: resources[%u].struct_size is %u, "
                          "resources[0]'s is %u", p->path, i,
                  r->struct_size, stride);
    memcpy(&p->resources[i], r, sizeof *r);
    p->resources[i].struct_size = sizeof *r;
    if (r->version == NULL || r->resource == NULL)
      return cp_plugin_fail(errmsg, "plugin %s: resources[%u] needs version and "
                          "resource", p->path, i);
    if (p->resources[i].group == NULL)
      p->resources[i].group = "";
  }
  p->desc.resources = p->resources;
  return 0;
}

/* Copies writes[] (ABI 1.4) as copy_resources() does resources[]; a
 * descriptor shorter than the field has none (desc is zeroed past it). */
static int copy_writes(struct cplane_plugin_ctx *p, char **errmsg) {
  const unsigned char *base = (const unsigned char *)p->desc.writes;
  uint32_t i, stride;

  if (p->desc.n_writes == 0) {
    p->desc.writes = NULL;
    return 0;
  }
  if (p->desc.n_writes > MAX_RESOURCES || base == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: n_writes is %u (at most %d, "
                                  "with writes set)",
                          p->path, p->desc.n_writes, MAX_RESOURCES);
  stride = p->desc.writes[0].struct_size;
  if (stride < RESOURCE_MIN_SIZE)
    return cp_plugin_fail(errmsg, "plugin %s: writes[0].struct_size is %u, "
                                  "smaller than %zu",
                          p->path, stride, RESOURCE_MIN_SIZE);
  p->writes = calloc(p->desc.n_writes, sizeof *p->writes);
  if (p->writes == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: out of memory", p->path);
  for (i = 0; i < p->desc.n_writes; i++) {
    const struct cplane_resource *r =
        (const struct cplane_resource *)(base + (size_t)i * stride);

    if (r->struct_size != stride)
      return cp_plugin_fail(errmsg, "plugin %s: writes[%u].struct_size is "
                                    "%u, writes[0]'s is %u",
                            p->path, i, r->struct_size, stride);
    if (r->resource == NULL || r->resource[0] == '\0')
      return cp_plugin_fail(errmsg, "plugin %s: writes[%u] needs a "
                                    "resource", p->path, i);
    memcpy(&p->writes[i], r, sizeof *r);
    p->writes[i].struct_size = sizeof *r;
    if (p->writes[i].group == NULL)
      p->writes[i].group = "";
  }
  p->desc.writes = p->writes;
  return 0;
}

/* The ABI the file says it was built for, read before dlopen() so that a
 * plugin for another ABI never runs a line of code (constructors
 * included) inside the host. The messages match check_descriptor()'s. */
static int check_abi_note(int fd, const char *path, char **errmsg) {
  struct cplane_abi_note note;
  int r = cp_abi_note_read(fd, path, &note, errmsg);

  if (r < 0)
    return -1;
  if (r == 0)
    return cp_plugin_fail(errmsg,
                "plugin %s: no cplane ABI note (section %s): built without "
                "CPLANE_PLUGIN_DEFINE() or with an SDK older than this "
                "host's; rebuild it against this host's SDK",
                path, CPLANE_ABI_NOTE_SECTION);
  if (note.abi_major != CPLANE_ABI_MAJOR)
    return cp_plugin_fail(errmsg,
                "plugin %s: abi_major is %u, this host supports %d: "
                "rebuild the plugin against this host's SDK",
                path, note.abi_major, CPLANE_ABI_MAJOR);
  if (note.abi_minor > CPLANE_ABI_MINOR)
    return cp_plugin_fail(errmsg,
                "plugin %s: abi_minor is %u, newer than this host's %d: "
                "upgrade cplane or rebuild the plugin against its SDK",
                path, note.abi_minor, CPLANE_ABI_MINOR);
  return 0;
}

static int open_shared_object(struct cplane_plugin_ctx *p, int fd,
                              char **errmsg) {
  char procpath[64];
  cplane_plugin_entry_fn entry;
  const struct cplane_plugin *d;
  size_t n;

  snprintf(procpath, sizeof procpath, "/proc/self/fd/%d", fd);
  /* What dlopen maps is the file we checked, not whatever the name points
   * to by now. NODELETE: code that has run is never unmapped. */
  p->dl = dlopen(procpath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (p->dl == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: cannot load: %s", p->path, dlerror());
  *(void **)&entry = dlsym(p->dl, CPLANE_PLUGIN_ENTRY_SYMBOL);
  if (entry == NULL)
    return cp_plugin_fail(errmsg,
                "plugin %s: no %s symbol: not a cplane plugin, or built "
                "without CPLANE_PLUGIN_DEFINE()",
                p->path, CPLANE_PLUGIN_ENTRY_SYMBOL);
  d = entry();
  if (check_descriptor(d, p->path, errmsg) < 0)
    return -1;
  /* Never copy blindly: take what both sides know, zero the rest. */
  n = d->struct_size < sizeof p->desc ? d->struct_size : sizeof p->desc;
  memset(&p->desc, 0, sizeof p->desc);
  memcpy(&p->desc, d, n);
  if (copy_resources(p, errmsg) < 0)
    return -1;
  return copy_writes(p, errmsg);
}

/* Formats dir/file, the name every message uses. */
static char *plugin_path(const char *dir, const char *file) {
  char *path = NULL;

  if (asprintf(&path, "%s/%s", dir, file) < 0)
    return NULL;
  return path;
}

int cp_plugin_read(const char *dir, const struct cp_plugin_config *pc,
                   struct cp_plugin_image *img, char **errmsg) {
  char *path = plugin_path(dir, pc->file);
  int dirfd = -1, fd = -1, rc = -1;

  *errmsg = NULL;
  img->fd = -1;
  if (path == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: out of memory", pc->name);
  dirfd = open_checked_dir(dir, errmsg);
  if (dirfd < 0)
    goto out;
  fd = open_checked_file(dirfd, path, pc->file, errmsg);
  if (fd < 0)
    goto out;
  if (cp_plugin_image_copy(fd, path, img, errmsg) < 0)
    goto out;
  /* The note is read from the copy: what is checked is what is mapped. */
  if (check_abi_note(img->fd, path, errmsg) < 0) {
    cp_plugin_image_close(img);
    goto out;
  }
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  if (dirfd >= 0)
    close(dirfd);
  free(path);
  return rc;
}

int cp_plugin_load_image(const char *dir, const struct cp_plugin_config *pc,
                         struct cp_plugin_image *img,
                         struct cplane_plugin_ctx **out, char **errmsg) {
  struct cplane_plugin_ctx *p;
  int rc = -1, mapped = 0;

  *out = NULL;
  *errmsg = NULL;
  p = calloc(1, sizeof *p);
  if (p != NULL) /* named after the descriptor once it is read */
    cp_inflight_set_init(&p->inflight, "loader");
  if (p == NULL || (p->path = plugin_path(dir, pc->file)) == NULL) {
    cp_plugin_fail(errmsg, "plugin %s: out of memory", pc->name);
    goto out;
  }
  p->config = pc;
  memcpy(p->sha256, img->sha256, sizeof p->sha256);
  p->images = 1;
  rc = open_shared_object(p, img->fd, errmsg);
  mapped = p->dl != NULL;
  if (rc < 0)
    goto out;
  rc = -1;
  p->name = strdup(p->desc.name);
  if (p->name == NULL) {
    cp_plugin_fail(errmsg, "plugin %s: out of memory", p->path);
    goto out;
  }
  p->inflight.plugin = p->name;
  p->state = CP_PLUGIN_LOADED;
  *out = p;
  p = NULL;
  rc = 0;
out:
  /* A mapped plugin stays in the link map as "/proc/self/fd/N" forever
   * (it is never unloaded), and glibc matches later dlopen()s by that
   * name: if N were reused, the next plugin would silently get this one.
   * So its memfd stays open, which also keeps N unique. */
  if (mapped)
    img->fd = -1;
  cp_plugin_image_close(img);
  cp_plugin_free(p);
  return rc;
}

int cp_plugin_load(const char *dir, const struct cp_plugin_config *pc,
                   struct cplane_plugin_ctx **out, char **errmsg) {
  struct cp_plugin_image img;

  *out = NULL;
  if (cp_plugin_read(dir, pc, &img, errmsg) < 0)
    return -1;
  return cp_plugin_load_image(dir, pc, &img, out, errmsg);
}

/* Removes the indexes p's cache_add_index_fn() made, so the informers
 * never call its function with its userdata once fini() (or a failed
 * init()) freed it. Those taken over from a predecessor go back to it. */
static void drop_indexes(struct cplane_plugin_ctx *p) {
  uint32_t i;

  for (i = 0; p->informers != NULL && i < p->desc.n_resources; i++)
    cp_informer_drop_indexes(p->informers[i], p, p->predecessor);
}

int cp_plugin_init(struct cplane_plugin_ctx *p, char **errmsg) {
  char *perr = NULL;
  int r;

  *errmsg = NULL;
  if (p->desc.init == NULL) {
    p->state = CP_PLUGIN_READY;
    return 0;
  }
  cp_crash_mark_call(p->name, "init"); /* a crash in it names it */
  r = p->desc.init(p, cp_host_api(), &perr);
  cp_crash_unmark();
  if (r != CPLANE_OK) {
    cp_plugin_fail(errmsg, "plugin %s (%s): init failed with status %d: %s", p->name,
         p->path, r, perr != NULL ? perr : "(no message)");
    free(perr); /* allocated with api->alloc, which is malloc */
    drop_indexes(p);
    return -1;
  }
  free(perr);
  p->state = CP_PLUGIN_READY;
  return 0;
}

void cp_plugin_fini(struct cplane_plugin_ctx *p) {
  if (p == NULL || p->state == CP_PLUGIN_LOADED ||
      p->state == CP_PLUGIN_FINISHED)
    return;
  /* The SDK promises no callback runs once fini() has started. */
  CP_ASSERT(p->state != CP_PLUGIN_RUNNING && p->queue == NULL);
  drop_indexes(p);
  if (p->desc.fini != NULL) {
    cp_crash_mark_call(p->name, "fini");
    p->desc.fini(p);
    cp_crash_unmark();
  }
  p->state = CP_PLUGIN_FINISHED;
}

void cp_plugin_free(struct cplane_plugin_ctx *p) {
  if (p == NULL)
    return;
  /* p->dl is deliberately never closed: see plugin.h. */
  free(p->resources);
  free(p->writes);
  free(p->workers);
  free(p->informers);
  free(p->handlers);
  free(p->dispatch);
  cp_inflight_set_destroy(&p->inflight);
  cp_event_recorder_stop(p); /* events recorded by init() or fini() */
  cp_plugin_identity_free(atomic_load(&p->identity)); /* after events */
  cp_owner_map_clear(&p->owners);
  free(p->name);
  free(p->path);
  free(p);
}
