/*
 * LD_PRELOAD shim for the power-loss mode of the crash test (Tests/reliability/power_loss_test.py).
 *
 * Logs every change a process makes to an LMDB store's data.mdb (and lock.mdb), so that a test can
 * rebuild the file as a power cut at any moment would have left it: what was synced, plus any
 * subset of what was not. LMDB (as ShareCore opens it: no MDB_WRITEMAP) writes data pages with
 * pwrite and lseek+writev on one descriptor, syncs them with fdatasync, and writes the meta page
 * with pwrite either on a second descriptor opened O_DSYNC (`--durability full`) or on the first
 * one (`fast`, MDB_NOMETASYNC), synced by the next commit's fdatasync. All of these are logged:
 * open/openat (to know the descriptors and their O_DSYNC flag), write, pwrite, writev, pwritev,
 * ftruncate, fsync, fdatasync, msync, and a writable shared mmap of the file (which the replay
 * refuses, as it could not see those writes).
 *
 * Each record is written to the log (POWERLOSS_LOG) after the call returned and before the shim
 * returns to the caller, with a CLOCK_MONOTONIC time taken under one lock: a write the process
 * acknowledged to a client after a sync therefore comes after that sync's record in the log.
 *
 * Record: u32 op, u32 file (0 data.mdb, 1 lock.mdb), u64 offset, u64 length, u64 time (ns),
 * then `length` bytes of data for writes. Ops: 1 write, 2 synced write (O_DSYNC/O_SYNC
 * descriptor), 3 fsync/fdatasync, 4 ftruncate (offset = new size), 5 msync, 6 writable shared
 * mmap.
 *
 *     cc -shared -fPIC -O2 -o powerloss_shim.so powerloss_shim.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_SYNCED_WRITE = 2, OP_SYNC = 3, OP_TRUNCATE = 4, OP_MSYNC = 5, OP_SHARED_MMAP = 6 };
enum { MAX_FDS = 65536 };

struct record {
    uint32_t op;
    uint32_t file;
    uint64_t offset;
    uint64_t length;
    uint64_t time;
};

/* 0: not tracked; 1 + file index; bit 8: the descriptor was opened O_DSYNC or O_SYNC. */
static unsigned short tracked[MAX_FDS];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -2;

static int log_descriptor(void) {
    if (log_fd == -2) {
        const char *path = getenv("POWERLOSS_LOG");
        log_fd = path ? (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    }
    return log_fd;
}

static void write_all(int fd, const void *data, size_t length) {
    const char *p = data;
    while (length > 0) {
        long n = syscall(SYS_write, fd, p, length);
        if (n <= 0) return;
        p += n;
        length -= (size_t)n;
    }
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Appends one record; `iov` holds the data of a write (may be NULL). Called with log_lock held. */
static void append(uint32_t op, uint32_t file, uint64_t offset, uint64_t length, const struct iovec *iov, int iovcnt) {
    int fd = log_descriptor();
    if (fd < 0) return;
    struct record r = { op, file, offset, length, now_ns() };
    write_all(fd, &r, sizeof r);
    uint64_t left = iov ? length : 0;
    for (int i = 0; i < iovcnt && left > 0; i++) {
        size_t n = iov[i].iov_len < left ? iov[i].iov_len : (size_t)left;
        write_all(fd, iov[i].iov_base, n);
        left -= n;
    }
}

static int file_index(const char *path) {
    if (!path) return -1;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "data.mdb") == 0) return 0;
    if (strcmp(base, "lock.mdb") == 0) return 1;
    return -1;
}

static void track(int fd, const char *path, int flags) {
    if (fd < 0 || fd >= MAX_FDS) return;
    int index = file_index(path);
    if (index < 0) {
        tracked[fd] = 0;
        return;
    }
    tracked[fd] = (unsigned short)(1 + index) | ((flags & (O_DSYNC | O_SYNC)) ? 0x100 : 0);
    if (flags & O_TRUNC) {
        pthread_mutex_lock(&log_lock);
        append(OP_TRUNCATE, (uint32_t)index, 0, 0, NULL, 0);
        pthread_mutex_unlock(&log_lock);
    }
}

static int is_tracked(int fd) { return fd >= 0 && fd < MAX_FDS && tracked[fd] != 0; }
static uint32_t file_of(int fd) { return (uint32_t)((tracked[fd] & 0xff) - 1); }
static uint32_t write_op(int fd) { return (tracked[fd] & 0x100) ? OP_SYNCED_WRITE : OP_WRITE; }

#define REAL(name) static __typeof__(name) *real_##name; if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name)

static int open_mode(int flags, va_list ap) {
    return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
    REAL(open);
    va_list ap; va_start(ap, flags); int mode = open_mode(flags, ap); va_end(ap);
    int fd = real_open(path, flags, mode);
    track(fd, path, flags);
    return fd;
}

int open64(const char *path, int flags, ...) {
    REAL(open64);
    va_list ap; va_start(ap, flags); int mode = open_mode(flags, ap); va_end(ap);
    int fd = real_open64(path, flags, mode);
    track(fd, path, flags);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
    REAL(openat);
    va_list ap; va_start(ap, flags); int mode = open_mode(flags, ap); va_end(ap);
    int fd = real_openat(dirfd, path, flags, mode);
    track(fd, path, flags);
    return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
    REAL(openat64);
    va_list ap; va_start(ap, flags); int mode = open_mode(flags, ap); va_end(ap);
    int fd = real_openat64(dirfd, path, flags, mode);
    track(fd, path, flags);
    return fd;
}

int __open_2(const char *path, int flags) { return open(path, flags); }
int __open64_2(const char *path, int flags) { return open64(path, flags); }

int close(int fd) {
    REAL(close);
    if (fd >= 0 && fd < MAX_FDS) tracked[fd] = 0;
    return real_close(fd);
}

static ssize_t logged_write(int fd, off_t offset, ssize_t result, const struct iovec *iov, int iovcnt) {
    if (result > 0) {
        pthread_mutex_lock(&log_lock);
        append(write_op(fd), file_of(fd), (uint64_t)offset, (uint64_t)result, iov, iovcnt);
        pthread_mutex_unlock(&log_lock);
    }
    return result;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite);
    ssize_t n = real_pwrite(fd, buf, count, offset);
    if (!is_tracked(fd)) return n;
    struct iovec iov = { (void *)buf, count };
    return logged_write(fd, offset, n, &iov, 1);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite64);
    ssize_t n = real_pwrite64(fd, buf, count, offset);
    if (!is_tracked(fd)) return n;
    struct iovec iov = { (void *)buf, count };
    return logged_write(fd, offset, n, &iov, 1);
}

ssize_t write(int fd, const void *buf, size_t count) {
    REAL(write);
    if (!is_tracked(fd)) return real_write(fd, buf, count);
    off_t offset = lseek(fd, 0, SEEK_CUR);
    ssize_t n = real_write(fd, buf, count);
    struct iovec iov = { (void *)buf, count };
    return logged_write(fd, offset, n, &iov, 1);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    REAL(writev);
    if (!is_tracked(fd)) return real_writev(fd, iov, iovcnt);
    off_t offset = lseek(fd, 0, SEEK_CUR);
    ssize_t n = real_writev(fd, iov, iovcnt);
    return logged_write(fd, offset, n, iov, iovcnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
    REAL(pwritev);
    ssize_t n = real_pwritev(fd, iov, iovcnt, offset);
    if (!is_tracked(fd)) return n;
    return logged_write(fd, offset, n, iov, iovcnt);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
    REAL(pwritev64);
    ssize_t n = real_pwritev64(fd, iov, iovcnt, offset);
    if (!is_tracked(fd)) return n;
    return logged_write(fd, offset, n, iov, iovcnt);
}

static int logged_sync(int fd, int result) {
    if (result == 0 && is_tracked(fd)) {
        pthread_mutex_lock(&log_lock);
        append(OP_SYNC, file_of(fd), 0, 0, NULL, 0);
        pthread_mutex_unlock(&log_lock);
    }
    return result;
}

int fsync(int fd) { REAL(fsync); return logged_sync(fd, real_fsync(fd)); }
int fdatasync(int fd) { REAL(fdatasync); return logged_sync(fd, real_fdatasync(fd)); }

static int logged_truncate(int fd, off_t length, int result) {
    if (result == 0 && is_tracked(fd)) {
        pthread_mutex_lock(&log_lock);
        append(OP_TRUNCATE, file_of(fd), (uint64_t)length, 0, NULL, 0);
        pthread_mutex_unlock(&log_lock);
    }
    return result;
}

int ftruncate(int fd, off_t length) { REAL(ftruncate); return logged_truncate(fd, length, real_ftruncate(fd, length)); }
int ftruncate64(int fd, off_t length) { REAL(ftruncate64); return logged_truncate(fd, length, real_ftruncate64(fd, length)); }

int msync(void *addr, size_t length, int flags) {
    REAL(msync);
    int result = real_msync(addr, length, flags);
    pthread_mutex_lock(&log_lock);
    append(OP_MSYNC, 0, (uint64_t)(uintptr_t)addr, (uint64_t)length, NULL, 0);
    pthread_mutex_unlock(&log_lock);
    return result;
}

static void check_mmap(int fd, int prot, int flags) {
    if (is_tracked(fd) && file_of(fd) == 0 && (prot & PROT_WRITE) && (flags & MAP_SHARED)) {
        pthread_mutex_lock(&log_lock);
        append(OP_SHARED_MMAP, 0, 0, 0, NULL, 0);
        pthread_mutex_unlock(&log_lock);
    }
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    REAL(mmap);
    check_mmap(fd, prot, flags);
    return real_mmap(addr, length, prot, flags, fd, offset);
}

void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    REAL(mmap64);
    check_mmap(fd, prot, flags);
    return real_mmap64(addr, length, prot, flags, fd, offset);
}
