/* Debug key log (conf log.keylog): one line per IKE SA in the format of
 * Wireshark's IKEv2 decryption table (ikev2_decryption_table UAT):
 *   <SPIi>,<SPIr>,<SK_ei>,<SK_er>,"<encr>",<SK_ai>,<SK_ar>,"<integ>"
 * Secret material on disk: for lab captures only. */
#include <stdio.h>

#include "conf/conf.h"
#include "sa/exchange.h"

static const char *tshark_encr(const struct ike_suite *s)
{
	static const char *const cbc[] = { "AES-CBC-128 [RFC3602]",
		"AES-CBC-192 [RFC3602]", "AES-CBC-256 [RFC3602]" };
	static const char *const gcm[] = {
		"AES-GCM-128 with 16 octet ICV [RFC5282]",
		"AES-GCM-192 with 16 octet ICV [RFC5282]",
		"AES-GCM-256 with 16 octet ICV [RFC5282]" };
	unsigned i = s->encr_keylen == 128 ? 0 : s->encr_keylen == 192 ? 1 : 2;

	switch (s->encr) {
	case IKE_ENCR_AES_CBC: return cbc[i];
	case IKE_ENCR_AES_GCM_16: return gcm[i];
	case IKE_ENCR_CHACHA20_POLY1305: return "CHACHA20-POLY1305 [RFC7634]";
	case IKE_ENCR_NULL: return "NULL [RFC2410]";
	default: return "?";
	}
}

static const char *tshark_integ(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_NONE: return "NONE [RFC4306]";
	case IKE_INTEG_HMAC_SHA1_96: return "HMAC_SHA1_96 [RFC2404]";
	case IKE_INTEG_HMAC_SHA2_256_128: return "HMAC_SHA2_256_128 [RFC4868]";
	case IKE_INTEG_HMAC_SHA2_384_192: return "HMAC_SHA2_384_192 [RFC4868]";
	case IKE_INTEG_HMAC_SHA2_512_256: return "HMAC_SHA2_512_256 [RFC4868]";
	default: return "?";
	}
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

void ike_sa_keylog(struct hike *h, const struct ike_sa *sa)
{
	const struct ike_keys *k = &sa->sa_keys;
	FILE *f;

	if (!h->conf || !h->conf->log.keylog[0])
		return;
	f = fopen(h->conf->log.keylog, "a");
	if (!f) {
		ike_sa_log(h, sa, LOG_WARN_, "keylog %s: cannot open",
			   h->conf->log.keylog);
		return;
	}
	fprintf(f, "%016llx,%016llx,", (unsigned long long)sa->sa_ispi,
		(unsigned long long)sa->sa_rspi);
	hex(f, k->sk_ei, k->e_len);
	fputc(',', f);
	hex(f, k->sk_er, k->e_len);
	fprintf(f, ",\"%s\",", tshark_encr(&sa->sa_suite));
	hex(f, k->sk_ai, k->a_len);
	fputc(',', f);
	hex(f, k->sk_ar, k->a_len);
	fprintf(f, ",\"%s\"\n", tshark_integ(sa->sa_suite.integ));
	fclose(f);
}
