// SPDX-License-Identifier: MIT
/*
 * vdmabuf-native: the daemon's frame path on the bare machine, timed.
 *
 *   vdmabuf-native --backend PATH [--frames N] [--warmup N] [--size WxH]
 *                  [--buffers B] [--consumers M] [--strace] [--protocol 1|2]
 *                  [--dir DIR]
 *     One emulated guest (tests/transport/fake-frontend.c: QEMU and the
 *     guest's driver over vhost-user) against the real daemon, started
 *     with --bench-no-import, and M consumers on its consumer socket,
 *     each a process of its own. The guest exports B buffers of WxH XR24
 *     once, then runs N round trips, one frame in flight: PRESENT (the
 *     version 1 request, 304 bytes) -> the reply -> FRAME at every
 *     consumer -> their RELEASE -> the RELEASE event, whose buffer the
 *     guest posts back. With --protocol 2 the guest is a version 2 driver
 *     (spec §19): a 48-byte PRESENT without a reply, kicks only where the
 *     device asks, no interrupt for the control queue, event buffers given
 *     back without a kick. Prints one JSON object: the latencies (us) and
 *     per frame the daemon's syscalls (--strace: strace -c attached for
 *     the measured frames only), context switches, CPU, kicks and
 *     interrupts (the daemon's STATS) and bytes each way.
 *
 *   vdmabuf-native --backend PATH --scale --guests N --consumers M
 *                  [--slow-ms D] [--rate HZ] [--seconds S] [--dir DIR]
 *     N guests, each with its own daemon and M consumers, present at
 *     HZ for S seconds (after a second of warm-up) round robin over B
 *     buffers, never waiting for a release. With --slow-ms the last
 *     consumer of guest 0 releases every frame D ms late. Prints one
 *     JSON object with a row per guest: the latency PRESENT -> FRAME at
 *     its fast consumers, PRESENT -> RELEASE event at the guest, frames
 *     that found every buffer held, and the daemon's CPU per frame.
 *
 * The daemon copies no pixel and reads none: with --bench-no-import
 * nothing of guest memory reaches a consumer, which imports each buffer
 * and gets its description with no fd (checked here). The guest draws
 * nothing for the same reason.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fake-frontend.h"
#include "vdmabuf_consumer.h"
#include "vdmabuf_proto.h"

#define XR24 0x34325258u
#define BUF_GPA 0x1000000u
#define MAX_BUFFERS 8
#define MAX_CONSUMERS 8
#define MAX_GUESTS 32
#define EVENT_LEN 64u

struct options {
	const char *backend, *dir;
	unsigned int frames, warmup, width, height, buffers, consumers;
	bool strace, scale;
	unsigned int guests, slow_ms, rate, seconds;
	unsigned int protocol;		/* 1 or 2 (spec §19) */
};

static struct options opt = {
	.frames = 10000, .warmup = 500, .width = 1920, .height = 1080, .buffers = 3,
	.consumers = 1, .guests = 1, .rate = 120, .seconds = 5, .protocol = 1,
};

/* Where a version 2 PRESENT goes: its own descriptor, no reply after it. */
#define V2_PRESENT_GPA 0x50000u
#define V2_PRESENT_HEAD 2

static void die(const char *what)
{
	fprintf(stderr, "vdmabuf-native: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "vdmabuf-native: %s\n", what);
	exit(1);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static double quantile_us(const uint64_t *sorted, size_t n, double q)
{
	size_t i;

	if (!n)
		return -1;
	i = (size_t)(q * n);
	if (i >= n)
		i = n - 1;
	return sorted[i] / 1000.0;
}

/* Per process counters of /proc */

struct proc_counts {
	uint64_t cpu_ns;		/* schedstat: on CPU, every thread */
	uint64_t ctxt;			/* voluntary + involuntary switches */
};

static uint64_t read_u64_after(const char *path, const char *key)
{
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static struct proc_counts proc_counts(pid_t pid)
{
	struct proc_counts c = { 0 };
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%" SCNu64, &c.cpu_ns) != 1)
			c.cpu_ns = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	c.ctxt = read_u64_after(path, "voluntary_ctxt_switches:") +
		 read_u64_after(path, "nonvoluntary_ctxt_switches:");
	return c;
}

/* The daemon */

struct daemon {
	pid_t pid;
	char vhost[108], consumer[108];
};

static void daemon_start(struct daemon *d, unsigned int index)
{
	snprintf(d->vhost, sizeof(d->vhost), "%s/vhost-%u.sock", opt.dir, index);
	snprintf(d->consumer, sizeof(d->consumer), "%s/consumer-%u.sock", opt.dir, index);
	d->pid = fork();
	if (d->pid < 0)
		die("fork");
	if (d->pid == 0) {
		char log[128];
		int fd;

		/* Its log beside the sockets; the warning it must print included. */
		snprintf(log, sizeof(log), "%s/daemon-%u.log", opt.dir, index);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		execl(opt.backend, opt.backend, "--socket", d->vhost, "--consumer-socket",
		      d->consumer, "--consumer-mode", "0600", "--bench-no-import",
		      "--log-level", "warning", (char *)NULL);
		_exit(127);
	}
}

static void daemon_stop(struct daemon *d)
{
	int status;

	kill(d->pid, SIGTERM);
	waitpid(d->pid, &status, 0);
}

/* The guest: requests and events on the fake frontend */

struct guest {
	struct fake_frontend ff;
	struct daemon daemon;
	struct vdmabuf_wire_id ids[MAX_BUFFERS];
	bool held[MAX_BUFFERS];
	uint64_t sent_frame[MAX_BUFFERS];
	uint64_t to_host, from_host;	/* bytes of requests, replies and events */
	uint64_t events_posted;
	uint64_t kicks;			/* version 2: the ones the device asked for */
};

static int export_buffer(struct guest *g, unsigned int i)
{
	struct {
		struct vdmabuf_export hdr;
		struct vdmabuf_extent ext;
	} r = { 0 };
	uint64_t size = ((uint64_t)opt.width * 4 * opt.height + 4095) & ~4095ull;
	struct vdmabuf_reply reply;
	int status;

	r.hdr.hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	r.hdr.width = htole32(opt.width);
	r.hdr.height = htole32(opt.height);
	r.hdr.fourcc = htole32(XR24);
	r.hdr.num_planes = htole32(1);
	r.hdr.planes[0].stride = htole32(opt.width * 4);
	r.hdr.size = htole64(size);
	r.hdr.num_extents = htole32(1);
	r.ext.addr = htole64(BUF_GPA + i * size);
	r.ext.len = htole64(size);
	if (BUF_GPA + (i + 1) * size > FF_RAM_SIZE)
		fail("buffers do not fit the guest's RAM");
	status = ff_control(&g->ff, &r, sizeof(r), &reply);
	if (status)
		return status;
	g->ids[i] = reply.id;
	return 0;
}

/* PRESENT, version 1 (the whole structure, no damage): the reply's status. */
static int present(struct guest *g, unsigned int i, uint64_t frame)
{
	struct vdmabuf_present p = { .hdr.type = htole32(VDMABUF_CTRL_PRESENT) };
	struct vdmabuf_reply reply;
	int status;

	p.id = g->ids[i];
	p.frame = htole64(frame);
	if (opt.protocol == 2) {
		/* Sized (48 bytes: no damage), unanswered: a refusal is an event. */
		memcpy(ff_gpa(&g->ff, V2_PRESENT_GPA), &p, vdmabuf_present_len(0));
		g->ff.vq[0].desc[V2_PRESENT_HEAD] =
			(struct vring_desc){ V2_PRESENT_GPA, vdmabuf_present_len(0), 0, 0 };
		g->kicks += ff_publish(&g->ff, 0, V2_PRESENT_HEAD);
		g->to_host += vdmabuf_present_len(0);
		g->held[i] = true;
		g->sent_frame[i] = frame;
		return 0;
	}
	status = ff_control(&g->ff, &p, sizeof(p), &reply);
	g->to_host += sizeof(p);
	g->from_host += sizeof(reply);
	g->held[i] = status == 0;
	g->sent_frame[i] = frame;
	return status;
}

/*
 * Takes the next event if one is there within timeout_ms and posts its
 * buffer back; a RELEASE frees its buffer. Returns the index of the buffer
 * a RELEASE freed, -1 for another event, -2 when none came.
 */
static int next_event(struct guest *g, int timeout_ms)
{
	struct vdmabuf_event ev;
	uint32_t head, len;
	int ret = -1;

	if (ff_wait_used(&g->ff, 1, &head, &len, timeout_ms) < 0)
		return -2;
	if (len > sizeof(ev))
		fail("event longer than its buffer");
	memcpy(&ev, ff_gpa(&g->ff, g->ff.vq[1].desc[head].addr), len);
	g->from_host += len;
	if (opt.protocol == 2) {
		uint32_t chead, clen;

		g->kicks += ff_publish(&g->ff, 1, head);
		/* The PRESENTs the device took, reclaimed without an interrupt. */
		while (__atomic_load_n(&g->ff.vq[0].used->idx, __ATOMIC_ACQUIRE) !=
		       g->ff.vq[0].used_seen)
			if (ff_poll_used(&g->ff, 0, &chead, &clen, 0) || clen)
				fail("a PRESENT came back with a reply");
		if (le32toh(ev.type) == VDMABUF_EVENT_PRESENT_ERROR)
			fail("PRESENT refused");
	} else {
		ff_make_available(&g->ff, 1, head);
	}
	g->events_posted++;
	if (le32toh(ev.type) == VDMABUF_EVENT_RELEASE) {
		for (unsigned int i = 0; i < opt.buffers; i++)
			if (!memcmp(&ev.u.release.id, &g->ids[i], sizeof(g->ids[i]))) {
				if (!g->held[i] || le64toh(ev.u.release.frame) != g->sent_frame[i])
					fail("RELEASE of a frame not held");
				g->held[i] = false;
				ret = i;
			}
	}
	return ret;
}

static void guest_start(struct guest *g, unsigned int index)
{
	memset(g, 0, sizeof(*g));
	daemon_start(&g->daemon, index);
	if (ff_accept(&g->ff, g->daemon.vhost, 10000) < 0)
		fail("the daemon did not take the frontend (see its log)");
	if (opt.protocol == 2)
		g->ff.extra_features = FF_VERSION_2;
	if (ff_start(&g->ff) < 0)
		fail("the daemon did not take the frontend (see its log)");
}

/* Consumers: each a process, driven over a socketpair */

enum { CMD_STATS = 'S', CMD_QUIT = 'Q', CMD_RESET = 'Z' };

struct consumer_report {
	uint64_t frames, releases, imports, fds_received;
	uint64_t bytes_in, bytes_out;
	uint64_t latency_n;
	double p50_us, p90_us, p99_us, max_us;
	uint64_t cpu_ns, ctxt;
};

struct consumer_proc {
	pid_t pid;
	int ctl;
};

static int consumer_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	for (int tries = 0; tries < 500; tries++) {
		if (connect(fd, (void *)&addr, sizeof(addr)) == 0)
			return fd;
		usleep(10000);
	}
	die("consumer connect");
	return -1;
}

struct pending { uint64_t due; struct vdmabuf_id id; uint64_t frame; };

/* RELEASE of a frame, as a display that showed it at t would send it. */
static void send_release(int fd, struct consumer_report *rep, const struct pending *p,
			 uint64_t t)
{
	struct vdmabuf_consumer_msg m = { .type = VDMABUF_MSG_RELEASE };

	m.id = p->id;
	m.u.release.frame = p->frame;
	m.u.release.present_ns = t;
	m.u.release.flags = VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY;
	if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		die("release");
	rep->bytes_out += sizeof(m);
	rep->releases++;
}

/*
 * One consumer: imports every buffer, releases every FRAME at once (or
 * slow_ms later), and times PRESENT -> FRAME from the guest's stamps.
 */
static void consumer_main(const char *path, int ctl, unsigned int slow_ms,
			  const uint64_t *stamps, unsigned int num_stamps)
{
	int fd = consumer_connect(path);
	struct consumer_report rep = { 0 };
	size_t cap = 1 << 16;
	uint64_t *lat = malloc(cap * sizeof(*lat));
	struct pending *pend = calloc(4096, sizeof(*pend));
	unsigned int np = 0;
	bool measuring = false;

	if (!lat || !pend)
		die("malloc");
	for (;;) {
		struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { ctl, POLLIN, 0 } };
		int timeout = -1;
		uint64_t t;

		if (np) {
			uint64_t now = now_ns();

			timeout = pend[0].due > now ? (int)((pend[0].due - now) / 1000000) + 1 : 0;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			die("poll");
		t = now_ns();
		/* Releases come due (the slow consumer's). */
		while (np && pend[0].due <= t) {
			send_release(fd, &rep, &pend[0], t);
			memmove(pend, pend + 1, --np * sizeof(*pend));
		}
		if (pfd[0].revents & POLLIN) {
			struct vdmabuf_consumer_msg m, out = { 0 };
			char control[CMSG_SPACE(sizeof(int))];
			struct iovec iov = { &m, sizeof(m) };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = control,
					     .msg_controllen = sizeof(control) };
			struct cmsghdr *c;
			ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

			if (n <= 0)
				break;
			rep.bytes_in += n;
			c = CMSG_FIRSTHDR(&mh);
			if (c && c->cmsg_type == SCM_RIGHTS) {
				int got;

				memcpy(&got, CMSG_DATA(c), sizeof(got));
				close(got);
				rep.fds_received++;
			}
			switch (m.type) {
			case VDMABUF_MSG_BUFFER:
				out.type = VDMABUF_MSG_IMPORT;
				out.id = m.id;
				if (send(fd, &out, sizeof(out), MSG_NOSIGNAL) != sizeof(out))
					die("import");
				rep.bytes_out += sizeof(out);
				break;
			case VDMABUF_MSG_IMPORT:
				rep.imports++;
				/* Tell the guest: one byte per import. */
				if (write(ctl, "I", 1) != 1)
					die("ctl");
				break;
			case VDMABUF_MSG_REPLY:
				fprintf(stderr, "consumer: request %u refused: %d\n", m.status_of,
					m.status);
				break;
			case VDMABUF_MSG_STATS:
				/* The bench's own question: not the frame path's bytes. */
				rep.bytes_in -= n;
				if (write(ctl, &m.u.stats, sizeof(m.u.stats)) != sizeof(m.u.stats))
					die("ctl");
				break;
			case VDMABUF_MSG_FRAME:
				/* --scale: the frames the guest stamped as measured. */
				if (!stamps || (m.u.frame.frame < num_stamps &&
						stamps[m.u.frame.frame]))
					rep.frames++;
				if (measuring && stamps && m.u.frame.frame < num_stamps &&
				    stamps[m.u.frame.frame]) {
					if (rep.latency_n == cap) {
						cap *= 2;
						lat = realloc(lat, cap * sizeof(*lat));
						if (!lat)
							die("realloc");
					}
					lat[rep.latency_n++] = t - stamps[m.u.frame.frame];
				}
				if (np == 4096)
					fail("consumer: too many frames held");
				pend[np] = (struct pending){ t + slow_ms * 1000000ull, m.id,
							     m.u.frame.frame };
				if (slow_ms)
					np++;
				else
					send_release(fd, &rep, &pend[np], t);
				break;
			default:
				break;
			}
		}
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			char cmd;

			if (read(ctl, &cmd, 1) != 1)
				break;
			if (cmd == CMD_STATS) {
				struct vdmabuf_consumer_msg s = { .type = VDMABUF_MSG_STATS };

				if (send(fd, &s, sizeof(s), MSG_NOSIGNAL) != sizeof(s))
					die("stats");
			} else if (cmd == CMD_RESET) {
				/* The measured part starts. */
				uint64_t imports = rep.imports, fds = rep.fds_received;

				rep = (struct consumer_report){ 0 };
				rep.imports = imports;
				rep.fds_received = fds;
				measuring = true;
			} else if (cmd == CMD_QUIT) {
				struct proc_counts pc = proc_counts(getpid());

				qsort(lat, rep.latency_n, sizeof(*lat), cmp_u64);
				rep.p50_us = quantile_us(lat, rep.latency_n, 0.5);
				rep.p90_us = quantile_us(lat, rep.latency_n, 0.9);
				rep.p99_us = quantile_us(lat, rep.latency_n, 0.99);
				rep.max_us = rep.latency_n ? lat[rep.latency_n - 1] / 1000.0 : -1;
				rep.cpu_ns = pc.cpu_ns;
				rep.ctxt = pc.ctxt;
				if (write(ctl, &rep, sizeof(rep)) != sizeof(rep))
					die("ctl");
				break;
			}
		}
	}
	_exit(0);
}

static void consumers_start(struct consumer_proc *cp, unsigned int m, const char *path,
			    unsigned int slow_ms_last, const uint64_t *stamps,
			    unsigned int num_stamps)
{
	for (unsigned int i = 0; i < m; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair");
		cp[i].pid = fork();
		if (cp[i].pid < 0)
			die("fork");
		if (cp[i].pid == 0) {
			close(sv[0]);
			consumer_main(path, sv[1], i == m - 1 ? slow_ms_last : 0, stamps,
				      num_stamps);
		}
		close(sv[1]);
		cp[i].ctl = sv[0];
	}
}

static void ctl_read(int ctl, void *buf, size_t len)
{
	struct pollfd pfd = { ctl, POLLIN, 0 };
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) != 1)
			fail("a consumer did not answer");
		n = read(ctl, (char *)buf + done, len - done);
		if (n <= 0)
			fail("a consumer went away");
		done += n;
	}
}

/* Waits until every consumer imported every buffer. */
static void consumers_wait_imports(struct consumer_proc *cp, unsigned int m)
{
	for (unsigned int i = 0; i < m; i++)
		for (unsigned int b = 0; b < opt.buffers; b++) {
			char c;

			ctl_read(cp[i].ctl, &c, 1);
		}
}

/* The daemon's STATS, asked by consumer 0 (no frame in flight). */
static struct vdmabuf_msg_stats daemon_stats(struct consumer_proc *cp)
{
	struct vdmabuf_msg_stats s;
	char cmd = CMD_STATS;

	if (write(cp->ctl, &cmd, 1) != 1)
		die("ctl");
	ctl_read(cp->ctl, &s, sizeof(s));
	return s;
}

static void consumers_cmd(struct consumer_proc *cp, unsigned int m, char cmd)
{
	for (unsigned int i = 0; i < m; i++)
		if (write(cp[i].ctl, &cmd, 1) != 1)
			die("ctl");
}

static void consumers_finish(struct consumer_proc *cp, unsigned int m,
			     struct consumer_report *rep)
{
	consumers_cmd(cp, m, CMD_QUIT);
	for (unsigned int i = 0; i < m; i++) {
		int status;

		ctl_read(cp[i].ctl, &rep[i], sizeof(rep[i]));
		close(cp[i].ctl);
		waitpid(cp[i].pid, &status, 0);
	}
}

/* strace -c attached to the daemon for the measured frames */

static pid_t strace_attach(pid_t pid, const char *out)
{
	char spid[16], path[64];
	pid_t s;

	snprintf(spid, sizeof(spid), "%d", pid);
	s = fork();
	if (s < 0)
		die("fork");
	if (s == 0) {
		execlp("strace", "strace", "-c", "-f", "-q", "-o", out, "-p", spid, (char *)NULL);
		_exit(127);
	}
	/* Attached once the daemon names its tracer. */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	for (int i = 0; i < 1000; i++) {
		if (read_u64_after(path, "TracerPid:"))
			return s;
		usleep(5000);
	}
	fail("strace did not attach");
	return -1;
}

/* The total calls of strace -c's table, and the table's rows into json. */
static uint64_t strace_finish(pid_t s, const char *out, char *rows, size_t rows_len)
{
	char line[256];
	uint64_t total = 0;
	int status;
	size_t used = 0;
	FILE *f;

	kill(s, SIGINT);
	waitpid(s, &status, 0);
	f = fopen(out, "re");
	if (!f)
		return 0;
	rows[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		double pct, secs;
		unsigned long usecs, calls, errs;
		char name[64];
		int n;

		n = sscanf(line, "%lf %lf %lu %lu %lu %63s", &pct, &secs, &usecs, &calls, &errs,
			   name);
		if (n != 6) {
			errs = 0;
			n = sscanf(line, "%lf %lf %lu %lu %63s", &pct, &secs, &usecs, &calls, name);
			if (n != 5)
				continue;
		}
		if (!strcmp(name, "total")) {
			total = calls;
			continue;
		}
		used += snprintf(rows + used, used < rows_len ? rows_len - used : 0,
				 "%s\"%s\": %lu", used ? ", " : "", name, calls);
	}
	fclose(f);
	return total;
}

/* --frames round trips, one frame in flight */

static void run_micro(void)
{
	unsigned int total = opt.warmup + opt.frames;
	uint64_t *lat = malloc(opt.frames * sizeof(*lat));
	struct consumer_proc cp[MAX_CONSUMERS];
	struct consumer_report rep[MAX_CONSUMERS];
	struct vdmabuf_msg_stats s0 = { 0 }, s1;
	struct proc_counts d0 = { 0 }, d1;
	uint64_t to0 = 0, from0 = 0, t0 = 0, wall, kicks0 = 0;
	char strace_out[160], rows[2048] = "";
	uint64_t syscalls = 0;
	uint64_t cbytes_in = 0, cbytes_out = 0, cframes = 0, creleases = 0, cfds = 0;
	uint64_t cimports = 0;
	pid_t tracer = -1;
	struct guest g;
	double n;

	if (!lat)
		die("malloc");
	guest_start(&g, 0);
	consumers_start(cp, opt.consumers, g.daemon.consumer, 0, NULL, 0);
	for (unsigned int i = 0; i < opt.buffers; i++)
		if (export_buffer(&g, i))
			fail("EXPORT refused");
	consumers_wait_imports(cp, opt.consumers);
	/* Version 2: no interrupt for the control queue from now on. */
	if (opt.protocol == 2)
		*ff_used_event(&g.ff, 0) = (uint16_t)(g.ff.vq[0].used_seen + 0x8000);

	for (unsigned int f = 0; f < total; f++) {
		unsigned int b = f % opt.buffers;
		uint64_t start;
		int got;

		if (f == opt.warmup) {
			consumers_cmd(cp, opt.consumers, CMD_RESET);
			s0 = daemon_stats(cp);
			if (opt.strace) {
				snprintf(strace_out, sizeof(strace_out), "%s/strace.txt", opt.dir);
				tracer = strace_attach(g.daemon.pid, strace_out);
			}
			d0 = proc_counts(g.daemon.pid);
			to0 = g.to_host;
			from0 = g.from_host;
			kicks0 = g.kicks;
			t0 = now_ns();
		}
		start = now_ns();
		if (present(&g, b, f))
			fail("PRESENT refused");
		do
			got = next_event(&g, 5000);
		while (got == -1);
		if (got != (int)b)
			fail("no RELEASE of the frame");
		if (f >= opt.warmup)
			lat[f - opt.warmup] = now_ns() - start;
	}
	wall = now_ns() - t0;
	d1 = proc_counts(g.daemon.pid);
	if (tracer > 0)
		syscalls = strace_finish(tracer, strace_out, rows, sizeof(rows));
	s1 = daemon_stats(cp);
	consumers_finish(cp, opt.consumers, rep);
	daemon_stop(&g.daemon);
	ff_close(&g.ff);

	qsort(lat, opt.frames, sizeof(*lat), cmp_u64);
	n = opt.frames;

	for (unsigned int i = 0; i < opt.consumers; i++) {
		cbytes_in += rep[i].bytes_in;
		cbytes_out += rep[i].bytes_out;
		cframes += rep[i].frames;
		creleases += rep[i].releases;
		cfds += rep[i].fds_received;
		cimports += rep[i].imports;
	}
	/* --bench-no-import: the description only, never the guest's memory. */
	if (cfds || cimports != (uint64_t)opt.buffers * opt.consumers)
		fail("a consumer got an fd, or not every import");
	printf("{\"method\": \"vdmabuf\", \"protocol\": %u, \"frames\": %u, \"warmup\": %u, "
	       "\"size\": \"%ux%u\", \"buffers\": %u, \"consumers\": %u,\n",
	       opt.protocol, opt.frames, opt.warmup, opt.width, opt.height, opt.buffers,
	       opt.consumers);
	printf(" \"us_median\": %.3f, \"us_p90\": %.3f, \"us_p99\": %.3f, \"us_min\": %.3f, "
	       "\"us_max\": %.3f, \"us_per_frame_wall\": %.3f,\n",
	       quantile_us(lat, opt.frames, 0.5), quantile_us(lat, opt.frames, 0.9),
	       quantile_us(lat, opt.frames, 0.99), lat[0] / 1000.0,
	       lat[opt.frames - 1] / 1000.0, wall / 1000.0 / n);
	printf(" \"per_frame\": {\"presents\": %.4f, \"releases_to_guest\": %.4f, "
	       "\"notifications\": %.4f, \"interrupts\": %.4f, \"guest_kicks\": %.4f, "
	       "\"guest_to_host_bytes\": %.2f, \"guest_to_host_bytes_stats\": %.2f, "
	       "\"host_to_guest_bytes\": %.2f, "
	       "\"frames_to_consumers\": %.4f, \"releases_from_consumers\": %.4f, "
	       "\"daemon_to_consumer_bytes\": %.2f, \"consumer_to_daemon_bytes\": %.2f, "
	       "\"daemon_cpu_us\": %.3f, \"daemon_ctxt_switches\": %.4f, "
	       "\"daemon_syscalls\": %.3f, \"bytes_copied\": 0},\n",
	       (s1.frames_total - s0.frames_total) / n, (s1.releases_total - s0.releases_total) / n,
	       (s1.notifications - s0.notifications) / n, (s1.interrupts - s0.interrupts) / n,
	       opt.protocol == 2 ? (g.kicks - kicks0) / n : (s1.notifications - s0.notifications) / n,
	       (g.to_host - to0) / n, (s1.guest_bytes - s0.guest_bytes) / n,
	       (g.from_host - from0) / n, cframes / n, creleases / n,
	       cbytes_in / n, cbytes_out / n,
	       (d1.cpu_ns - d0.cpu_ns) / 1000.0 / n, (double)(d1.ctxt - d0.ctxt) / n,
	       opt.strace ? syscalls / n : -1.0);
	printf(" \"imports\": %" PRIu64 ", \"import_fds\": %" PRIu64 ", \"strace\": %s,\n",
	       cimports, cfds, opt.strace ? "true" : "false");
	printf(" \"daemon_syscalls_by_name\": {%s}}\n", rows);
	free(lat);
}

/* --scale: N guests x M consumers, paced */

struct guest_result {
	unsigned int guest;
	uint64_t presents, stalls, releases;
	double release_p50_us, release_p99_us;
	double daemon_cpu_us_per_frame;
	uint64_t daemon_ctxt;
	double notifications, interrupts;	/* per frame */
	struct consumer_report rep[MAX_CONSUMERS];
};

static void run_guest_paced(unsigned int index, int out_fd)
{
	unsigned int m = opt.consumers, slow = index == 0 ? opt.slow_ms : 0;
	uint64_t period = 1000000000ull / opt.rate;
	unsigned int max_frames = opt.rate * (opt.seconds + 2) + 16;
	uint64_t *stamps = mmap(NULL, max_frames * sizeof(uint64_t), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t *rel = malloc(max_frames * sizeof(uint64_t));
	struct consumer_proc cp[MAX_CONSUMERS];
	struct guest_result res = { .guest = index };
	struct vdmabuf_msg_stats s0 = { 0 }, s1;
	struct proc_counts d0 = { 0 }, d1;
	uint64_t next, start, end, frame = 1, nrel = 0;
	uint64_t present_at[MAX_BUFFERS] = { 0 };
	unsigned int cursor = 0;
	bool measuring = false;
	struct guest g;

	if (stamps == MAP_FAILED || !rel)
		die("mmap");
	guest_start(&g, index);
	consumers_start(cp, m, g.daemon.consumer, slow, stamps, max_frames);
	for (unsigned int i = 0; i < opt.buffers; i++)
		if (export_buffer(&g, i))
			fail("EXPORT refused");
	consumers_wait_imports(cp, m);

	/* A second of warm-up first. */
	start = now_ns();
	next = start;
	end = start + (opt.seconds + 1) * 1000000000ull;
	while (now_ns() < end || !measuring) {
		uint64_t t = now_ns();
		int got;

		if (!measuring && t >= start + 1000000000ull) {
			consumers_cmd(cp, m, CMD_RESET);
			s0 = daemon_stats(cp);
			d0 = proc_counts(g.daemon.pid);
			measuring = true;
		}
		if (t >= next) {
			unsigned int b = opt.buffers;

			for (unsigned int k = 0; k < opt.buffers; k++)
				if (!g.held[(cursor + k) % opt.buffers]) {
					b = (cursor + k) % opt.buffers;
					break;
				}
			if (b == opt.buffers) {
				if (measuring)
					res.stalls++;
			} else {
				cursor = b + 1;
				if (frame < max_frames)
					stamps[frame] = measuring ? now_ns() : 0;
				present_at[b] = now_ns();
				if (present(&g, b, frame++))
					fail("PRESENT refused");
				if (measuring)
					res.presents++;
			}
			next += period;
			if (next < t)
				next = t + period;
			continue;
		}
		/* Rounded up: never a busy wait (ticks stay on their grid). */
		got = next_event(&g, (int)((next - t + 999999) / 1000000));
		/* Frames presented within the measured part only. */
		if (got >= 0 && nrel < max_frames && g.sent_frame[got] < max_frames &&
		    stamps[g.sent_frame[got]])
			rel[nrel++] = now_ns() - present_at[got];
	}
	d1 = proc_counts(g.daemon.pid);
	s1 = daemon_stats(cp);
	consumers_finish(cp, m, res.rep);
	for (unsigned int i = 0; i < m; i++)
		if (res.rep[i].fds_received || res.rep[i].imports != opt.buffers)
			fail("a consumer got an fd, or not every import");
	daemon_stop(&g.daemon);
	ff_close(&g.ff);

	qsort(rel, nrel, sizeof(*rel), cmp_u64);
	res.releases = nrel;
	res.release_p50_us = quantile_us(rel, nrel, 0.5);
	res.release_p99_us = quantile_us(rel, nrel, 0.99);
	res.daemon_cpu_us_per_frame = res.presents ?
		(d1.cpu_ns - d0.cpu_ns) / 1000.0 / res.presents : -1;
	res.daemon_ctxt = d1.ctxt - d0.ctxt;
	res.notifications = res.presents ?
		(double)(s1.notifications - s0.notifications) / res.presents : -1;
	res.interrupts = res.presents ?
		(double)(s1.interrupts - s0.interrupts) / res.presents : -1;
	if (write(out_fd, &res, sizeof(res)) != sizeof(res))
		die("result");
	_exit(0);
}

static void run_scale(void)
{
	struct guest_result res[MAX_GUESTS];
	pid_t pids[MAX_GUESTS];
	int fds[MAX_GUESTS][2];

	for (unsigned int i = 0; i < opt.guests; i++) {
		if (pipe2(fds[i], O_CLOEXEC) < 0)
			die("pipe");
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			close(fds[i][0]);
			run_guest_paced(i, fds[i][1]);
		}
		close(fds[i][1]);
	}
	for (unsigned int i = 0; i < opt.guests; i++) {
		int status;
		size_t done = 0;

		while (done < sizeof(res[i])) {
			ssize_t n = read(fds[i][0], (char *)&res[i] + done, sizeof(res[i]) - done);

			if (n <= 0)
				fail("a guest failed");
			done += n;
		}
		close(fds[i][0]);
		waitpid(pids[i], &status, 0);
	}
	printf("{\"mode\": \"scale\", \"guests\": %u, \"consumers\": %u, \"slow_ms\": %u, "
	       "\"rate_hz\": %u, \"seconds\": %u, \"buffers\": %u, \"size\": \"%ux%u\", "
	       "\"rows\": [\n", opt.guests, opt.consumers, opt.slow_ms, opt.rate, opt.seconds,
	       opt.buffers, opt.width, opt.height);
	for (unsigned int i = 0; i < opt.guests; i++) {
		struct guest_result *r = &res[i];

		printf("  {\"guest\": %u, \"presents\": %" PRIu64 ", \"stalls\": %" PRIu64
		       ", \"releases\": %" PRIu64 ", \"release_p50_us\": %.1f, "
		       "\"release_p99_us\": %.1f, \"daemon_cpu_us_per_frame\": %.2f, "
		       "\"daemon_ctxt_switches\": %" PRIu64 ", \"notifications_per_frame\": %.3f, "
		       "\"interrupts_per_frame\": %.3f, \"consumers\": [",
		       r->guest, r->presents, r->stalls, r->releases, r->release_p50_us,
		       r->release_p99_us, r->daemon_cpu_us_per_frame, r->daemon_ctxt,
		       r->notifications, r->interrupts);
		for (unsigned int c = 0; c < opt.consumers; c++) {
			struct consumer_report *cr = &r->rep[c];

			printf("%s{\"slow\": %s, \"frames\": %" PRIu64 ", \"latency_n\": %" PRIu64
			       ", \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, "
			       "\"max_us\": %.1f, \"fds\": %" PRIu64 "}",
			       c ? ", " : "",
			       i == 0 && opt.slow_ms && c == opt.consumers - 1 ? "true" : "false",
			       cr->frames, cr->latency_n, cr->p50_us, cr->p90_us, cr->p99_us,
			       cr->max_us, cr->fds_received);
		}
		printf("]}%s\n", i + 1 < opt.guests ? "," : "");
	}
	printf("]}\n");
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "frames", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "buffers", required_argument, NULL, 'B' },
		{ "consumers", required_argument, NULL, 'm' },
		{ "strace", no_argument, NULL, 'S' },
		{ "scale", no_argument, NULL, 'x' },
		{ "guests", required_argument, NULL, 'g' },
		{ "slow-ms", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 't' },
		{ "protocol", required_argument, NULL, 'p' },
		{ 0 },
	};
	char tmpl[] = "/tmp/vdmabuf-native.XXXXXX";
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'b': opt.backend = optarg; break;
		case 'd': opt.dir = optarg; break;
		case 'n': opt.frames = strtoul(optarg, NULL, 10); break;
		case 'w': opt.warmup = strtoul(optarg, NULL, 10); break;
		case 's':
			if (sscanf(optarg, "%ux%u", &opt.width, &opt.height) != 2)
				fail("--size WxH");
			break;
		case 'B': opt.buffers = strtoul(optarg, NULL, 10); break;
		case 'm': opt.consumers = strtoul(optarg, NULL, 10); break;
		case 'S': opt.strace = true; break;
		case 'x': opt.scale = true; break;
		case 'g': opt.guests = strtoul(optarg, NULL, 10); break;
		case 'l': opt.slow_ms = strtoul(optarg, NULL, 10); break;
		case 'r': opt.rate = strtoul(optarg, NULL, 10); break;
		case 't': opt.seconds = strtoul(optarg, NULL, 10); break;
		case 'p': opt.protocol = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: see the comment at the top of vdmabuf-native.c\n");
			return 2;
		}
	}
	if (!opt.backend || !opt.frames || !opt.buffers || opt.buffers > MAX_BUFFERS ||
	    !opt.consumers || opt.consumers > MAX_CONSUMERS || !opt.guests ||
	    opt.guests > MAX_GUESTS || !opt.rate || !opt.seconds ||
	    (opt.protocol != 1 && opt.protocol != 2) || (opt.scale && opt.protocol != 1))
		fail("bad arguments (--backend PATH is needed)");
	if (!opt.dir) {
		opt.dir = mkdtemp(tmpl);
		if (!opt.dir)
			die("mkdtemp");
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt.scale)
		run_scale();
	else
		run_micro();
	return 0;
}
