/*
 * Disk faults on demand, for the tests of how Draftroom behaves when its
 * storage fails. Loaded into the server with LD_PRELOAD, it wraps the calls
 * SQLite writes and syncs with. While the directory named by FAULTFS_CTL
 * holds a file called `enospc`, `erofs` or `eio`, every write or sync of a
 * file whose path contains FAULTFS_MATCH fails with that error (the disk is
 * full, read-only, or failing). A number in the file lets that many writes
 * through first, so a fault can strike in the middle of a transaction.
 * Remove the file and the disk is back.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static const struct {
    const char *name;
    int err;
} MODES[] = {{"enospc", ENOSPC}, {"erofs", EROFS}, {"eio", EIO}};

/* Writes let through since the current fault file appeared. */
static long passed;
static ino_t fault_inode;

/* Whether fd is one of the store's files. */
static int is_store_file(int fd) {
    const char *match = getenv("FAULTFS_MATCH");
    char link[64], path[PATH_MAX];
    if (!match)
        return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = 0;
    return strstr(path, match) != NULL;
}

/* The errno to fail with now, or 0. */
static int fault(int fd) {
    const char *ctl = getenv("FAULTFS_CTL");
    if (!ctl || !is_store_file(fd))
        return 0;
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", ctl, MODES[i].name);
        if (stat(path, &st) != 0)
            continue;
        if (st.st_ino != fault_inode) {
            fault_inode = st.st_ino;
            passed = 0;
        }
        long allow = 0;
        FILE *f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%ld", &allow) != 1)
                allow = 0;
            fclose(f);
        }
        if (passed < allow) {
            passed++;
            return 0;
        }
        return MODES[i].err;
    }
    fault_inode = 0;
    return 0;
}

#define NEXT(type, name, args) \
    static type(*next) args;   \
    if (!next)                 \
        next = (type(*) args)dlsym(RTLD_NEXT, name);

ssize_t write(int fd, const void *buf, size_t len) {
    NEXT(ssize_t, "write", (int, const void *, size_t));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) {
    NEXT(ssize_t, "pwrite", (int, const void *, size_t, off_t));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off) {
    NEXT(ssize_t, "pwrite64", (int, const void *, size_t, off_t));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
    NEXT(ssize_t, "writev", (int, const struct iovec *, int));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd, iov, n);
}

int fsync(int fd) {
    NEXT(int, "fsync", (int));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd);
}

int fdatasync(int fd) {
    NEXT(int, "fdatasync", (int));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd);
}

int ftruncate(int fd, off_t len) {
    NEXT(int, "ftruncate", (int, off_t));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd, len);
}

int ftruncate64(int fd, off_t len) {
    NEXT(int, "ftruncate64", (int, off_t));
    int e = fault(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return next(fd, len);
}
