/*
 * The decoder against malformed input: every length field lies, every
 * truncation, chains that would loop a naive parser, absurd counts,
 * critical unknown payloads, SK not last.  Each case must give an error
 * code; inputs live in heap buffers of their exact size, so a build with
 * SAN=-fsanitize=address catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ike/msg.h"

#define PL_MAX 64

struct pl {
	uint8_t type, flags;
	const void *body;
	size_t len;
};

/* A generic payload chain (RFC 7296 3.2), next types linked up. */
static size_t mk_chain(uint8_t *out, const struct pl *p, size_t n,
		       uint8_t last_next)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = 4 + p[i].len;

		out[off] = i + 1 < n ? p[i + 1].type : last_next;
		out[off + 1] = p[i].flags;
		out[off + 2] = (uint8_t)(len >> 8);
		out[off + 3] = (uint8_t)len;
		if (p[i].len)
			memcpy(out + off + 4, p[i].body, p[i].len);
		off += len;
	}
	return off;
}

/* IKE header + chain; first is the header's next payload. */
static size_t mk_msg(uint8_t *out, uint8_t exch, uint8_t first,
		     const uint8_t *chain, size_t clen)
{
	size_t len = 28 + clen;

	memset(out, 0, 28);
	out[7] = 1;			/* SPIi */
	out[16] = first;
	out[17] = IKE_VERSION;
	out[18] = exch;
	out[19] = IKE_FLAG_INITIATOR;
	out[24] = (uint8_t)(len >> 24);
	out[25] = (uint8_t)(len >> 16);
	out[26] = (uint8_t)(len >> 8);
	out[27] = (uint8_t)len;
	memcpy(out + 28, chain, clen);
	return len;
}

static size_t mk_clear(uint8_t *out, uint8_t exch, const struct pl *p,
		       size_t n)
{
	static uint8_t chain[IKE_MSG_MAX];
	size_t clen = mk_chain(chain, p, n, IKE_PL_NONE);

	return mk_msg(out, exch, n ? p[0].type : 0, chain, clen);
}

/* HDR, SK { inner } with the inner chain in the clear (pre-sk_seal). */
static size_t mk_sk(uint8_t *out, uint8_t exch, const struct pl *p, size_t n)
{
	static uint8_t inner[IKE_MSG_MAX];
	struct pl sk = { IKE_PL_SK, 0, inner, 0 };
	uint8_t chain[4 + IKE_MSG_MAX];
	size_t clen;

	sk.len = mk_chain(inner, p, n, IKE_PL_NONE);
	clen = mk_chain(chain, &sk, 1, n ? p[0].type : 0);
	return mk_msg(out, exch, IKE_PL_SK, chain, clen);
}

/* Decode from an exact-size heap copy (ASan sees overreads), both steps. */
static int decode_exact(const uint8_t *buf, size_t len)
{
	static struct ike_msg m;
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	err = ike_decode(copy, len, &m);
	if (!err && m.sk.present && !m.sk.fragment) {
		assert_true(m.sk.iv_off <= len);
		err = ike_decode_inner(&m, copy + m.sk.iv_off,
				       len - m.sk.iv_off, m.sk.first);
	}
	free(copy);
	return err;
}

static int decode_inner_exact(const uint8_t *buf, size_t len, uint8_t first)
{
	static struct ike_msg m;
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	ike_msg_init(&m, NULL);
	err = ike_decode_inner(&m, copy, len, first);
	free(copy);
	return err;
}

/* ---- payload bodies used to build valid messages ---- */

static const uint8_t sa_body[] = {
	/* proposal 1 of 2: IKE, no SPI, 2 transforms */
	2, 0, 0, 28, 1, IKE_PROTO_IKE, 0, 2,
	3, 0, 0, 12, IKE_TRANSFORM_ENCR, 0, 0, 20, 0x80, 14, 1, 0,
	0, 0, 0, 8, IKE_TRANSFORM_DH, 0, 0, 31,
	/* proposal 2 (last): ESP, 4-byte SPI, 1 transform */
	0, 0, 0, 20, 2, IKE_PROTO_ESP, 4, 1, 0xc0, 0, 0, 1,
	0, 0, 0, 8, IKE_TRANSFORM_ESN, 0, 0, 0,
};
static const uint8_t ke_body[4 + 32] = { 0, 31, 0, 0, 0xaa };
static const uint8_t nonce_body[32] = { 0x4e };
static const uint8_t n_body[4 + 20] = { 0, 0, 0x40, 0x04 };
static const uint8_t v_body[] = "hike-vendor-id";
static const uint8_t id_body[] = { IKE_ID_IPV4_ADDR, 0, 0, 0, 192, 0, 2, 1 };
static const uint8_t auth_body[4 + 32] = { IKE_AUTH_PSK };
static const uint8_t ts_body[] = {
	2, 0, 0, 0,
	IKE_TS_IPV4_ADDR_RANGE, 0, 0, 16, 0, 0, 0xff, 0xff,
	203, 0, 113, 0, 203, 0, 113, 127,
	IKE_TS_IPV6_ADDR_RANGE, 6, 0, 40, 0, 80, 0, 80,
	0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
};
static const uint8_t cp_body[] = {
	IKE_CFG_REQUEST, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 4, 203, 0, 113, 1,
};
static const uint8_t d_body[] = { IKE_PROTO_ESP, 4, 0, 2, 1, 2, 3, 4, 5, 6,
				  7, 8 };
static const uint8_t cert_body[] = { IKE_CERT_X509_SIG, 0x30, 0x03, 1, 2,
				     3 };
static const uint8_t eap_body[] = { 2, 1, 0, 6, 1, 'x' };

#define PL(t, b) { t, 0, b, sizeof(b) }

static const struct pl sa_init[] = {
	PL(IKE_PL_SA, sa_body), PL(IKE_PL_KE, ke_body),
	PL(IKE_PL_NONCE, nonce_body), PL(IKE_PL_NOTIFY, n_body),
	PL(IKE_PL_VENDOR, v_body), PL(IKE_PL_CERTREQ, cert_body),
};
static const struct pl auth[] = {
	PL(IKE_PL_IDI, id_body), PL(IKE_PL_CERT, cert_body),
	PL(IKE_PL_AUTH, auth_body), PL(IKE_PL_CP, cp_body),
	PL(IKE_PL_SA, sa_body), PL(IKE_PL_TSI, ts_body),
	PL(IKE_PL_TSR, ts_body), PL(IKE_PL_NOTIFY, n_body),
	PL(IKE_PL_DELETE, d_body), PL(IKE_PL_EAP, eap_body),
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t good_init[4096], good_auth[4096];
static size_t good_init_len, good_auth_len;

static int setup(void **state)
{
	(void)state;
	good_init_len = mk_clear(good_init, IKE_SA_INIT, sa_init,
				 COUNT(sa_init));
	good_auth_len = mk_sk(good_auth, IKE_AUTH, auth, COUNT(auth));
	return 0;
}

/* The hand-built messages are valid: the negative tests below start
 * from something that decodes. */
static void test_baseline_valid(void **state)
{
	(void)state;
	assert_int_equal(decode_exact(good_init, good_init_len), IKE_OK);
	assert_int_equal(decode_exact(good_auth, good_auth_len), IKE_OK);
}

static void test_truncate_every_byte(void **state)
{
	uint8_t *msgs[] = { good_init, good_auth };
	size_t lens[] = { good_init_len, good_auth_len };
	uint8_t buf[4096];

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		for (size_t n = 0; n < lens[k]; n++) {
			memcpy(buf, msgs[k], n);
			/* as received: header length disagrees */
			assert_int_not_equal(decode_exact(buf, n), IKE_OK);
			if (n < IKE_HDR_LEN)
				continue;
			/* header length "fixed up" to match: the chain
			 * itself must notice */
			buf[24] = buf[25] = 0;
			buf[26] = (uint8_t)(n >> 8);
			buf[27] = (uint8_t)n;
			assert_int_not_equal(decode_exact(buf, n), IKE_OK);
		}
	}
}

static void test_truncate_inner_every_byte(void **state)
{
	static uint8_t inner[4096];
	size_t len = mk_chain(inner, auth, COUNT(auth), IKE_PL_NONE);

	(void)state;
	assert_int_equal(decode_inner_exact(inner, len, IKE_PL_IDI), IKE_OK);
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(decode_inner_exact(inner, n, IKE_PL_IDI),
				     IKE_OK);
}

/* Offsets of every generic payload length field, stepping into SK. */
static size_t length_fields(const uint8_t *m, size_t len, size_t *off,
			    size_t max)
{
	size_t n = 0, p = IKE_HDR_LEN;
	uint8_t type = m[16];

	while (type && p + 4 <= len && n < max) {
		uint8_t next = m[p];

		off[n++] = p + 2;
		if (type == IKE_PL_SK)
			p += 4;		/* its body is the inner chain */
		else
			p += (size_t)m[p + 2] << 8 | m[p + 3];
		type = next;
	}
	return n;
}

static void test_lying_lengths(void **state)
{
	uint8_t *msgs[] = { good_init, good_auth };
	size_t lens[] = { good_init_len, good_auth_len };
	static uint8_t buf[4096];
	size_t off[PL_MAX];

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		size_t n = length_fields(msgs[k], lens[k], off, PL_MAX);

		assert_true(n >= 6);
		for (size_t i = 0; i < n; i++) {
			size_t o = off[i];
			size_t truth = (size_t)msgs[k][o] << 8 | msgs[k][o + 1];
			size_t room = lens[k] - (o - 2);

			for (uint32_t v = 0; v <= 0xffff; v++) {
				int err;

				if (v == truth)
					continue;
				memcpy(buf, msgs[k], lens[k]);
				buf[o] = (uint8_t)(v >> 8);
				buf[o + 1] = (uint8_t)v;
				err = decode_exact(buf, lens[k]);
				/* below the generic header, or past the
				 * end of the message: always an error */
				if (v < 4 || v > room)
					assert_int_not_equal(err, IKE_OK);
			}
		}
	}
}

/* The header's own length field (RFC 7296 3.1). */
static void test_header_length_lies(void **state)
{
	static uint8_t buf[4096];

	(void)state;
	for (uint32_t v = 0; v < 4096; v++) {
		if (v == good_init_len)
			continue;
		memcpy(buf, good_init, good_init_len);
		buf[26] = (uint8_t)(v >> 8);
		buf[27] = (uint8_t)v;
		assert_int_equal(decode_exact(buf, good_init_len),
				 IKE_ERR_BAD_LENGTH);
	}
	memcpy(buf, good_init, good_init_len);
	buf[24] = 0x80;
	assert_int_equal(decode_exact(buf, good_init_len), IKE_ERR_BAD_LENGTH);
}

/* Inside the SA payload: proposal and transform lengths, counts, "last"
 * markers (RFC 7296 3.3.1, 3.3.2). */
static void test_sa_substructure_lies(void **state)
{
	static uint8_t buf[4096];
	uint8_t sa[sizeof(sa_body)];
	struct pl p[] = { { IKE_PL_SA, 0, sa, sizeof(sa) },
			  PL(IKE_PL_KE, ke_body), PL(IKE_PL_NONCE, nonce_body) };
	/* offsets in sa_body of: proposal 1 len, transform 1 len, transform
	 * 2 len, proposal 2 len, transform 3 len */
	const size_t lenoff[] = { 2, 10, 22, 30, 42 };

	(void)state;
	for (size_t i = 0; i < COUNT(lenoff); i++) {
		for (unsigned v = 0; v < 256; v++) {
			size_t len;

			memcpy(sa, sa_body, sizeof(sa));
			if (v == sa[lenoff[i] + 1])
				continue;
			sa[lenoff[i] + 1] = (uint8_t)v;
			len = mk_clear(buf, IKE_SA_INIT, p, COUNT(p));
			assert_int_equal(decode_exact(buf, len),
					 IKE_ERR_BAD_PAYLOAD);
		}
	}
	/* counts and markers */
	const struct { size_t off; uint8_t v; int err; } cases[] = {
		{ 7, 3, IKE_ERR_BAD_PAYLOAD },		/* ntr 3, 2 present */
		{ 7, 1, IKE_ERR_BAD_PAYLOAD },		/* ntr 1, 2 present */
		{ 7, 0, IKE_ERR_BAD_PAYLOAD },		/* ntr 0 */
		{ 7, 255, IKE_ERR_TOO_MANY },		/* absurd ntr */
		{ 0, 0, IKE_ERR_BAD_PAYLOAD },		/* first marked last */
		{ 0, 1, IKE_ERR_BAD_PAYLOAD },		/* not 0 or 2 */
		{ 28, 2, IKE_ERR_BAD_PAYLOAD },		/* last says more */
		{ 8, 0, IKE_ERR_BAD_PAYLOAD },		/* transform marks */
		{ 8, 2, IKE_ERR_BAD_PAYLOAD },
		{ 20, 3, IKE_ERR_BAD_PAYLOAD },
		{ 34, 9, IKE_ERR_BAD_PAYLOAD },		/* SPI size 9 */
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		size_t len;

		memcpy(sa, sa_body, sizeof(sa));
		sa[cases[i].off] = cases[i].v;
		len = mk_clear(buf, IKE_SA_INIT, p, COUNT(p));
		assert_int_equal(decode_exact(buf, len), cases[i].err);
	}
}

/* TS (RFC 7296 3.13): counts, selector lengths matching their type. */
static void test_ts_lies(void **state)
{
	static uint8_t buf[4096];
	uint8_t ts[sizeof(ts_body)];
	struct pl p[] = { PL(IKE_PL_IDI, id_body),
			  { IKE_PL_TSI, 0, ts, sizeof(ts) },
			  PL(IKE_PL_TSR, ts_body) };
	const struct { size_t off; uint8_t v; int err; } cases[] = {
		{ 0, 3, IKE_ERR_BAD_PAYLOAD },		/* 3 announced, 2 */
		{ 0, 1, IKE_ERR_BAD_PAYLOAD },		/* trailing selector */
		{ 0, 255, IKE_ERR_TOO_MANY },
		{ 7, 40, IKE_ERR_BAD_PAYLOAD },		/* v4 with v6 length */
		{ 7, 15, IKE_ERR_BAD_PAYLOAD },
		{ 23, 16, IKE_ERR_BAD_PAYLOAD },	/* v6 with v4 length */
		{ 4, 9, IKE_ERR_BAD_PAYLOAD },		/* unknown TS type */
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		size_t len;

		memcpy(ts, ts_body, sizeof(ts));
		ts[cases[i].off] = cases[i].v;
		len = mk_sk(buf, IKE_AUTH, p, COUNT(p));
		assert_int_equal(decode_exact(buf, len), cases[i].err);
	}
}

static void test_small_bodies(void **state)
{
	static uint8_t buf[4096];
	uint8_t big[300] = { 0 };
	const uint8_t d_lie[] = { IKE_PROTO_ESP, 4, 0, 3, 1, 2, 3, 4, 5, 6, 7,
				  8 };
	const uint8_t d_spi9[] = { IKE_PROTO_ESP, 9, 0, 1, 1, 2, 3, 4, 5, 6,
				   7, 8, 9 };
	const uint8_t n_spi9[] = { 0, 9, 0, 1 };
	const uint8_t cp_lie[] = { 1, 0, 0, 0, 0, 1, 0, 9, 1, 2 };
	const uint8_t eap_lie[] = { 2, 1, 0, 7, 1, 'x' };
	const uint8_t id_empty[] = { IKE_ID_FQDN, 0, 0, 0 };
	const uint8_t ke_empty[] = { 0, 31, 0, 0 };
	const struct pl cases[] = {
		{ IKE_PL_NONCE, 0, big, 15 },	/* RFC 7296 2.10: 16..256 */
		{ IKE_PL_NONCE, 0, big, 257 },
		{ IKE_PL_DELETE, 0, d_lie, sizeof(d_lie) },
		{ IKE_PL_DELETE, 0, d_spi9, sizeof(d_spi9) },
		{ IKE_PL_NOTIFY, 0, n_spi9, sizeof(n_spi9) },
		{ IKE_PL_NOTIFY, 0, n_body, 3 },
		{ IKE_PL_CP, 0, cp_lie, sizeof(cp_lie) },
		{ IKE_PL_EAP, 0, eap_lie, sizeof(eap_lie) },
		{ IKE_PL_EAP, 0, eap_body, 3 },
		{ IKE_PL_IDI, 0, id_empty, sizeof(id_empty) },
		{ IKE_PL_AUTH, 0, auth_body, 4 },
		{ IKE_PL_KE, 0, ke_empty, sizeof(ke_empty) },
		{ IKE_PL_CERT, 0, cert_body, 0 },
		{ IKE_PL_SA, 0, sa_body, 0 },
		{ IKE_PL_SA, 0, sa_body, 7 },
		{ IKE_PL_TSI, 0, ts_body, 3 },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		size_t len = mk_sk(buf, IKE_INFORMATIONAL, &cases[i], 1);

		assert_int_equal(decode_exact(buf, len), IKE_ERR_BAD_PAYLOAD);
	}
}

/* A zero-length payload would spin a parser that trusts it; a chain of
 * payloads all naming the next as themselves must end at the bounds. */
static void test_looping_chains(void **state)
{
	static uint8_t buf[IKE_MSG_MAX];
	static struct pl many[IKE_MAX_NOTIFY + 1];
	static struct pl unknown[16000];
	uint8_t zero[32];
	size_t len;

	(void)state;
	len = mk_clear(buf, IKE_SA_INIT, sa_init, 2);
	buf[28 + 2] = 0;	/* SA length 0 */
	buf[28 + 3] = 0;
	assert_int_equal(decode_exact(buf, len), IKE_ERR_BAD_LENGTH);
	buf[28 + 3] = 4;	/* SA length 4: overlaps the next header */
	assert_int_not_equal(decode_exact(buf, len), IKE_OK);

	for (size_t i = 0; i < COUNT(many); i++)
		many[i] = (struct pl){ IKE_PL_NOTIFY, 0, n_body, 4 };
	len = mk_clear(buf, IKE_INFORMATIONAL, many, IKE_MAX_NOTIFY);
	assert_int_equal(decode_exact(buf, len), IKE_OK);
	len = mk_clear(buf, IKE_INFORMATIONAL, many, COUNT(many));
	assert_int_equal(decode_exact(buf, len), IKE_ERR_TOO_MANY);
	len = mk_sk(buf, IKE_INFORMATIONAL, many, COUNT(many));
	assert_int_equal(decode_exact(buf, len), IKE_ERR_TOO_MANY);

	/* two of a payload the message holds once */
	struct pl two_sa[] = { PL(IKE_PL_SA, sa_body), PL(IKE_PL_SA, sa_body) };
	len = mk_clear(buf, IKE_SA_INIT, two_sa, 2);
	assert_int_equal(decode_exact(buf, len), IKE_ERR_TOO_MANY);

	/* 16000 empty unknown payloads: skipped, in bounded time */
	memset(zero, 0, sizeof(zero));
	for (size_t i = 0; i < COUNT(unknown); i++)
		unknown[i] = (struct pl){ 222, 0, zero, 0 };
	len = mk_clear(buf, IKE_INFORMATIONAL, unknown, COUNT(unknown));
	assert_int_equal(decode_exact(buf, len), IKE_OK);
}

static void test_critical_unknown(void **state)
{
	static uint8_t buf[4096];
	static struct ike_msg m;
	struct pl p[] = { PL(IKE_PL_NOTIFY, n_body), { 99, 0x80, "x", 1 } };
	size_t len;

	(void)state;
	len = mk_clear(buf, IKE_INFORMATIONAL, p, 2);
	assert_int_equal(ike_decode(buf, len, &m),
			 IKE_ERR_UNSUPPORTED_CRITICAL);
	assert_int_equal(m.unsupported_critical, 99);
	len = mk_sk(buf, IKE_INFORMATIONAL, p, 2);
	assert_int_equal(decode_exact(buf, len), IKE_ERR_UNSUPPORTED_CRITICAL);
	p[1].flags = 0x7f;	/* reserved bits but not critical: skipped */
	len = mk_sk(buf, IKE_INFORMATIONAL, p, 2);
	assert_int_equal(decode_exact(buf, len), IKE_OK);
}

static void test_sk_placement(void **state)
{
	static uint8_t buf[4096];
	static struct ike_msg m;
	size_t len;
	struct pl in_sk[] = { PL(IKE_PL_NOTIFY, n_body),
			      { IKE_PL_SK, 0, "abcd", 4 } };
	const uint8_t skf_bad[][4] = { { 0, 0, 0, 2 }, { 0, 3, 0, 2 },
				       { 0, 1 } };

	(void)state;
	/* bytes after SK, covered by the header length (RFC 7296 3.14) */
	len = mk_sk(buf, IKE_AUTH, auth, 2);
	buf[len] = 0;
	buf[len + 1] = 0;
	buf[len + 2] = 0;
	buf[len + 3] = 4;
	len += 4;
	buf[26] = (uint8_t)(len >> 8);
	buf[27] = (uint8_t)len;
	assert_int_equal(ike_decode(buf, len, &m), IKE_ERR_SK_NOT_LAST);
	/* an SK inside the encrypted chain */
	len = mk_sk(buf, IKE_AUTH, in_sk, 2);
	assert_int_equal(decode_exact(buf, len), IKE_ERR_BAD_PAYLOAD);
	/* SKF numbering (RFC 7383 2.5): 0, above total, short header */
	for (size_t i = 0; i < COUNT(skf_bad); i++) {
		struct pl skf = { IKE_PL_SKF, 0, skf_bad[i], i < 2 ? 4 : 2 };
		uint8_t chain[16];
		size_t clen = mk_chain(chain, &skf, 1, IKE_PL_IDI);

		len = mk_msg(buf, IKE_AUTH, IKE_PL_SKF, chain, clen);
		assert_int_equal(decode_exact(buf, len), IKE_ERR_BAD_PAYLOAD);
	}
}

static void test_header_errors(void **state)
{
	static uint8_t buf[4096];

	(void)state;
	memcpy(buf, good_init, good_init_len);
	buf[17] = 0x30;		/* IKEv3 */
	assert_int_equal(decode_exact(buf, good_init_len), IKE_ERR_BAD_VERSION);
	buf[17] = 0x10;		/* IKEv1 */
	assert_int_equal(decode_exact(buf, good_init_len), IKE_ERR_BAD_VERSION);
	buf[17] = 0x2f;		/* minor versions are ignored (3.1) */
	assert_int_equal(decode_exact(buf, good_init_len), IKE_OK);
	for (size_t n = 0; n < IKE_HDR_LEN; n++)
		assert_int_equal(decode_exact(buf, n), IKE_ERR_TRUNCATED);
}

/* Every single-bit flip of a valid message: any result but a crash. */
static void test_bit_flips(void **state)
{
	uint8_t *msgs[] = { good_init, good_auth };
	size_t lens[] = { good_init_len, good_auth_len };
	static uint8_t buf[4096];
	unsigned ok = 0, bad = 0;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		for (size_t bit = 0; bit < lens[k] * 8; bit++) {
			memcpy(buf, msgs[k], lens[k]);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (decode_exact(buf, lens[k]) == IKE_OK)
				ok++;
			else
				bad++;
		}
	}
	/* flips in data bodies decode; flips in structure do not */
	assert_true(ok > 0);
	assert_true(bad > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline_valid),
		cmocka_unit_test(test_truncate_every_byte),
		cmocka_unit_test(test_truncate_inner_every_byte),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_header_length_lies),
		cmocka_unit_test(test_sa_substructure_lies),
		cmocka_unit_test(test_ts_lies),
		cmocka_unit_test(test_small_bodies),
		cmocka_unit_test(test_looping_chains),
		cmocka_unit_test(test_critical_unknown),
		cmocka_unit_test(test_sk_placement),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_bit_flips),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
