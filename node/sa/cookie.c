/* Stateless cookies (RFC 7296 2.6):
 *   Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
 * with SHA-256; the secret is rotated every few minutes and the previous
 * one is still accepted so a cookie issued just before the rotation works. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sa/exchange.h"
#include "sa/table.h"

#define COOKIE_ROTATE_MS	(5 * 60 * 1000)

static void cookie_rotate(struct hike *h)
{
	struct sa_cookie_state *c = &h->ike_sas->cookie;
	uint64_t now = sa_now_ms(h);

	if (c->version && now - c->rotated_ms < COOKIE_ROTATE_MS)
		return;
	memcpy(c->prev, c->secret, sizeof(c->prev));
	c->have_prev = c->version != 0;
	if (RAND_bytes(c->secret, sizeof(c->secret)) != 1)
		return;		/* keep the old one */
	c->version++;
	c->rotated_ms = now;
}

static int cookie_hash(const uint8_t *secret, uint32_t version,
		       const struct ike_msg *m,
		       const struct sockaddr_storage *remote,
		       uint8_t out[COOKIE_LEN])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)remote;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)remote;
	uint8_t spi[8];
	struct wr w = wr_init(spi, sizeof(spi));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	wr_u64(&w, m->hdr.ispi);
	out[0] = (uint8_t)(version >> 24);
	out[1] = (uint8_t)(version >> 16);
	out[2] = (uint8_t)(version >> 8);
	out[3] = (uint8_t)version;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, m->nonce.data, m->nonce.len) &&
	     (remote->ss_family == AF_INET ?
	      EVP_DigestUpdate(ctx, &s4->sin_addr, 4) :
	      EVP_DigestUpdate(ctx, &s6->sin6_addr, 16)) &&
	     EVP_DigestUpdate(ctx, spi, sizeof(spi)) &&
	     EVP_DigestUpdate(ctx, secret, COOKIE_SECRET_LEN) &&
	     EVP_DigestFinal_ex(ctx, out + 4, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int ike_cookie_make(struct hike *h, const struct ike_msg *m,
		    const struct sockaddr_storage *remote,
		    uint8_t out[COOKIE_LEN])
{
	struct sa_cookie_state *c = &h->ike_sas->cookie;

	cookie_rotate(h);
	if (!c->version)
		return -EIO;
	return cookie_hash(c->secret, c->version, m, remote, out);
}

bool ike_cookie_ok(struct hike *h, const struct ike_msg *m,
		   const struct sockaddr_storage *remote)
{
	const struct ike_notify_pl *n = ike_msg_notify(m, IKE_N_COOKIE);
	struct sa_cookie_state *c = &h->ike_sas->cookie;
	uint8_t want[COOKIE_LEN];
	const uint8_t *secret;
	uint32_t version;
	bool ok;

	if (!n || n->len != COOKIE_LEN || !c->version)
		return false;
	version = (uint32_t)n->data[0] << 24 | (uint32_t)n->data[1] << 16 |
		  (uint32_t)n->data[2] << 8 | n->data[3];
	if (version == c->version)
		secret = c->secret;
	else if (c->have_prev && version == c->version - 1)
		secret = c->prev;
	else
		return false;
	if (cookie_hash(secret, version, m, remote, want))
		return false;
	ok = !CRYPTO_memcmp(want, n->data, COOKIE_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
