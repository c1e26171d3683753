/*
 * sandbox - see sandbox.h.
 */
#include "plugin/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Landlock's ABI, spelled out here: the system's header may be older
 * than the kernel (fields past handled_access_fs came with ABI 4 and 6;
 * the kernel takes the shorter struct from an older caller). */
struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net; /* ABI 4 */
  uint64_t scoped;             /* ABI 6 */
};
struct ll_path_beneath {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define FS_EXECUTE (1ull << 0)
#define FS_WRITE_FILE (1ull << 1)
#define FS_READ_FILE (1ull << 2)
#define FS_READ_DIR (1ull << 3)
#define FS_ABI1 ((1ull << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define FS_REFER (1ull << 13)      /* ABI 2 */
#define FS_TRUNCATE (1ull << 14)   /* ABI 3 */
#define FS_IOCTL_DEV (1ull << 15)  /* ABI 5 */
#define SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ull << 1)        /* ABI 6 */

static int fail(char **errmsg, const char *what, const char *path) {
  if (asprintf(errmsg, "sandbox: %s%s%s: %s", what, path ? " " : "",
               path ? path : "", strerror(errno)) < 0)
    *errmsg = NULL;
  return -1;
}

int cp_sandbox_abi(void) {
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_VERSION);

  return abi > 0 ? (int)abi : 0;
}

static uint64_t handled_fs(int abi) {
  uint64_t h = FS_ABI1;

  if (abi >= 2)
    h |= FS_REFER;
  if (abi >= 3)
    h |= FS_TRUNCATE;
  if (abi >= 5)
    h |= FS_IOCTL_DEV;
  return h;
}

/* Allows `access` beneath path (a directory) or on it (a file: only the
 * file rights). A path that does not exist is skipped. */
static int allow(int ruleset, const char *path, uint64_t access,
                 uint64_t handled, char **errmsg) {
  struct ll_path_beneath pb;
  struct stat st;
  int fd = open(path, O_PATH | O_CLOEXEC), rc;

  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0
                                               : fail(errmsg, "open", path);
  if (fstat(fd, &st) != 0) {
    close(fd);
    return fail(errmsg, "stat", path);
  }
  if (!S_ISDIR(st.st_mode))
    access &= FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE |
              FS_IOCTL_DEV;
  pb.allowed_access = access & handled;
  pb.parent_fd = fd;
  rc = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb,
                    0);
  close(fd);
  return rc == 0 ? 0 : fail(errmsg, "allow", path);
}

/* What the process reads and runs from the system. */
static int allow_system(int rs, uint64_t h, char **errmsg) {
  static const char *const exec_dirs[] = {"/usr", "/lib", "/lib64", "/bin",
                                          NULL};
  static const char *const etc[] = {
      "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
      "/etc/ld.so.preload", "/etc/localtime", "/etc/ssl", "/etc/hosts",
      "/etc/host.conf", "/etc/nsswitch.conf", "/etc/resolv.conf",
      "/etc/gai.conf", "/etc/passwd", "/etc/group", NULL};
  const uint64_t rx = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
  size_t i;

  for (i = 0; exec_dirs[i] != NULL; i++)
    if (allow(rs, exec_dirs[i], rx, h, errmsg) < 0)
      return -1;
  for (i = 0; etc[i] != NULL; i++)
    if (allow(rs, etc[i], FS_READ_FILE | FS_READ_DIR, h, errmsg) < 0)
      return -1;
  if (allow(rs, "/proc", FS_READ_FILE | FS_READ_DIR, h, errmsg) < 0 ||
      allow(rs, "/sys", FS_READ_FILE | FS_READ_DIR, h, errmsg) < 0 ||
      allow(rs, "/dev", FS_READ_FILE | FS_WRITE_FILE | FS_READ_DIR |
                            FS_IOCTL_DEV | FS_TRUNCATE,
            h, errmsg) < 0)
    return -1;
  return 0;
}

/* No capability left, now or after an execve. */
static int drop_capabilities(char **errmsg) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  int cap;

  for (cap = 0; cap <= 63; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL &&
        errno != EPERM)
      return fail(errmsg, "drop the capability bounding set", NULL);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) != 0)
    return fail(errmsg, "drop capabilities", NULL);
  return 0;
}

int cp_sandbox_apply(const struct cp_sandbox_paths *p, char **errmsg) {
  struct ll_ruleset_attr attr;
  int abi = cp_sandbox_abi(), rs = -1, rc = -1;
  size_t size;
  uint64_t h;

  *errmsg = NULL;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(errmsg, "no_new_privs", NULL);
  if (abi == 0)
    return drop_capabilities(errmsg) < 0 ? -1 : 1;
  memset(&attr, 0, sizeof attr);
  h = attr.handled_access_fs = handled_fs(abi);
  size = sizeof attr.handled_access_fs;
  if (abi >= 6) {
    attr.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX;
    size = sizeof attr;
  }
  rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (rs < 0)
    return fail(errmsg, "create a Landlock ruleset", NULL);
  if (allow_system(rs, h, errmsg) < 0 ||
      (p->plugin_dir != NULL &&
       allow(rs, p->plugin_dir, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR, h,
             errmsg) < 0) ||
      (p->config != NULL &&
       allow(rs, p->config, FS_READ_FILE, h, errmsg) < 0) ||
      (p->own_dir != NULL &&
       allow(rs, p->own_dir, FS_READ_FILE | FS_READ_DIR, h, errmsg) < 0))
    goto out;
  /* Capabilities first: landlock_restrict_self needs no_new_privs (set)
   * or CAP_SYS_ADMIN, and drops nothing itself. */
  if (drop_capabilities(errmsg) < 0)
    goto out;
  if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
    fail(errmsg, "enforce the Landlock ruleset", NULL);
    goto out;
  }
  rc = 0;
out:
  close(rs);
  return rc;
}
