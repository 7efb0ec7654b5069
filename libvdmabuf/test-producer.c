// SPDX-License-Identifier: MIT
/*
 * The producer's input API with no driver: producer.c is built into this
 * test, /dev/vdmabuf is a pipe the test writes uevents into, and ioctl()
 * is wrapped (-Wl,--wrap=ioctl) to answer SUBSCRIBE and POINTER (which
 * must carry the image only with VDMABUF_POINTER_IMAGE) and the
 * clipboard's (CLIP_OPEN answers transfer 77). Input and the clipboard
 * reach the listener only once subscribed to; keymap pieces become one
 * whole keymap, and a piece out of order drops the one being assembled.
 * Mode hints: a listener of one output hears output 0's only; after
 * listen_outputs every output's, with GONE. OUTPUT and PRESENT carry
 * the output as given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vdmabuf.h"
#include "vdmabuf_uapi.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

static int subscribe_errno;
static uint32_t subscribed;
static struct vdmabuf_ioc_pointer pointed;
static unsigned int pointers;
static struct vdmabuf_ioc_clip_data clip_data;
static struct vdmabuf_ioc_clip_open clip_open;
static struct vdmabuf_ioc_output output_ioc;
static struct vdmabuf_ioc_present present_ioc;

int __wrap_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...)
{
	struct vdmabuf_ioc_subscribe *ioc;
	va_list args;

	va_start(args, request);
	ioc = va_arg(args, struct vdmabuf_ioc_subscribe *);
	va_end(args);
	if (request == VDMABUF_IOC_POINTER) {
		memcpy(&pointed, ioc, sizeof(pointed));
		pointers++;
		return 0;
	}
	if (request == VDMABUF_IOC_OUTPUT) {
		memcpy(&output_ioc, ioc, sizeof(output_ioc));
		return 0;
	}
	if (request == VDMABUF_IOC_PRESENT) {
		memcpy(&present_ioc, ioc, sizeof(present_ioc));
		return 0;
	}
	if (request == VDMABUF_IOC_CLIP_DATA) {
		memcpy(&clip_data, ioc, sizeof(clip_data));
		return 0;
	}
	if (request == VDMABUF_IOC_CLIP_OPEN) {
		memcpy(&clip_open, ioc, sizeof(clip_open));
		((struct vdmabuf_ioc_clip_open *)(void *)ioc)->transfer = 77;
		return 0;
	}
	if (request != VDMABUF_IOC_SUBSCRIBE) {
		errno = ENOTTY;
		return -1;
	}
	if (subscribe_errno) {
		errno = subscribe_errno;
		return -1;
	}
	subscribed = ioc->events;
	return 0;
}

struct log {
	unsigned int inputs, keymaps, clips, hints, output_inputs;
	uint32_t input_output;
	char hint[128];
	char clip[128];
	struct vdmabuf_input_event input;
	char keymap[512];
	uint32_t keymap_size;
	char keymap_end;		/* the byte after the keymap */
};

static void on_input(void *data, const struct vdmabuf_input_event *ev)
{
	struct log *log = data;

	log->inputs++;
	log->input = *ev;
}

static void on_keymap(void *data, uint32_t format, const char *text, uint32_t size)
{
	struct log *log = data;

	log->keymaps++;
	log->keymap_size = size;
	if (format == VDMABUF_KEYMAP_XKB_V1 && size < sizeof(log->keymap)) {
		memcpy(log->keymap, text, size);
		log->keymap_end = text[size];
	}
}

static void on_selection(void *data, uint32_t selection, uint32_t serial, uint32_t formats)
{
	struct log *log = data;

	log->clips++;
	snprintf(log->clip, sizeof(log->clip), "selection %u %u %#x", selection, serial, formats);
}

static void on_clip_data(void *data, uint32_t transfer, const void *bytes, size_t len, bool end,
			 int status)
{
	struct log *log = data;

	log->clips++;
	snprintf(log->clip, sizeof(log->clip), "data %u %.*s %d %d", transfer, (int)len,
		 (const char *)bytes, end, status);
}

static void on_clip_cancel(void *data, uint32_t transfer, int status)
{
	struct log *log = data;

	log->clips++;
	snprintf(log->clip, sizeof(log->clip), "cancel %u %d", transfer, status);
}

static const struct vdmabuf_clip_listener clip_listener = {
	.selection = on_selection,
	.data = on_clip_data,
	.cancel = on_clip_cancel,
};

static void on_mode_hint(void *data, uint32_t width, uint32_t height, uint32_t refresh_mhz,
			 uint32_t scale_120)
{
	struct log *log = data;

	log->hints++;
	snprintf(log->hint, sizeof(log->hint), "mode %ux%u %u %u", width, height, refresh_mhz,
		 scale_120);
}

static void on_output_hint(void *data, uint32_t output, uint32_t flags, uint32_t width,
			   uint32_t height, uint32_t refresh_mhz, uint32_t scale_120)
{
	struct log *log = data;

	log->hints++;
	snprintf(log->hint, sizeof(log->hint), "output %u %#x %ux%u %u %u", output, flags, width,
		 height, refresh_mhz, scale_120);
}

static void on_output_input(void *data, uint32_t output, const struct vdmabuf_input_event *ev)
{
	struct log *log = data;

	log->output_inputs++;
	log->input_output = output;
	log->input = *ev;
}

static const struct vdmabuf_producer_listener listener = {
	.mode_hint = on_mode_hint,
	.output_input = on_output_input,
	.input = on_input,
	.keymap = on_keymap,
	.clip = &clip_listener,
	.output_hint = on_output_hint,
};

static void send_uevent(int fd, const struct vdmabuf_uevent *ev);

static void send_hint(int fd, uint32_t output, uint32_t flags, uint32_t width, uint32_t height)
{
	struct vdmabuf_uevent ev = { .type = VDMABUF_UEVENT_MODE_HINT, .flags = flags };

	ev.output = output;
	ev.width = width;
	ev.height = height;
	ev.refresh_mhz = 60000;
	ev.scale_120 = width ? 180 : 0;
	send_uevent(fd, &ev);
}

/* Several outputs: hints by listener, OUTPUT and PRESENT as asked. */
static void test_outputs(struct vdmabuf_producer *producer, int fd, struct log *log)
{
	const struct vdmabuf_id id = { 7, 8 };

	send_hint(fd, 0, 0, 800, 600);
	send_hint(fd, 2, 0, 1024, 768);
	send_hint(fd, 2, VDMABUF_OUTPUT_GONE, 0, 0);
	CHECK(vdmabuf_producer_dispatch(producer, &listener, log) == 3);
	CHECK(log->hints == 1 && !strcmp(log->hint, "mode 800x600 60000 180"));
	vdmabuf_producer_listen_outputs(producer);
	send_hint(fd, 2, 0, 1024, 768);
	CHECK(vdmabuf_producer_dispatch(producer, &listener, log) == 1);
	CHECK(log->hints == 2 && !strcmp(log->hint, "output 2 0 1024x768 60000 180"));
	send_hint(fd, 2, VDMABUF_OUTPUT_GONE, 0, 0);
	vdmabuf_producer_dispatch(producer, &listener, log);
	CHECK(log->hints == 3 && !strcmp(log->hint, "output 2 0x1 0x0 60000 0"));
	send_hint(fd, 0, 0, 640, 480);
	vdmabuf_producer_dispatch(producer, &listener, log);
	CHECK(log->hints == 4 && !strcmp(log->hint, "output 0 0 640x480 60000 180"));

	/* Input names its window's output, to output_input only. */
	{
		struct vdmabuf_uevent ev = { .type = VDMABUF_UEVENT_INPUT };
		unsigned int inputs = log->inputs;

		ev.input.kind = VDMABUF_INPUT_MOTION;
		ev.input.output = 4;
		ev.input.args[0] = 256;
		ev.input.args[1] = 512;
		CHECK(vdmabuf_producer_subscribe(producer, VDMABUF_SUBSCRIBE_INPUT) == 0);
		send_uevent(fd, &ev);
		CHECK(vdmabuf_producer_dispatch(producer, &listener, log) == 1);
		CHECK(log->output_inputs == 1 && log->input_output == 4 && log->inputs == inputs &&
		      log->input.kind == VDMABUF_INPUT_MOTION && log->input.args[1] == 512);
	}

	CHECK(vdmabuf_producer_output(producer, 3, 1920, 1080, 59940, 240) == 0);
	CHECK(output_ioc.output == 3 && !output_ioc.flags && output_ioc.width == 1920 &&
	      output_ioc.height == 1080 && output_ioc.refresh_mhz == 59940 &&
	      output_ioc.scale_120 == 240);
	CHECK(vdmabuf_producer_output_gone(producer, 3) == 0);
	CHECK(output_ioc.output == 3 && output_ioc.flags == VDMABUF_IOC_OUTPUT_GONE &&
	      !output_ioc.width && !output_ioc.height && !output_ioc.scale_120);

	CHECK(vdmabuf_producer_present_output(producer, 5, &id, 11, NULL, 0, -1) == 0);
	CHECK(present_ioc.output == 5 && present_ioc.frame == 11 && present_ioc.id.key == 8 &&
	      !present_ioc.flags);
	CHECK(vdmabuf_producer_present(producer, &id, 12, NULL, 0) == 0);
	CHECK(present_ioc.output == 0 && present_ioc.frame == 12);
	present_ioc.frame = 0;
	CHECK(vdmabuf_producer_present_output(producer, VDMABUF_MAX_OUTPUTS, &id, 13, NULL, 0,
					      -1) == -EINVAL);
	CHECK(present_ioc.frame == 0);
}

static void send_uevent(int fd, const struct vdmabuf_uevent *ev)
{
	CHECK(write(fd, ev, sizeof(*ev)) == sizeof(*ev));
}

static void send_input(int fd, uint32_t kind, int32_t a0)
{
	struct vdmabuf_uevent ev = {
		.type = VDMABUF_UEVENT_INPUT,
		.input = { .kind = kind, .time_usec = 1234, .args = { a0, 1 } },
	};

	CHECK(write(fd, &ev, sizeof(ev)) == sizeof(ev));
}

/* Pieces of text (size bytes) from offset from, skipping the piece at skip. */
static void send_keymap(int fd, const char *text, uint32_t size, uint32_t from, uint32_t skip)
{
	for (uint32_t off = from; off < size; off += 40) {
		struct vdmabuf_uevent ev = { .type = VDMABUF_UEVENT_KEYMAP };
		uint32_t len = size - off < 40 ? size - off : 40;

		if (off == skip)
			continue;
		ev.keymap = (struct vdmabuf_ukeymap){ .format = VDMABUF_KEYMAP_XKB_V1,
			.size = size, .offset = off, .len = len };
		memcpy(ev.keymap.data, text + off, len);
		CHECK(write(fd, &ev, sizeof(ev)) == sizeof(ev));
	}
}

int main(void)
{
	struct vdmabuf_producer *producer;
	struct log log = { 0 };
	char text[301], path[64];
	int fds[2], err = 0;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = 'a' + i % 26;
	CHECK(pipe(fds) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	producer = vdmabuf_producer_create(path, &err);
	CHECK(producer);
	if (!producer)
		return 1;

	/* Not subscribed: input is not the listener's. */
	send_input(fds[1], VDMABUF_INPUT_KEY, 30);
	CHECK(vdmabuf_producer_dispatch(producer, &listener, &log) == 1);
	CHECK(log.inputs == 0);

	subscribe_errno = EOPNOTSUPP;
	CHECK(vdmabuf_producer_subscribe(producer, VDMABUF_SUBSCRIBE_INPUT) == -EOPNOTSUPP);
	subscribe_errno = 0;
	CHECK(vdmabuf_producer_subscribe(producer, VDMABUF_SUBSCRIBE_INPUT) == 0);
	CHECK(subscribed == VDMABUF_SUBSCRIBE_INPUT);

	send_input(fds[1], VDMABUF_INPUT_KEY, 30);
	CHECK(vdmabuf_producer_dispatch(producer, &listener, &log) == 1);
	CHECK(log.inputs == 1);
	CHECK(log.input.kind == VDMABUF_INPUT_KEY && log.input.time_usec == 1234);
	CHECK(log.input.args[0] == 30 && log.input.args[1] == 1 && log.input.args[2] == 0);

	/* A whole keymap, in 8 pieces. */
	send_keymap(fds[1], text, sizeof(text), 0, UINT32_MAX);
	CHECK(vdmabuf_producer_dispatch(producer, &listener, &log) == 8);
	CHECK(log.keymaps == 1 && log.keymap_size == sizeof(text));
	CHECK(memcmp(log.keymap, text, sizeof(text)) == 0 && log.keymap_end == '\0');

	/* A piece lost: nothing, until a new keymap starts at offset 0. */
	send_keymap(fds[1], text, 200, 0, 80);
	vdmabuf_producer_dispatch(producer, &listener, &log);
	CHECK(log.keymaps == 1);
	send_keymap(fds[1], text, 100, 40, UINT32_MAX);
	vdmabuf_producer_dispatch(producer, &listener, &log);
	CHECK(log.keymaps == 1);
	send_keymap(fds[1], text, 100, 0, UINT32_MAX);
	vdmabuf_producer_dispatch(producer, &listener, &log);
	CHECK(log.keymaps == 2 && log.keymap_size == 100 && log.keymap_end == '\0');

	/* A keymap restarted halfway: the new one wins. */
	send_keymap(fds[1], text, 200, 0, 120);
	send_keymap(fds[1], text + 1, 50, 0, UINT32_MAX);
	vdmabuf_producer_dispatch(producer, &listener, &log);
	CHECK(log.keymaps == 3 && log.keymap_size == 50 && memcmp(log.keymap, text + 1, 50) == 0);

	/* Unsubscribed: input waiting in the queue is dropped. */
	CHECK(vdmabuf_producer_subscribe(producer, 0) == 0);
	send_input(fds[1], VDMABUF_INPUT_KEY, 31);
	vdmabuf_producer_dispatch(producer, &listener, &log);
	CHECK(log.inputs == 1);

	/* The cursor: an image with its serial and hotspot, or none. */
	CHECK(vdmabuf_producer_pointer(producer, &(struct vdmabuf_id){ 5, 6 }, 9, 3, 4,
				       VDMABUF_CONSTRAINT_CONFINED) == 0);
	CHECK(pointers == 1 && pointed.id.device == 5 && pointed.id.key == 6 &&
	      pointed.serial == 9 && pointed.flags == VDMABUF_POINTER_IMAGE &&
	      pointed.hotspot_x == 3 && pointed.hotspot_y == 4 &&
	      pointed.constraint == VDMABUF_CONSTRAINT_CONFINED);
	CHECK(vdmabuf_producer_pointer(producer, NULL, 9, 3, 4, VDMABUF_CONSTRAINT_LOCKED) == 0);
	CHECK(pointers == 2 && pointed.flags == 0 && pointed.id.key == 0 &&
	      pointed.serial == 0 && pointed.hotspot_x == 0 &&
	      pointed.constraint == VDMABUF_CONSTRAINT_LOCKED);
	CHECK(vdmabuf_producer_pointer(producer, NULL, 0, 0, 0, 3) == -EINVAL);
	CHECK(pointers == 2);

	/* The clipboard: nothing until subscribed, then each event translated. */
	{
		struct vdmabuf_uevent ev = { .type = VDMABUF_UEVENT_SELECTION };
		uint32_t transfer = 0;

		ev.clip.info.selection = 1;
		ev.clip.info.serial = 3;
		ev.clip.info.formats = 9;
		send_uevent(fds[1], &ev);
		CHECK(vdmabuf_producer_dispatch(producer, &listener, &log) == 1 && !log.clips);
		CHECK(vdmabuf_producer_subscribe(producer, VDMABUF_SUBSCRIBE_CLIPBOARD) == 0);
		send_uevent(fds[1], &ev);
		vdmabuf_producer_dispatch(producer, &listener, &log);
		CHECK(log.clips == 1 && !strcmp(log.clip, "selection 1 3 0x9"));
		ev = (struct vdmabuf_uevent){ .type = VDMABUF_UEVENT_CLIP_DATA };
		ev.clip.transfer = 4;
		ev.clip.piece.len = 2;
		ev.clip.piece.flags = VDMABUF_CLIP_END;
		ev.clip.piece.status = EFBIG;
		memcpy(ev.clip.piece.data, "ok", 2);
		send_uevent(fds[1], &ev);
		vdmabuf_producer_dispatch(producer, &listener, &log);
		CHECK(!strcmp(log.clip, "data 4 ok 1 -27"));
		ev = (struct vdmabuf_uevent){ .type = VDMABUF_UEVENT_CLIP_CANCEL };
		ev.clip.transfer = 5;
		ev.clip.info.status = EPIPE;
		send_uevent(fds[1], &ev);
		vdmabuf_producer_dispatch(producer, &listener, &log);
		CHECK(!strcmp(log.clip, "cancel 5 -32"));

		CHECK(vdmabuf_producer_clip_open(producer, 1, 3, VDMABUF_CLIP_PNG, &transfer) == 0);
		CHECK(transfer == 77 && clip_open.selection == 1 && clip_open.serial == 3 &&
		      clip_open.format == VDMABUF_CLIP_PNG);
		CHECK(vdmabuf_producer_clip_send(producer, 77, "abc", 3, true, -EIO) == 0);
		CHECK(clip_data.transfer == 77 && clip_data.len == 3 &&
		      clip_data.flags == VDMABUF_CLIP_END && clip_data.status == EIO &&
		      !memcmp((const void *)(uintptr_t)clip_data.data, "abc", 3));
		CHECK(vdmabuf_producer_clip_send(producer, 77, text, VDMABUF_CLIP_WINDOW + 1, false,
						 0) == -EINVAL);
	}

	test_outputs(producer, fds[1], &log);

	vdmabuf_producer_destroy(producer);
	close(fds[0]);
	close(fds[1]);
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
