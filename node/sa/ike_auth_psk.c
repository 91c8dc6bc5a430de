/* Pre-shared key AUTH (RFC 7296 2.15):
 *   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <*SignedOctets>)
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi')
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr')
 * The caller passes the message, the *other* side's nonce and its own
 * SK_p and ID' accordingly. */
#include <errno.h>

#include <openssl/crypto.h>

#include "crypto/prf.h"
#include "sa/exchange.h"

static const uint8_t key_pad[] = "Key Pad for IKEv2";

int ike_psk_auth(uint16_t prf_id, const uint8_t *psk, size_t psk_len,
		 const uint8_t *msg, size_t msg_len,
		 const uint8_t *nonce, size_t nonce_len,
		 const uint8_t *sk_p, size_t sk_p_len,
		 const uint8_t *id_raw, size_t id_len, uint8_t *out,
		 size_t *out_len)
{
	uint8_t macid[PRF_MAX_LEN], kpad[PRF_MAX_LEN];
	size_t plen = prf_len(prf_id);
	struct crypto_span in[3];
	int rc;

	if (!plen)
		return -ENOTSUP;
	rc = prf(prf_id, sk_p, sk_p_len, id_raw, id_len, macid);
	if (rc)
		goto out;
	/* 17 octets, no terminating NUL */
	rc = prf(prf_id, psk, psk_len, key_pad, sizeof(key_pad) - 1, kpad);
	if (rc)
		goto out;
	in[0] = (struct crypto_span){ msg, msg_len };
	in[1] = (struct crypto_span){ nonce, nonce_len };
	in[2] = (struct crypto_span){ macid, plen };
	rc = prf_spans(prf_id, kpad, plen, in, 3, out);
	if (!rc)
		*out_len = plen;
out:
	OPENSSL_cleanse(macid, sizeof(macid));
	OPENSSL_cleanse(kpad, sizeof(kpad));
	return rc;
}
