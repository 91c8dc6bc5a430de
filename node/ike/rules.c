/*
 * Which payloads each exchange may carry (RFC 7296 section 1 diagrams and
 * section 3; RFC 7383; RFC 9242), checked after decoding: parse first,
 * judge second.  One row per (phase, direction, payload type) with the
 * allowed count; a payload type without a row is not allowed at all.
 *
 * IKE_SA_INIT is the only exchange sent in the clear; in every other one
 * all payloads travel inside SK (or SKF), and SK/SKF is the only clear
 * payload (RFC 7296 3.14).
 */
#include "ike/codec.h"

#define MANY	UINT8_MAX

struct ike_rule {
	uint8_t phase;		/* enum ike_rules_phase */
	bool response;
	uint8_t type;
	uint8_t min, max;
};

static const struct ike_rule ike_rules[] = {
	/* HDR, SAi1, KEi, Ni [, N(COOKIE)] [, N+] [, V+] --> */
	{ IKE_RULES_INIT, false, IKE_PL_SA, 1, 1 },
	{ IKE_RULES_INIT, false, IKE_PL_KE, 1, 1 },
	{ IKE_RULES_INIT, false, IKE_PL_NONCE, 1, 1 },
	{ IKE_RULES_INIT, false, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_INIT, false, IKE_PL_VENDOR, 0, MANY },
	{ IKE_RULES_INIT, false, IKE_PL_CERTREQ, 0, MANY },
	/* <-- HDR, SAr1, KEr, Nr, [CERTREQ], or just N(COOKIE) / an error */
	{ IKE_RULES_INIT, true, IKE_PL_SA, 0, 1 },
	{ IKE_RULES_INIT, true, IKE_PL_KE, 0, 1 },
	{ IKE_RULES_INIT, true, IKE_PL_NONCE, 0, 1 },
	{ IKE_RULES_INIT, true, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_INIT, true, IKE_PL_VENDOR, 0, MANY },
	{ IKE_RULES_INIT, true, IKE_PL_CERTREQ, 0, MANY },

	/* HDR, SK { IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, [CP,] SAi2, TSi,
	 * TSr } --> ; AUTH absent asks for EAP (2.16), SA/TS absent is
	 * childless (RFC 6023) */
	{ IKE_RULES_AUTH, false, IKE_PL_IDI, 1, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_IDR, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_CERT, 0, MANY },
	{ IKE_RULES_AUTH, false, IKE_PL_CERTREQ, 0, MANY },
	{ IKE_RULES_AUTH, false, IKE_PL_AUTH, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_CP, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_SA, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_TSI, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_TSR, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_EAP, 0, 1 },
	{ IKE_RULES_AUTH, false, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_AUTH, false, IKE_PL_VENDOR, 0, MANY },
	/* <-- HDR, SK { IDr, [CERT,] AUTH, [CP,] SAr2, TSi, TSr }, or an
	 * EAP round, or just N(error) */
	{ IKE_RULES_AUTH, true, IKE_PL_IDR, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_CERT, 0, MANY },
	{ IKE_RULES_AUTH, true, IKE_PL_AUTH, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_CP, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_SA, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_TSI, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_TSR, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_EAP, 0, 1 },
	{ IKE_RULES_AUTH, true, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_AUTH, true, IKE_PL_VENDOR, 0, MANY },
	/* HDR, SK { EAP } --> ... HDR, SK { AUTH } --> (2.16) */
	{ IKE_RULES_AUTH_EAP, false, IKE_PL_EAP, 0, 1 },
	{ IKE_RULES_AUTH_EAP, false, IKE_PL_AUTH, 0, 1 },
	{ IKE_RULES_AUTH_EAP, false, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_AUTH_EAP, false, IKE_PL_VENDOR, 0, MANY },

	/* HDR, SK { [N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr] } --> (1.3) */
	{ IKE_RULES_CHILD, false, IKE_PL_SA, 1, 1 },
	{ IKE_RULES_CHILD, false, IKE_PL_NONCE, 1, 1 },
	{ IKE_RULES_CHILD, false, IKE_PL_KE, 0, 1 },
	{ IKE_RULES_CHILD, false, IKE_PL_TSI, 0, 1 },
	{ IKE_RULES_CHILD, false, IKE_PL_TSR, 0, 1 },
	{ IKE_RULES_CHILD, false, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_CHILD, false, IKE_PL_VENDOR, 0, MANY },
	/* <-- HDR, SK { SA, Nr, [KEr], [TSi, TSr] }, or just N(error) */
	{ IKE_RULES_CHILD, true, IKE_PL_SA, 0, 1 },
	{ IKE_RULES_CHILD, true, IKE_PL_NONCE, 0, 1 },
	{ IKE_RULES_CHILD, true, IKE_PL_KE, 0, 1 },
	{ IKE_RULES_CHILD, true, IKE_PL_TSI, 0, 1 },
	{ IKE_RULES_CHILD, true, IKE_PL_TSR, 0, 1 },
	{ IKE_RULES_CHILD, true, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_CHILD, true, IKE_PL_VENDOR, 0, MANY },

	/* HDR, SK { [N,] [D,] [CP,] ... } <--> (1.4) */
	{ IKE_RULES_INFO, false, IKE_PL_DELETE, 0, MANY },
	{ IKE_RULES_INFO, false, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_INFO, false, IKE_PL_CP, 0, 1 },
	{ IKE_RULES_INFO, false, IKE_PL_VENDOR, 0, MANY },
	{ IKE_RULES_INFO, true, IKE_PL_DELETE, 0, MANY },
	{ IKE_RULES_INFO, true, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_INFO, true, IKE_PL_CP, 0, 1 },
	{ IKE_RULES_INFO, true, IKE_PL_VENDOR, 0, MANY },

	/* RFC 9242 / RFC 9370: HDR, SK { [KEi(n)], N* } <--> */
	{ IKE_RULES_INTERMEDIATE, false, IKE_PL_KE, 0, 1 },
	{ IKE_RULES_INTERMEDIATE, false, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_INTERMEDIATE, false, IKE_PL_VENDOR, 0, MANY },
	{ IKE_RULES_INTERMEDIATE, true, IKE_PL_KE, 0, 1 },
	{ IKE_RULES_INTERMEDIATE, true, IKE_PL_NOTIFY, 0, MANY },
	{ IKE_RULES_INTERMEDIATE, true, IKE_PL_VENDOR, 0, MANY },
};

#define IKE_RULES_N (sizeof(ike_rules) / sizeof(ike_rules[0]))

enum ike_rules_phase ike_rules_phase_of(const struct ike_msg *msg)
{
	bool resp = msg->hdr.flags & IKE_FLAG_RESPONSE;

	switch (msg->hdr.exchange) {
	case IKE_SA_INIT:
		return IKE_RULES_INIT;
	case IKE_AUTH:
		if (!resp && !msg->count_enc[IKE_PL_IDI] &&
		    !msg->count_clear[IKE_PL_IDI])
			return IKE_RULES_AUTH_EAP;
		return IKE_RULES_AUTH;
	case IKE_CREATE_CHILD_SA:
		return IKE_RULES_CHILD;
	case IKE_INFORMATIONAL:
		return IKE_RULES_INFO;
	case IKE_INTERMEDIATE:
		return IKE_RULES_INTERMEDIATE;
	default:
		return IKE_RULES_NONE;
	}
}

static const struct ike_rule *ike_rule_find(uint8_t phase, bool resp,
					    uint8_t type)
{
	for (size_t i = 0; i < IKE_RULES_N; i++)
		if (ike_rules[i].phase == phase &&
		    ike_rules[i].response == resp && ike_rules[i].type == type)
			return &ike_rules[i];
	return NULL;
}

/* Where the payloads sit: clear for IKE_SA_INIT, inside SK otherwise. */
static int ike_rules_placement(const struct ike_msg *msg, uint8_t phase,
			       uint8_t *bad)
{
	bool clear_ex = phase == IKE_RULES_INIT;
	unsigned nsk = msg->count_clear[IKE_PL_SK] + msg->count_clear[IKE_PL_SKF];

	if (clear_ex ? nsk != 0 : nsk != 1) {
		*bad = msg->count_clear[IKE_PL_SKF] ? IKE_PL_SKF : IKE_PL_SK;
		return IKE_ERR_RULES;
	}
	for (unsigned t = 1; t < 256; t++) {
		if (t == IKE_PL_SK || t == IKE_PL_SKF)
			continue;
		if (clear_ex ? msg->count_enc[t] : msg->count_clear[t]) {
			*bad = (uint8_t)t;
			return IKE_ERR_RULES;
		}
	}
	return IKE_OK;
}

/* Cost is O(payloads + rules), not O(256 x rules): this runs for every
 * message (it was 14% of a handshake's CPU in tests/bench/ike_load). */
static unsigned ike_rules_n(const struct ike_msg *msg, uint8_t t)
{
	return (unsigned)msg->count_clear[t] + msg->count_enc[t];
}

static int ike_rules_counts(const struct ike_msg *msg, uint8_t phase,
			    bool resp, uint8_t *bad)
{
	/* every payload present is allowed here, and not too often */
	for (unsigned i = 0; i < msg->norder; i++) {
		uint8_t t = msg->order[i].type;
		const struct ike_rule *r;

		if (t == IKE_PL_SK || t == IKE_PL_SKF)
			continue;
		r = ike_rule_find(phase, resp, t);
		if (!r || ike_rules_n(msg, t) > r->max) {
			*bad = t;
			return IKE_ERR_RULES;
		}
	}
	/* every payload required here is present */
	for (size_t i = 0; i < IKE_RULES_N; i++) {
		const struct ike_rule *r = &ike_rules[i];

		if (r->phase == phase && r->response == resp && r->min &&
		    ike_rules_n(msg, r->type) < r->min) {
			*bad = r->type;
			return IKE_ERR_RULES;
		}
	}
	/* RFC 7296 3.13: TSi and TSr travel as a pair */
	if (!msg->count_enc[IKE_PL_TSI] != !msg->count_enc[IKE_PL_TSR]) {
		*bad = msg->count_enc[IKE_PL_TSI] ? IKE_PL_TSR : IKE_PL_TSI;
		return IKE_ERR_RULES;
	}
	return IKE_OK;
}

int ike_rules_check(const struct ike_msg *msg, uint8_t *bad_type)
{
	enum ike_rules_phase phase = ike_rules_phase_of(msg);
	bool resp = msg->hdr.flags & IKE_FLAG_RESPONSE;
	uint8_t bad = IKE_PL_NONE;
	int err;

	if (phase == IKE_RULES_NONE)
		err = IKE_ERR_RULES;
	else
		err = ike_rules_placement(msg, phase, &bad);
	if (!err)
		err = ike_rules_counts(msg, phase, resp, &bad);
	if (bad_type)
		*bad_type = bad;
	return err;
}
