/* X.509 for IKEv2 AUTH (RFC 7296 3.6, 3.7; RFC 4945); see cert.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hike/ikev2.h"
#include "crypto/cert.h"

struct cert_store {
	X509_STORE *cs_store;
	size_t cs_n;
	uint8_t cs_hash[CERT_MAX_CAS][CERT_HASH_LEN];	/* SPKI SHA-1 */
};

struct cert_cred {
	EVP_PKEY *cc_key;
	X509 *cc_leaf;
	size_t cc_n;
	uint8_t *cc_der[CERT_MAX_CHAIN];		/* OPENSSL_malloc()ed */
	size_t cc_der_len[CERT_MAX_CHAIN];
	uint8_t cc_hash[CERT_MAX_CHAIN][CERT_HASH_LEN];
};

/* Write a reason into err (if any), drop OpenSSL's queued errors so they
 * cannot be blamed on a later, unrelated call in this thread; return rc. */
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return rc;
}

static const char *ossl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	return r ? r : "unknown error";
}

/* RFC 7296 3.7: a CA is named by the SHA-1 of its DER
 * SubjectPublicKeyInfo (X509_pubkey_digest() would hash only the key's
 * BIT STRING, RFC 5280's key identifier, which is not the same). */
static int spki_sha1(X509 *x, uint8_t out[CERT_HASH_LEN])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len, ok;

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0)
		return -EINVAL;
	ok = EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha1(), NULL);
	OPENSSL_free(der);
	return ok && mdlen == CERT_HASH_LEN ? 0 : -EIO;
}

/* Every certificate of a PEM file, in file order; *out is NULL on error. */
static int read_pem_certs(const char *path, STACK_OF(X509) **out, char *err,
			  size_t errlen)
{
	STACK_OF(X509) *sk;
	unsigned long e;
	FILE *f;
	X509 *x;

	*out = NULL;
	f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	sk = sk_X509_new_null();
	while (sk && (x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	}
	fclose(f);
	e = ERR_peek_last_error();
	/* a clean end of file is "no start line" after at least one */
	if (!sk || sk_X509_num(sk) == 0 || ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		sk_X509_pop_free(sk, X509_free);
		return fail(err, errlen, -EINVAL, "%s: no PEM certificate (%s)",
			    path, ossl_reason());
	}
	ERR_clear_error();
	*out = sk;
	return 0;
}

static int store_add(struct cert_store *s, X509 *x, const char *path,
		     char *err, size_t errlen)
{
	if (X509_check_ca(x) <= 0)
		return fail(err, errlen, -EINVAL, "%s: not a CA certificate",
			    path);
	if (s->cs_n == CERT_MAX_CAS)
		return fail(err, errlen, -E2BIG, "%s: more than %d CAs", path,
			    CERT_MAX_CAS);
	if (!X509_STORE_add_cert(s->cs_store, x))
		return fail(err, errlen, -ENOMEM, "%s: %s", path, ossl_reason());
	if (spki_sha1(x, s->cs_hash[s->cs_n]) < 0)
		return fail(err, errlen, -EINVAL, "%s: bad public key", path);
	s->cs_n++;
	return 0;
}

static int store_add_file(struct cert_store *s, const char *path, char *err,
			  size_t errlen)
{
	STACK_OF(X509) *sk;
	int rc;

	rc = read_pem_certs(path, &sk, err, errlen);
	for (int i = 0; rc == 0 && i < sk_X509_num(sk); i++)
		rc = store_add(s, sk_X509_value(sk, i), path, err, errlen);
	sk_X509_pop_free(sk, X509_free);	/* the store holds references */
	return rc;
}

int cert_store_load(const char *const *paths, size_t n,
		    struct cert_store **out, char *err, size_t errlen)
{
	struct cert_store *s;
	int rc = 0;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	s = OPENSSL_zalloc(sizeof(*s));
	if (!s || !(s->cs_store = X509_STORE_new())) {
		OPENSSL_free(s);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	/* Every configured CA is a trust anchor, self-signed or not, as
	 * strongSwan's cacerts are: an operator may trust only an
	 * intermediate. */
	X509_STORE_set_flags(s->cs_store, X509_V_FLAG_PARTIAL_CHAIN);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = store_add_file(s, paths[i], err, errlen);
	if (rc == 0 && s->cs_n == 0)
		rc = fail(err, errlen, -EINVAL, "no CA certificate");
	if (rc < 0) {
		cert_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void cert_store_free(struct cert_store *s)
{
	if (!s)
		return;
	X509_STORE_free(s->cs_store);
	OPENSSL_free(s);
}

size_t cert_store_count(const struct cert_store *s)
{
	return s->cs_n;
}

int cert_certreq_hashes(const struct cert_store *s, uint8_t *out, size_t cap,
			size_t *len)
{
	size_t need = s->cs_n * CERT_HASH_LEN;

	*len = 0;
	if (need > cap)
		return -ENOSPC;
	memcpy(out, s->cs_hash, need);	/* rows are contiguous */
	*len = need;
	return 0;
}

/* A daemon cannot prompt for a passphrase: refuse encrypted keys. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int cred_read_key(struct cert_cred *c, const char *path, char *err,
			 size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	c->cc_key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!c->cc_key)
		return fail(err, errlen, -EINVAL,
			    "%s: no unencrypted PEM private key (%s)", path,
			    ossl_reason());
	return 0;
}

static int cred_add_cert(struct cert_cred *c, X509 *x)
{
	unsigned char *der = NULL;
	int len;

	if (c->cc_n == CERT_MAX_CHAIN)
		return -E2BIG;
	len = i2d_X509(x, &der);
	if (len <= 0)
		return -EINVAL;
	if (spki_sha1(x, c->cc_hash[c->cc_n]) < 0) {
		OPENSSL_free(der);
		return -EINVAL;
	}
	c->cc_der[c->cc_n] = der;
	c->cc_der_len[c->cc_n] = (size_t)len;
	c->cc_n++;
	return 0;
}

static int cred_read_chain(struct cert_cred *c, const char *path, char *err,
			   size_t errlen)
{
	STACK_OF(X509) *sk;
	int rc;

	rc = read_pem_certs(path, &sk, err, errlen);
	for (int i = 0; rc == 0 && i < sk_X509_num(sk); i++) {
		rc = cred_add_cert(c, sk_X509_value(sk, i));
		if (rc < 0)
			fail(err, errlen, rc, "%s: certificate %d: %s", path,
			     i + 1, rc == -E2BIG ? "chain too long" : "bad DER");
	}
	if (rc == 0) {
		c->cc_leaf = sk_X509_value(sk, 0);
		X509_up_ref(c->cc_leaf);
	}
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int cert_cred_load(const char *cert_path, const char *key_path,
		   struct cert_cred **out, char *err, size_t errlen)
{
	struct cert_cred *c;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	c = OPENSSL_zalloc(sizeof(*c));
	if (!c)
		return fail(err, errlen, -ENOMEM, "out of memory");
	rc = cred_read_chain(c, cert_path, err, errlen);
	if (rc == 0)
		rc = cred_read_key(c, key_path, err, errlen);
	if (rc == 0 && X509_check_private_key(c->cc_leaf, c->cc_key) != 1)
		rc = fail(err, errlen, -EINVAL, "%s does not match %s",
			  key_path, cert_path);
	if (rc < 0) {
		cert_cred_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void cert_cred_free(struct cert_cred *c)
{
	if (!c)
		return;
	/* EVP_PKEY_free() clears the private key's numbers itself. */
	EVP_PKEY_free(c->cc_key);
	X509_free(c->cc_leaf);
	for (size_t i = 0; i < c->cc_n; i++)
		OPENSSL_free(c->cc_der[i]);
	OPENSSL_clear_free(c, sizeof(*c));
}

EVP_PKEY *cert_cred_key(const struct cert_cred *c)
{
	return c->cc_key;
}

size_t cert_chain_count(const struct cert_cred *c)
{
	return c->cc_n;
}

int cert_chain_der(const struct cert_cred *c, size_t i, const uint8_t **der,
		   size_t *len)
{
	if (i >= c->cc_n)
		return -ENOENT;
	*der = c->cc_der[i];
	*len = c->cc_der_len[i];
	return 0;
}

/* Whether a hash appears in CERTREQ data, as a whole 20-byte entry. */
static bool certreq_names(const struct ike_cert_pl *cr, const uint8_t *h)
{
	if (cr->encoding != IKE_CERT_X509_SIG || cr->len % CERT_HASH_LEN)
		return false;
	for (size_t off = 0; off < cr->len; off += CERT_HASH_LEN)
		if (!memcmp(cr->data + off, h, CERT_HASH_LEN))
			return true;
	return false;
}

bool cert_chain_skip(const struct cert_cred *c, size_t i,
		     const struct ike_cert_pl *certreqs, size_t n)
{
	if (i == 0 || i >= c->cc_n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (certreq_names(&certreqs[k], c->cc_hash[i]))
			return true;
	return false;
}

int cert_key_auth(EVP_PKEY *key, uint8_t *method, enum auth_sig_kind *kind)
{
	char group[64];
	int nid;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		*method = IKE_AUTH_RSA_SIG;
		*kind = AUTH_SIG_RSA_PKCS1;
		return 0;
	}
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
		return -ENOTSUP;
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	/* RFC 4754 3: one method per curve, each with its own hash */
	if (nid == NID_X9_62_prime256v1)
		*method = IKE_AUTH_ECDSA_256;
	else if (nid == NID_secp384r1)
		*method = IKE_AUTH_ECDSA_384;
	else if (nid == NID_secp521r1)
		*method = IKE_AUTH_ECDSA_521;
	else
		return -ENOTSUP;
	*kind = AUTH_SIG_ECDSA;
	return 0;
}

/* One line "CN = gw.hike.test" for logs and errors. */
static void name_str(const X509_NAME *nm, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (b && nm && X509_NAME_print_ex(b, nm, 0, XN_FLAG_ONELINE) >= 0)
		n = BIO_read(b, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static bool dn_equal(const uint8_t *der, size_t len, const X509_NAME *want)
{
	const unsigned char *p = der;
	X509_NAME *nm;
	bool eq;

	if (len == 0 || len > 65535)
		return false;
	nm = d2i_X509_NAME(NULL, &p, (long)len);
	/* the whole ID must be the one DN: no trailing bytes */
	eq = nm && p == der + len && X509_NAME_cmp(nm, want) == 0;
	X509_NAME_free(nm);
	return eq;
}

/*
 * Whether an ID is one of the certificate's identities (RFC 7296 3.5,
 * RFC 4945 3.1: the ID must be bound to the certificate).  SAN matching
 * is exact apart from DNS case; no wildcards and no falling back to the
 * subject's CN or emailAddress, which a CA may not have vetted as a name.
 */
static bool id_bound(X509 *x, uint8_t type, const uint8_t *data, size_t len)
{
	const unsigned int never_cn = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;

	if (len == 0)
		return false;
	switch (type) {
	case IKE_ID_DER_ASN1_DN:
		return dn_equal(data, len, X509_get_subject_name(x));
	case IKE_ID_FQDN:
		return X509_check_host(x, (const char *)data, len,
				       never_cn | X509_CHECK_FLAG_NO_WILDCARDS,
				       NULL) == 1;
	case IKE_ID_RFC822_ADDR:
		return X509_check_email(x, (const char *)data, len,
					never_cn) == 1;
	case IKE_ID_IPV4_ADDR:
		return len == 4 && X509_check_ip(x, data, len, 0) == 1;
	case IKE_ID_IPV6_ADDR:
		return len == 16 && X509_check_ip(x, data, len, 0) == 1;
	default:		/* KEY_ID, DER_ASN1_GN: nothing to bind */
		return false;
	}
}

bool cert_cred_has_id(const struct cert_cred *c, uint8_t type,
		      const uint8_t *data, size_t len)
{
	return id_bound(c->cc_leaf, type, data, len);
}

static int id_dn(X509 *x, uint8_t *out, size_t cap, size_t *len)
{
	const X509_NAME *nm = X509_get_subject_name(x);
	unsigned char *p = out;
	int n = i2d_X509_NAME(nm, NULL);

	if (n <= 0)
		return -EINVAL;
	if ((size_t)n > cap)
		return -ENOSPC;
	i2d_X509_NAME(nm, &p);
	*len = (size_t)n;
	return 0;
}

static const ASN1_STRING *san_value(const GENERAL_NAME *g, uint8_t type)
{
	const ASN1_STRING *v = NULL;

	if (type == IKE_ID_FQDN && g->type == GEN_DNS)
		v = g->d.dNSName;
	else if (type == IKE_ID_RFC822_ADDR && g->type == GEN_EMAIL)
		v = g->d.rfc822Name;
	else if ((type == IKE_ID_IPV4_ADDR || type == IKE_ID_IPV6_ADDR) &&
		 g->type == GEN_IPADD)
		v = g->d.iPAddress;
	if (v && type == IKE_ID_IPV4_ADDR && ASN1_STRING_length(v) != 4)
		v = NULL;
	if (v && type == IKE_ID_IPV6_ADDR && ASN1_STRING_length(v) != 16)
		v = NULL;
	return v;
}

static int id_san(X509 *x, uint8_t type, uint8_t *out, size_t cap,
		  size_t *len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
					       NULL);
	int rc = -ENOENT;

	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const ASN1_STRING *v = san_value(sk_GENERAL_NAME_value(gens, i),
						 type);
		size_t n;

		if (!v || ASN1_STRING_length(v) <= 0)
			continue;
		n = (size_t)ASN1_STRING_length(v);
		rc = n > cap ? -ENOSPC : 0;
		if (rc == 0) {
			memcpy(out, ASN1_STRING_get0_data(v), n);
			*len = n;
		}
		break;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

int cert_id_of(const struct cert_cred *c, uint8_t type, uint8_t *out,
	       size_t cap, size_t *len, uint8_t *type_out)
{
	int rc;

	*len = 0;
	switch (type) {
	case 0:
	case IKE_ID_DER_ASN1_DN:
		type = IKE_ID_DER_ASN1_DN;
		rc = id_dn(c->cc_leaf, out, cap, len);
		break;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		rc = id_san(c->cc_leaf, type, out, cap, len);
		break;
	default:
		return -ENOTSUP;
	}
	if (rc == 0 && type_out)
		*type_out = type;
	return rc;
}

static bool ci_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

/* The configured remote ID against the received IDi: same type and value
 * (DNs as X.509 names, host names and mail addresses ignoring case). */
static bool id_expected(const struct conf_id *e, const struct ike_id_pl *idi)
{
	const unsigned char *p = e->data;
	X509_NAME *nm;
	bool eq;

	if (e->type != idi->type)
		return false;
	if (e->type == IKE_ID_DER_ASN1_DN) {
		nm = d2i_X509_NAME(NULL, &p, (long)e->len);
		eq = nm && dn_equal(idi->data, idi->len, nm);
		X509_NAME_free(nm);
		return eq;
	}
	if (e->len != idi->len)
		return false;
	if (e->type == IKE_ID_FQDN || e->type == IKE_ID_RFC822_ADDR)
		return ci_equal(e->data, idi->data, e->len);
	return memcmp(e->data, idi->data, e->len) == 0;
}

bool cert_id_equal(const struct conf_id *want, const struct ike_id_pl *id)
{
	return want->any || id_expected(want, id);
}

static X509 *der_to_x509(const struct ike_cert_pl *pl)
{
	const unsigned char *p = pl->data;
	X509 *x;

	if (pl->encoding != IKE_CERT_X509_SIG || pl->len == 0 ||
	    pl->len > IKE_MSG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)pl->len);
	if (x && p != pl->data + pl->len) {	/* trailing bytes */
		X509_free(x);
		x = NULL;
	}
	return x;
}

/*
 * RFC 7296 3.6: the first CERT holds the key that signs AUTH; the rest may
 * help build the chain.  Intermediates in encodings we do not use (hash and
 * URL, CRLs) are ignored rather than fatal; a malformed X.509 one is not.
 */
static int parse_peer_certs(const struct ike_cert_pl *certs, size_t n,
			    X509 **leaf, STACK_OF(X509) **chain, char *err,
			    size_t errlen)
{
	X509 *x;

	if (n == 0)
		return fail(err, errlen, -EINVAL, "no CERT payload");
	*leaf = der_to_x509(&certs[0]);
	if (!*leaf)
		return fail(err, errlen, -EINVAL,
			    "first CERT (encoding %u) is no DER X.509 certificate",
			    certs[0].encoding);
	*chain = sk_X509_new_null();
	if (!*chain)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 1; i < n; i++) {
		if (certs[i].encoding != IKE_CERT_X509_SIG)
			continue;
		x = der_to_x509(&certs[i]);
		if (!x)
			return fail(err, errlen, -EINVAL,
				    "CERT %zu is no DER X.509 certificate", i + 1);
		if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			return fail(err, errlen, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int verify_chain(const struct cert_store *s, X509 *leaf,
			STACK_OF(X509) *chain, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	char subj[256];
	int rc = 0, e;

	if (!ctx || !X509_STORE_CTX_init(ctx, s->cs_store, leaf, chain)) {
		X509_STORE_CTX_free(ctx);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	if (X509_verify_cert(ctx) != 1) {
		e = X509_STORE_CTX_get_error(ctx);
		name_str(X509_get_subject_name(X509_STORE_CTX_get_current_cert(ctx)
					       ? X509_STORE_CTX_get_current_cert(ctx)
					       : leaf), subj, sizeof(subj));
		rc = fail(err, errlen, -EKEYREJECTED,
			  "certificate \"%s\" at depth %d: %s", subj,
			  X509_STORE_CTX_get_error_depth(ctx),
			  X509_verify_cert_error_string(e));
	}
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* RFC 4945 5.1.3.2: a keyUsage, if present, must allow signing. */
static int check_leaf_usage(X509 *leaf, char *err, size_t errlen)
{
	uint32_t ku = X509_get_key_usage(leaf);

	if (ku != UINT32_MAX &&
	    !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return fail(err, errlen, -EKEYREJECTED,
			    "keyUsage allows neither digitalSignature nor nonRepudiation");
	return 0;
}

static int check_peer_id(X509 *leaf, const struct conf_id *expected,
			 const struct ike_id_pl *idi, char *err, size_t errlen)
{
	char subj[256];

	if (!idi || !id_bound(leaf, idi->type, idi->data, idi->len)) {
		name_str(X509_get_subject_name(leaf), subj, sizeof(subj));
		return fail(err, errlen, -EPERM,
			    "ID (type %d) is not an identity of certificate \"%s\"",
			    idi ? idi->type : -1, subj);
	}
	if (expected && !expected->any && !id_expected(expected, idi))
		return fail(err, errlen, -EPERM,
			    "ID (type %u) is not the configured remote ID (type %u)",
			    idi->type, expected->type);
	return 0;
}

int cert_verify_peer(const struct cert_store *s,
		     const struct ike_cert_pl *certs, size_t n,
		     const struct conf_id *expected,
		     const struct ike_id_pl *idi, EVP_PKEY **peer_key,
		     char *err, size_t errlen)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	int rc;

	*peer_key = NULL;
	if (err && errlen)
		err[0] = '\0';
	rc = parse_peer_certs(certs, n, &leaf, &chain, err, errlen);
	/* the cheap checks first: the chain costs a signature per level */
	if (rc == 0)
		rc = check_peer_id(leaf, expected, idi, err, errlen);
	if (rc == 0)
		rc = check_leaf_usage(leaf, err, errlen);
	if (rc == 0)
		rc = verify_chain(s, leaf, chain, err, errlen);
	if (rc == 0 && !(*peer_key = X509_get_pubkey(leaf)))
		rc = fail(err, errlen, -EINVAL, "unusable public key");
	if (rc == 0 && err && errlen)
		name_str(X509_get_subject_name(leaf), err, errlen);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
