/*
 * libFuzzer target for the IKEv2 decoder: links only node/ike.
 *
 * Every input is tried two ways: as a whole message (ike_decode, then the
 * bytes behind SK as a plaintext inner chain, then the rules), and as a
 * bare inner chain whose first byte names the first payload.  Whatever
 * decodes is encoded again, and that encoding must be a fixed point:
 * decode(encode(m)) re-encodes to the same bytes.  A mismatch aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_decode_all(const uint8_t *buf, size_t len, struct ike_msg *m)
{
	int err = ike_decode(buf, len, m);

	if (err || !m->sk.present)
		return err;
	if (m->sk.iv_off > len)
		abort();	/* the decoder promised iv_off is inside */
	return ike_decode_inner(m, buf + m->sk.iv_off, len - m->sk.iv_off,
				m->sk.first);
}

/* encode(m) must decode again and re-encode to the same bytes */
static void fuzz_fixed_point(struct ike_msg *m)
{
	static uint8_t out1[IKE_MSG_MAX], out2[IKE_MSG_MAX];
	static struct ike_msg again;
	size_t len1, len2;

	if (ike_encode(m, out1, sizeof(out1), &len1) != IKE_OK)
		return;
	if (fuzz_decode_all(out1, len1, &again) != IKE_OK)
		abort();
	if (ike_encode(&again, out2, sizeof(out2), &len2) != IKE_OK)
		abort();
	if (len1 != len2 || memcmp(out1, out2, len1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	struct ike_hdr hdr;
	uint8_t bad;

	(void)ike_decode_hdr(data, size, &hdr);
	if (fuzz_decode_all(data, size, &m) == IKE_OK) {
		(void)ike_rules_check(&m, &bad);
		(void)ike_err_name(ike_rules_check(&m, &bad));
		(void)ike_payload_name(bad);
		fuzz_fixed_point(&m);
	}
	if (size < 1)
		return 0;
	ike_msg_init(&m, NULL);
	m.hdr.version = IKE_VERSION;
	m.hdr.exchange = IKE_INFORMATIONAL;
	if (ike_decode_inner(&m, data + 1, size - 1, data[0]) == IKE_OK) {
		m.sk.present = true;
		fuzz_fixed_point(&m);
	}
	return 0;
}
