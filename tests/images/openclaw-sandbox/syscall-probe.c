/* syscall-probe: try each syscall a sandbox must not reach, and those it must.
 *
 * Prints one line per probe, "name=ok" or "name=ERRNO" (EPERM, ENOSYS, ...), so a
 * test can assert the seccomp profile's verdict syscall by syscall. Static, so it
 * runs in any image. Built by scripts/test-images.sh into the test sandbox image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static void report(const char *name, long rc) {
    if (rc >= 0)
        printf("%s=ok\n", name);
    else
        printf("%s=%s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "unknown");
}

static long try_socket(int family, int type) {
    int fd = socket(family, type, 0);
    if (fd >= 0) close(fd);
    return fd;
}

static long try_clone(unsigned long flags) {
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return pid;
}

/* PTRACE_TRACEME in a throwaway child: when it succeeds, the caller becomes a tracer
 * and would stop at its next signal. The child's exit status carries errno. */
static long try_traceme(void) {
    int status = 0;
    pid_t pid = fork();
    if (pid == 0) _exit(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : errno);
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
    return -1;
}

int main(void) {
    char buf[8] = {0};
    struct iovec local = {buf, sizeof buf}, remote = {buf, sizeof buf};
    unsigned char params[120] = {0};
    int netns;

    setvbuf(stdout, NULL, _IOLBF, 0);
    /* must be denied */
    report("unshare_user", unshare(CLONE_NEWUSER));
    report("unshare_mount", unshare(CLONE_NEWNS));
    report("clone_newuser", try_clone(CLONE_NEWUSER));
    report("clone_newnet", try_clone(CLONE_NEWNET));
    report("clone3", syscall(SYS_clone3, NULL, 0));
    netns = open("/proc/self/ns/net", O_RDONLY);
    report("setns", setns(netns, 0));
    report("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
    report("umount2", umount2("/tmp", MNT_DETACH));
    report("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
    report("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
    report("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/tmp", 0));
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
    report("add_key", syscall(SYS_add_key, "user", "probe", "x", 1, -3));
    report("request_key", syscall(SYS_request_key, "user", "probe", NULL, 0));
    report("userfaultfd", syscall(SYS_userfaultfd, 0));
    report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));
    report("bpf", syscall(SYS_bpf, 0, NULL, 0));
    report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    report("ptrace", try_traceme());
    report("process_vm_readv", syscall(SYS_process_vm_readv, getpid(), &local, 1, &remote, 1, 0));
    report("socket_alg", try_socket(AF_ALG, SOCK_SEQPACKET));
    report("socket_vsock", try_socket(AF_VSOCK, SOCK_STREAM));
    report("socket_netlink", try_socket(AF_NETLINK, SOCK_RAW));
    report("socket_packet", try_socket(AF_PACKET, SOCK_RAW));
    /* must work */
    report("socket_unix", try_socket(AF_UNIX, SOCK_STREAM));
    report("socket_inet", try_socket(AF_INET, SOCK_STREAM));
    report("socket_inet6", try_socket(AF_INET6, SOCK_STREAM));
    report("fork", try_clone(0));
    return 0;
}
