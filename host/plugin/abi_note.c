/*
 * abi_note - see abi_note.h.
 */
#include "plugin/abi_note.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/plugin.h"

/* The host's own ELF flavour: a plugin must match it to be loadable. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif
#if __SIZEOF_POINTER__ == 8
#define HOST_CLASS ELFCLASS64
#else
#define HOST_CLASS ELFCLASS32
#endif

/* Bound on what is read (e_shnum is 16-bit, so bounded by itself); real
 * plugins are far below it. */
#define MAX_SHSTRTAB (1u << 20)

/* Reads exactly len bytes at off, which the caller checked lie inside a
 * file of `size` bytes. */
static int read_at(int fd, void *buf, size_t len, uint64_t off,
                   uint64_t size) {
  size_t got = 0;
  ssize_t n;

  if (off > size || len > size - off)
    return -1;
  while (got < len) {
    n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    got += (size_t)n;
  }
  return 0;
}

static int check_header(const ElfW(Ehdr) *eh, uint64_t size,
                        const char *path, char **errmsg) {
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
    return cp_plugin_fail(errmsg, "plugin %s: cannot load: not an ELF file", path);
  if (eh->e_ident[EI_CLASS] != HOST_CLASS ||
      eh->e_ident[EI_DATA] != HOST_DATA)
    return cp_plugin_fail(errmsg, "plugin %s: cannot load: ELF class or byte order "
                        "differs from this host's", path);
  if (eh->e_type != ET_DYN)
    return cp_plugin_fail(errmsg, "plugin %s: cannot load: not a shared object "
                        "(ELF type %u)", path, (unsigned)eh->e_type);
  if (eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shnum == 0 ||
      eh->e_shstrndx >= eh->e_shnum ||
      eh->e_shoff > size ||
      (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)) > size - eh->e_shoff)
    return cp_plugin_fail(errmsg, "plugin %s: cannot load: malformed ELF section "
                        "table", path);
  return 0;
}

int cp_abi_note_read(int fd, const char *path, struct cplane_abi_note *out,
                     char **errmsg) {
  static const char want[] = CPLANE_ABI_NOTE_SECTION;
  ElfW(Ehdr) eh;
  ElfW(Shdr) *sh = NULL, *strs;
  char *names = NULL;
  struct stat st;
  uint64_t size;
  size_t i;
  int rc = -1;

  *errmsg = NULL;
  if (fstat(fd, &st) < 0)
    return cp_plugin_fail(errmsg, "plugin %s: %s", path, strerror(errno));
  size = (uint64_t)st.st_size;
  if (read_at(fd, &eh, sizeof eh, 0, size) < 0)
    return cp_plugin_fail(errmsg, "plugin %s: cannot load: not an ELF file", path);
  if (check_header(&eh, size, path, errmsg) < 0)
    return -1;
  sh = calloc(eh.e_shnum, sizeof *sh);
  if (sh == NULL)
    return cp_plugin_fail(errmsg, "plugin %s: out of memory", path);
  if (read_at(fd, sh, eh.e_shnum * sizeof *sh, eh.e_shoff, size) < 0) {
    cp_plugin_fail(errmsg, "plugin %s: cannot load: unreadable ELF section table",
         path);
    goto out;
  }
  strs = &sh[eh.e_shstrndx];
  if (strs->sh_size == 0 || strs->sh_size > MAX_SHSTRTAB ||
      (names = malloc(strs->sh_size + 1)) == NULL ||
      read_at(fd, names, strs->sh_size, strs->sh_offset, size) < 0) {
    cp_plugin_fail(errmsg, "plugin %s: cannot load: malformed ELF section names",
         path);
    goto out;
  }
  names[strs->sh_size] = '\0'; /* every name below ends inside the table */
  rc = 0;
  for (i = 0; i < eh.e_shnum; i++) {
    if (sh[i].sh_name >= strs->sh_size ||
        strcmp(names + sh[i].sh_name, want) != 0)
      continue;
    if (sh[i].sh_type != SHT_PROGBITS || sh[i].sh_size != sizeof *out ||
        read_at(fd, out, sizeof *out, sh[i].sh_offset, size) < 0 ||
        out->magic != CPLANE_ABI_NOTE_MAGIC) {
      rc = cp_plugin_fail(errmsg, "plugin %s: its %s section is malformed (%llu "
                        "bytes): rebuild it with CPLANE_PLUGIN_DEFINE()",
                path, want, (unsigned long long)sh[i].sh_size);
      goto out;
    }
    rc = 1;
    goto out;
  }
out:
  free(names);
  free(sh);
  return rc;
}
