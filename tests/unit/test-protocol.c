// SPDX-License-Identifier: MIT
/*
 * The wire protocol header against protocol/vdmabuf-spec.md: sizes,
 * offsets, the exact little-endian bytes of every message, and the
 * validators every device side shares.
 */
#include <endian.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "vdmabuf_proto.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define SIZE(type, n) CHECK(sizeof(struct type) == (n) && sizeof(struct type) % 8 == 0)
#define OFF(type, field, n) CHECK(offsetof(struct type, field) == (n))

static void test_layout(void)
{
	SIZE(vdmabuf_config, 24);
	OFF(vdmabuf_config, max_buffers, 0);
	OFF(vdmabuf_config, max_extents, 4);
	OFF(vdmabuf_config, max_buffer_size, 8);
	OFF(vdmabuf_config, consumers, 16);
	SIZE(vdmabuf_id, 16);
	OFF(vdmabuf_id, key, 8);
	SIZE(vdmabuf_ctrl_hdr, 16);
	OFF(vdmabuf_ctrl_hdr, flags, 4);
	OFF(vdmabuf_ctrl_hdr, cookie, 8);
	SIZE(vdmabuf_reply, 32);
	OFF(vdmabuf_reply, cookie, 8);
	OFF(vdmabuf_reply, id, 16);
	SIZE(vdmabuf_extent, 16);
	OFF(vdmabuf_extent, len, 8);
	CHECK(sizeof(struct vdmabuf_plane) == 8);
	SIZE(vdmabuf_export, 88);
	OFF(vdmabuf_export, width, 16);
	OFF(vdmabuf_export, height, 20);
	OFF(vdmabuf_export, fourcc, 24);
	OFF(vdmabuf_export, num_planes, 28);
	OFF(vdmabuf_export, modifier, 32);
	OFF(vdmabuf_export, planes, 40);
	OFF(vdmabuf_export, size, 72);
	OFF(vdmabuf_export, num_extents, 80);
	SIZE(vdmabuf_rect, 16);
	SIZE(vdmabuf_present, 304);
	OFF(vdmabuf_present, id, 16);
	OFF(vdmabuf_present, frame, 32);
	OFF(vdmabuf_present, num_damage, 40);
	OFF(vdmabuf_present, damage, 48);
	SIZE(vdmabuf_unexport, 32);
	OFF(vdmabuf_unexport, id, 16);
	SIZE(vdmabuf_event, 64);
	OFF(vdmabuf_event, u, 8);
	SIZE(vdmabuf_release, 40);
	OFF(vdmabuf_release, frame, 16);
	OFF(vdmabuf_release, present_ns, 24);
	OFF(vdmabuf_release, refresh_ns, 32);
	OFF(vdmabuf_release, flags, 36);
	SIZE(vdmabuf_retired, 16);
	SIZE(vdmabuf_consumers, 8);
	SIZE(vdmabuf_mode_hint, 16);
	OFF(vdmabuf_mode_hint, refresh_mhz, 8);
	OFF(vdmabuf_mode_hint, scale_120, 12);
}

/* Every message encoded field by field, compared byte by byte. */
static void test_encoding(void)
{
	struct vdmabuf_export exp = { 0 };
	struct vdmabuf_event ev = { 0 };
	struct vdmabuf_reply reply = { 0 };
	struct vdmabuf_present pres = { 0 };
	struct vdmabuf_unexport unexp = { 0 };
	const uint8_t *b;

	exp.hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	exp.hdr.cookie = htole64(0x0102030405060708ull);
	exp.width = htole32(1920);
	exp.height = htole32(1080);
	exp.fourcc = htole32(0x34325258);
	exp.num_planes = htole32(1);
	exp.modifier = htole64(0x0100000000000001ull);
	exp.planes[0].stride = htole32(7680);
	exp.size = htole64(8294400);
	exp.num_extents = htole32(3);
	b = (const uint8_t *)&exp;
	CHECK(b[0] == 0x01 && b[1] == 0x01 && b[2] == 0 && b[3] == 0);
	CHECK(b[8] == 0x08 && b[15] == 0x01);
	CHECK(b[16] == 0x80 && b[17] == 0x07);		/* 1920 */
	CHECK(b[20] == 0x38 && b[21] == 0x04);		/* 1080 */
	CHECK(memcmp(b + 24, "XR24", 4) == 0);
	CHECK(b[28] == 1);
	CHECK(b[32] == 1 && b[39] == 0x01);
	CHECK(b[44] == 0x00 && b[45] == 0x1e);		/* stride 7680 */
	CHECK(b[72] == 0x00 && b[73] == 0x90 && b[74] == 0x7e);	/* 8294400 */
	CHECK(b[80] == 3);
	CHECK(le32toh(exp.width) == 1920 && le64toh(exp.size) == 8294400);

	reply.status = htole32(VDMABUF_S_ENOENT);
	reply.id.device = htole64(0x1122334455667788ull);
	reply.id.key = htole64(0x0000000299aabbccull);
	b = (const uint8_t *)&reply;
	CHECK(b[0] == 3 && b[16] == 0x88 && b[23] == 0x11 && b[24] == 0xcc && b[28] == 2);

	pres.hdr.type = htole32(VDMABUF_CTRL_PRESENT);
	pres.frame = htole64(42);
	pres.num_damage = htole32(1);
	pres.damage[0].width = htole32(64);
	pres.damage[15].height = htole32(9);
	b = (const uint8_t *)&pres;
	CHECK(b[0] == 0x02 && b[1] == 0x01 && b[32] == 42 && b[40] == 1);
	CHECK(b[48 + 8] == 64 && b[48 + 15 * 16 + 12] == 9 && sizeof(pres) == 48 + 16 * 16);

	unexp.hdr.type = htole32(VDMABUF_CTRL_UNEXPORT);
	unexp.id.key = htole64(5);
	b = (const uint8_t *)&unexp;
	CHECK(b[0] == 0x03 && b[1] == 0x01 && b[24] == 5);

	ev.type = htole32(VDMABUF_EVENT_RELEASE);
	ev.u.release.frame = htole64(7);
	ev.u.release.present_ns = htole64(1000000000ull);
	ev.u.release.refresh_ns = htole32(16666667);
	ev.u.release.flags = htole32(VDMABUF_RELEASE_PRESENTED | VDMABUF_RELEASE_ZERO_COPY);
	b = (const uint8_t *)&ev;
	CHECK(b[0] == 0x01 && b[1] == 0x02);
	CHECK(b[8 + 16] == 7);
	CHECK(b[8 + 24] == 0x00 && b[8 + 25] == 0xca && b[8 + 26] == 0x9a && b[8 + 27] == 0x3b);
	CHECK(b[8 + 32] == 0x2b && b[8 + 33] == 0x50 && b[8 + 34] == 0xfe);	/* 16666667 */
	CHECK(b[8 + 36] == 5);

	memset(&ev, 0, sizeof(ev));
	ev.type = htole32(VDMABUF_EVENT_MODE_HINT);
	ev.u.mode_hint.width = htole32(2560);
	ev.u.mode_hint.scale_120 = htole32(180);
	b = (const uint8_t *)&ev;
	CHECK(b[0] == 0x04 && b[1] == 0x02 && b[8] == 0x00 && b[9] == 0x0a && b[8 + 12] == 180);
	CHECK(VDMABUF_EVENT_RETIRED == 0x202 && VDMABUF_EVENT_CONSUMERS == 0x203 &&
	      VDMABUF_EVENT_RESET == 0x205);
}

struct export_request {
	struct vdmabuf_export e;
	struct vdmabuf_extent x[2];
};

static void make_export(struct export_request *r)
{
	memset(r, 0, sizeof(*r));
	r->e.hdr.type = htole32(VDMABUF_CTRL_EXPORT);
	r->e.width = htole32(64);
	r->e.height = htole32(64);
	r->e.num_planes = htole32(1);
	r->e.planes[0].stride = htole32(256);
	r->e.size = htole64(16384);
	r->e.num_extents = htole32(2);
}

static void test_validators(void)
{
	struct export_request r;
	const __u64 max = 1 << 20, full = sizeof(r);
	struct vdmabuf_present p;
	struct vdmabuf_extent ext;
	__u64 total;

#define EXPORT_IS(mutate, want) do {					\
	make_export(&r);						\
	mutate;								\
	CHECK(vdmabuf_check_export(&r.e, full, 4, max) == (want));	\
} while (0)
	EXPORT_IS((void)0, VDMABUF_S_OK);
	make_export(&r);
	CHECK(vdmabuf_check_export(&r.e, sizeof(r.e) - 1, 4, max) == VDMABUF_S_EINVAL);
	CHECK(vdmabuf_check_export(&r.e, sizeof(r.e) + 16, 4, max) == VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.hdr.flags = htole32(1), VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.reserved = htole32(1), VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.num_extents = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.size = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.size = htole64(4097), VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.num_extents = htole32(5), VDMABUF_S_ENOSPC);
	EXPORT_IS(r.e.size = htole64(max + 4096), VDMABUF_S_ENOSPC);
	EXPORT_IS(r.e.width = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.height = htole32(VDMABUF_MAX_DIMENSION + 1), VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.num_planes = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.num_planes = htole32(5), VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.planes[0].stride = 0, VDMABUF_S_EINVAL);
	EXPORT_IS(r.e.planes[0].offset = htole32(16384), VDMABUF_S_EINVAL);
#undef EXPORT_IS

	total = 0;
	ext = (struct vdmabuf_extent){ htole64(0x10000), htole64(0x2000) };
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_OK && total == 0x2000);
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_OK && total == 0x4000);
	ext = (struct vdmabuf_extent){ htole64(0x10000), 0 };
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_EINVAL);
	ext = (struct vdmabuf_extent){ htole64(0x10001), htole64(0x1000) };
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_EINVAL);
	ext = (struct vdmabuf_extent){ htole64(0x10000), htole64(0x1001) };
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_EINVAL);
	ext = (struct vdmabuf_extent){ htole64(0xfffffffffffff000ull), htole64(0x2000) };
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_ERANGE);
	total = 0xfffffffffffff000ull;
	ext = (struct vdmabuf_extent){ htole64(0x10000), htole64(0x2000) };
	CHECK(vdmabuf_check_extent(&ext, &total) == VDMABUF_S_ERANGE);

	memset(&p, 0, sizeof(p));
	CHECK(vdmabuf_check_present(&p, sizeof(p)) == VDMABUF_S_OK);
	CHECK(vdmabuf_check_present(&p, sizeof(p) - 1) == VDMABUF_S_EINVAL);
	p.num_damage = htole32(VDMABUF_MAX_DAMAGE);
	CHECK(vdmabuf_check_present(&p, sizeof(p)) == VDMABUF_S_OK);
	p.num_damage = htole32(VDMABUF_MAX_DAMAGE + 1);
	CHECK(vdmabuf_check_present(&p, sizeof(p)) == VDMABUF_S_EINVAL);
	p.num_damage = 0;
	p.hdr.flags = htole32(1);
	CHECK(vdmabuf_check_present(&p, sizeof(p)) == VDMABUF_S_EINVAL);
	p.hdr.flags = 0;
	p.reserved = htole32(1);
	CHECK(vdmabuf_check_present(&p, sizeof(p)) == VDMABUF_S_EINVAL);
}

/* The device ID: one stock QEMU names, that no in-tree driver binds. */
static void test_device_id(void)
{
	static const unsigned int bound[] = {
		VIRTIO_ID_NET, VIRTIO_ID_BLOCK, VIRTIO_ID_CONSOLE, VIRTIO_ID_RNG,
		VIRTIO_ID_BALLOON, VIRTIO_ID_RPMSG, VIRTIO_ID_SCSI, VIRTIO_ID_9P,
		VIRTIO_ID_RPROC_SERIAL, VIRTIO_ID_CAIF, VIRTIO_ID_GPU, VIRTIO_ID_INPUT,
		VIRTIO_ID_VSOCK, VIRTIO_ID_CRYPTO, VIRTIO_ID_IOMMU, VIRTIO_ID_MEM,
		VIRTIO_ID_SOUND, VIRTIO_ID_FS, VIRTIO_ID_PMEM, VIRTIO_ID_MAC80211_HWSIM,
		VIRTIO_ID_SCMI, VIRTIO_ID_I2C_ADAPTER, VIRTIO_ID_BT, VIRTIO_ID_GPIO,
		45 /* SPI, Linux 6.15 */,
	};

	CHECK(VDMABUF_VIRTIO_ID <= 63);
	CHECK(VDMABUF_VIRTIO_ID == VIRTIO_ID_DMABUF);
	for (size_t i = 0; i < sizeof(bound) / sizeof(bound[0]); i++)
		CHECK(VDMABUF_VIRTIO_ID != bound[i]);
	CHECK(VDMABUF_S_OK == 0 && VDMABUF_S_EBUSY == 7);
}

int main(void)
{
	test_layout();
	test_encoding();
	test_validators();
	test_device_id();
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures != 0;
}
