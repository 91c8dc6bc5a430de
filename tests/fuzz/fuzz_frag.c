/*
 * libFuzzer target for the RFC 7383 fragment helpers (node/ike/frag.c).
 *
 * The input is a script of fragment arrivals [num, total, first, len,
 * data...] applied to one reassembly state, checked against a shadow
 * model of what RFC 7383 2.6 says must be held; then the whole input is
 * split with ike_frag_slice(), each slice written as an SKF message and
 * decoded, and the slices must join back into the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct shadow {
	uint16_t total;
	bool held[IKE_FRAG_MAX];
	const uint8_t *p[IKE_FRAG_MAX];
	size_t len[IKE_FRAG_MAX];
	uint8_t first;
};

static void fuzz_check_done(const struct ike_frag_asm *a,
			    const struct shadow *s)
{
	static uint8_t out[8192];
	size_t len, off = 0;
	uint8_t first;

	if (ike_frag_asm_finish(a, out, sizeof(out), &len, &first))
		abort();
	for (uint16_t i = 0; i < s->total; i++) {
		if (!s->held[i] || off + s->len[i] > len ||
		    memcmp(out + off, s->p[i], s->len[i]))
			abort();
		off += s->len[i];
	}
	if (off != len || first != s->first)
		abort();
}

/* One arrival; the model mirrors RFC 7383 2.6.2. */
static void fuzz_arrive(struct ike_frag_asm *a, struct shadow *s,
			uint16_t num, uint16_t total, uint8_t first,
			const uint8_t *p, size_t len)
{
	int rc = ike_frag_asm_add(a, num, total, first, p, len);

	if (num == 0 || num > total || total > IKE_FRAG_MAX ||
	    (s->total && total < s->total)) {
		if (rc != -EINVAL)
			abort();
		return;
	}
	if (total > s->total) {
		memset(s, 0, sizeof(*s));
		s->total = total;
	}
	if (s->held[num - 1]) {
		if (rc != -EEXIST)
			abort();
		return;
	}
	if (rc == -ENOSPC)
		return;
	if (rc)
		abort();
	s->held[num - 1] = true;
	s->p[num - 1] = p;
	s->len[num - 1] = len;
	if (num == 1)
		s->first = first;
}

static void fuzz_split(const uint8_t *data, size_t size, size_t max)
{
	static uint8_t msg[8192], joined[8192];
	static struct ike_msg d;
	struct ike_hdr h = { .version = IKE_VERSION, .exchange = IKE_AUTH };
	uint16_t total = ike_frag_count(size, max);
	size_t off = 0, len;

	for (uint16_t num = 1; num <= total; num++) {
		struct ike_blob sl;
		struct ike_sk sk;

		if (ike_frag_slice(data, size, max, num, &sl))
			abort();
		if (ike_encode_skf(&h, num, total, IKE_PL_IDI, sl.data, sl.len,
				   msg, sizeof(msg), &sk, &len))
			abort();
		if (ike_decode(msg, len, &d) || !d.sk.fragment ||
		    d.sk.frag_num != num || d.sk.frag_total != total ||
		    d.sk.iv_off != sk.iv_off || len - sk.iv_off != sl.len)
			abort();
		memcpy(joined + off, msg + sk.iv_off, sl.len);
		off += sl.len;
	}
	if (total && (off != size || memcmp(joined, data, size)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t store[2048];
	static struct ike_frag_asm a;
	static struct shadow s;
	struct rd r = rd_init(data, size);
	uint8_t num, total, first, len;
	const uint8_t *p;

	if (size > 4096)
		return 0;
	ike_frag_asm_init(&a, 0, store, sizeof(store));
	memset(&s, 0, sizeof(s));
	while (rd_u8(&r, &num) && rd_u8(&r, &total) && rd_u8(&r, &first) &&
	       rd_u8(&r, &len) && rd_ptr(&r, &p, len)) {
		fuzz_arrive(&a, &s, num, total, first, p, len);
		if (ike_frag_asm_done(&a))
			fuzz_check_done(&a, &s);
	}
	ike_frag_asm_clear(&a);
	if (size)
		fuzz_split(data + 1, size - 1, data[0]);
	return 0;
}
