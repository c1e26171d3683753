/*
 * abi_note - reads a plugin's ABI note (struct cplane_abi_note in the
 * CPLANE_ABI_NOTE_SECTION section, written by CPLANE_PLUGIN_DEFINE) from
 * the file itself with plain ELF parsing, so that a plugin built for
 * another ABI is refused before dlopen() runs any of its code.
 *
 * Only what the host can load is accepted: an ELF file of the host's class
 * (32/64-bit), byte order and machine. Every offset and size read from the
 * file is checked against the file's size before it is used; nothing is
 * mapped or executed.
 *
 * Threading: none (reads the file with pread; any thread).
 */
#ifndef CPLANE_HOST_PLUGIN_ABI_NOTE_H
#define CPLANE_HOST_PLUGIN_ABI_NOTE_H

#include <cplane/cplane.h>

/* Reads the note from the open file fd (path only names it in messages).
 * Returns 1 and fills *out when found, 0 when the file is a loadable ELF
 * object without the note, or -1 with *errmsg (malloc'd) when it is not
 * an ELF object this host can load, or a malformed one. */
int cp_abi_note_read(int fd, const char *path, struct cplane_abi_note *out,
                     char **errmsg);

#endif /* CPLANE_HOST_PLUGIN_ABI_NOTE_H */
