// SPDX-License-Identifier: MIT
/*
 * The daemon's seccomp filter. Once its sockets, devices and fd store are
 * set up, the daemon only moves bytes and fds between QEMU, the engine and
 * consumers: it opens no file, runs no program, makes no socket but a unix
 * one and touches no other process. The filter allows what that needs and
 * traps the rest; the trap logs the syscall and ends the daemon (its
 * service manager restarts it from the fd store).
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static const int allowed[] = {
	/* memory */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise),
	/* fds the daemon holds: sockets, eventfds, timerfds, memfds, dmabufs */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fcntl),
	SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(ftruncate), SCMP_SYS(ioctl),
	SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime), SCMP_SYS(memfd_create), SCMP_SYS(kcmp),
	/* the event loop */
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(ppoll), SCMP_SYS(poll),
	/* QEMU's socket (reconnecting), consumers, the service manager */
	SCMP_SYS(connect), SCMP_SYS(accept4), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(shutdown),
	SCMP_SYS(unlink),
	/* the process itself */
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(prlimit64), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(restart_syscall), SCMP_SYS(exit),
	SCMP_SYS(exit_group),
};

/* Async-signal-safe: a fixed line and the number, then the end. */
static void trapped(int sig, siginfo_t *info, void *ucontext)
{
	char line[96] = "vdmabuf-backend: error: sandbox: syscall ";
	size_t len = strlen(line);
	char digits[12];
	int n = 0, nr = info->si_syscall;

	(void)sig;
	(void)ucontext;
	if (nr < 0)
		nr = 0;
	do
		digits[n++] = '0' + nr % 10;
	while ((nr /= 10) && n < (int)sizeof(digits));
	while (n)
		line[len++] = digits[--n];
	memcpy(line + len, " not allowed\n", 13);
	len += 13;
	if (write(STDERR_FILENO, line, len) < 0)
		_exit(EXIT_FAILURE);
	_exit(EXIT_FAILURE);
}

int sandbox_enter(void)
{
	struct sigaction sa = { .sa_sigaction = trapped, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	unsigned int i;
	int ret;

	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
		if (ret < 0)
			goto out;
	}
	/* Unix sockets only: QEMU's and the service manager's. */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (ret < 0)
		goto out;
	/* Only the trapped syscall's own process ends: its own signals. */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (ret < 0)
		goto out;
	ret = seccomp_load(ctx);
	if (ret == 0)
		log_info("sandbox: seccomp filter of %u syscalls", i + 2);
out:
	seccomp_release(ctx);
	return ret;
}
