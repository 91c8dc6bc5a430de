/*
 * Configuration scalars: numbers, durations, sizes, addresses, traffic
 * selectors, pools, identities.  Every parser is bounded by the string it
 * is given and writes its output only on success.
 */
#include "conf/conf_value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "hike/ikev2.h"

#define CONF_TOKEN_MAX 128

static int fail(const char **why, const char *msg)
{
	*why = msg;
	return -EINVAL;
}

/* Leading digits of *s into *v; advances *s.  -EINVAL without digits or
 * on overflow. */
static int take_uint(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*s = p;
	*v = x;
	return 0;
}

int conf_parse_u64(const char *s, uint64_t *out, const char **why)
{
	uint64_t v;

	if (take_uint(&s, &v) < 0 || *s)
		return fail(why, "not a number");
	*out = v;
	return 0;
}

static const struct { const char *unit; uint64_t ms; } conf_time_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
};

static uint64_t time_unit(const char **s)
{
	/* longest first matters only for "ms" vs "m": check "ms" first */
	for (size_t i = 0; i < sizeof(conf_time_units) / sizeof(conf_time_units[0]); i++) {
		size_t n = strlen(conf_time_units[i].unit);

		if (strncmp(*s, conf_time_units[i].unit, n) == 0) {
			*s += n;
			return conf_time_units[i].ms;
		}
	}
	return 0;
}

int conf_parse_duration(const char *s, uint64_t bare_unit_ms, uint64_t *ms,
			const char **why)
{
	uint64_t total = 0, v, unit;
	const char *p = s;

	if (take_uint(&p, &v) < 0)
		return fail(why, "not a duration, e.g. 30s, 90m, 4h, 3h30m");
	if (!*p) {
		if (v > UINT64_MAX / bare_unit_ms)
			return fail(why, "duration too large");
		*ms = v * bare_unit_ms;
		return 0;
	}
	for (;;) {
		unit = time_unit(&p);
		if (!unit)
			return fail(why, "unknown time unit (use ms, s, m, h, d)");
		if (v > (UINT64_MAX - total) / unit)
			return fail(why, "duration too large");
		total += v * unit;
		if (!*p)
			break;
		if (take_uint(&p, &v) < 0)
			return fail(why, "not a duration, e.g. 30s, 90m, 4h, 3h30m");
	}
	*ms = total;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *out, const char **why)
{
	static const char units[] = "kmgt";
	const char *p = s, *u;
	uint64_t v;
	unsigned shift;

	if (take_uint(&p, &v) < 0)
		return fail(why, "not a size, e.g. 1G, 512M, 64k");
	if (!*p) {
		*out = v;
		return 0;
	}
	u = strchr(units, tolower((unsigned char)*p));
	if (!u || !*u || (p[1] && strcasecmp(p + 1, "b") && strcasecmp(p + 1, "ib")))
		return fail(why, "unknown size unit (use k, M, G, T)");
	shift = 10u * (unsigned)(u - units + 1);
	if (v > (UINT64_MAX >> shift))
		return fail(why, "size too large");
	*out = v << shift;
	return 0;
}

int conf_parse_bool(const char *s, bool *out, const char **why)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(why, "not a boolean (true/false)");
}

/* An address literal of either family into 16 bytes (IPv4 in the first 4). */
static int parse_addr(const char *s, int *family, uint8_t addr[16])
{
	uint8_t buf[16] = { 0 };

	if (inet_pton(AF_INET, s, buf) == 1) {
		*family = AF_INET;
	} else if (inet_pton(AF_INET6, s, buf) == 1) {
		*family = AF_INET6;
	} else {
		return -EINVAL;
	}
	memcpy(addr, buf, 16);
	return 0;
}

static unsigned addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Copy at most cap-1 chars of [s, s+n) into buf; -EINVAL if too long. */
static int copy_token(char *buf, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* Set (fill=true) or clear the host bits below plen. */
static void apply_mask(uint8_t a[16], unsigned plen, unsigned bits, bool fill)
{
	for (unsigned i = plen; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));

		if (fill)
			a[i / 8] |= m;
		else
			a[i / 8] &= (uint8_t)~m;
	}
}

static bool host_bits_set(const uint8_t a[16], unsigned plen, unsigned bits)
{
	uint8_t net[16];

	memcpy(net, a, 16);
	apply_mask(net, plen, bits, false);
	return memcmp(net, a, 16) != 0;
}

/* "addr" or "addr/plen"; host bits must be clear unless ifaddr. */
static int parse_prefix_kind(const char *s, bool ifaddr, int *family, uint8_t addr[16],
			     uint8_t *plen, const char **why)
{
	char tok[CONF_TOKEN_MAX];
	const char *slash = strchr(s, '/');
	uint64_t pl;

	if (copy_token(tok, sizeof(tok), s, slash ? (size_t)(slash - s) : strlen(s)) < 0 ||
	    parse_addr(tok, family, addr) < 0)
		return fail(why, "not an IPv4 or IPv6 address");
	*plen = (uint8_t)addr_bits(*family);
	if (!slash)
		return 0;
	if (conf_parse_u64(slash + 1, &pl, why) < 0 || pl > addr_bits(*family))
		return fail(why, "bad prefix length");
	if (!ifaddr && host_bits_set(addr, (unsigned)pl, addr_bits(*family)))
		return fail(why, "host bits set below the prefix length");
	*plen = (uint8_t)pl;
	return 0;
}

static int parse_prefix(const char *s, int *family, uint8_t addr[16], uint8_t *plen,
			const char **why)
{
	return parse_prefix_kind(s, false, family, addr, plen, why);
}

int conf_parse_net(const char *s, enum conf_net_kind kind, struct conf_net *out,
		   const char **why)
{
	struct conf_net n = { 0 };

	if (strcmp(s, "%any") == 0) {
		n.any = true;
		*out = n;
		return 0;
	}
	if (kind == CONF_NET_ADDR && strchr(s, '/'))
		return fail(why, "a single address is expected here, not a prefix");
	if (parse_prefix_kind(s, kind == CONF_NET_IFADDR, &n.family, n.addr, &n.plen, why) < 0)
		return -EINVAL;
	*out = n;
	return 0;
}

/* "a-b" into an inclusive range of one family, start <= end. */
static int parse_range(const char *s, const char *dash, int *family,
		       uint8_t start[16], uint8_t end[16], const char **why)
{
	char tok[CONF_TOKEN_MAX];
	int f2;

	if (copy_token(tok, sizeof(tok), s, (size_t)(dash - s)) < 0 ||
	    parse_addr(tok, family, start) < 0 || parse_addr(dash + 1, &f2, end) < 0)
		return fail(why, "not an address range a-b");
	if (f2 != *family)
		return fail(why, "range mixes IPv4 and IPv6");
	if (memcmp(start, end, 16) > 0)
		return fail(why, "range start is above its end");
	return 0;
}

/* A prefix, a range or an address as an inclusive range. */
static int parse_span(const char *s, int *family, uint8_t start[16], uint8_t end[16],
		      uint8_t *plen, const char **why)
{
	const char *dash = strchr(s, '-');

	/* IPv6 literals contain no '-', so a dash always means a range */
	if (dash) {
		*plen = 0;
		return parse_range(s, dash, family, start, end, why);
	}
	if (parse_prefix(s, family, start, plen, why) < 0)
		return -EINVAL;
	memcpy(end, start, 16);
	apply_mask(end, *plen, addr_bits(*family), true);
	return 0;
}

static const struct { const char *name; uint8_t proto; } conf_protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
	{ "icmp6", IPPROTO_ICMPV6 }, { "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "gre", IPPROTO_GRE },
};

static int parse_proto(const char *s, uint8_t *proto, const char **why)
{
	uint64_t v;

	if (strcmp(s, "%any") == 0 || strcmp(s, "any") == 0 || !*s) {
		*proto = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(conf_protos) / sizeof(conf_protos[0]); i++) {
		if (strcasecmp(s, conf_protos[i].name) == 0) {
			*proto = conf_protos[i].proto;
			return 0;
		}
	}
	if (conf_parse_u64(s, &v, why) < 0 || v > 255)
		return fail(why, "unknown protocol (tcp, udp, icmp, icmp6, sctp, gre or 0-255)");
	*proto = (uint8_t)v;
	return 0;
}

/* "port", "lo-hi" or "%any".  RFC 7296 3.13.1: for ICMP the "port" is the
 * type in the high octet and the code in the low one, so "icmp/8" means
 * type 8 with any code. */
static int parse_ports(const char *s, uint8_t proto, struct conf_ts *ts, const char **why)
{
	const char *p = s;
	uint64_t lo, hi;

	if (strcmp(s, "%any") == 0)
		return 0;
	if (take_uint(&p, &lo) < 0)
		return fail(why, "bad port");
	hi = lo;
	if (*p == '-') {
		p++;
		if (take_uint(&p, &hi) < 0)
			return fail(why, "bad port range");
	}
	if (*p || lo > 65535 || hi > 65535 || lo > hi)
		return fail(why, "bad port or port range");
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (hi > 255)
			return fail(why, "ICMP type must be 0-255");
		ts->port_lo = (uint16_t)(lo << 8);
		ts->port_hi = (uint16_t)((hi << 8) | 0xff);
		return 0;
	}
	ts->port_lo = (uint16_t)lo;
	ts->port_hi = (uint16_t)hi;
	return 0;
}

/* The "[proto/port]" suffix of a traffic selector. */
static int parse_ts_suffix(const char *s, struct conf_ts *ts, const char **why)
{
	char tok[CONF_TOKEN_MAX];
	const char *close = strchr(s, ']'), *slash;

	if (!close || close[1] || copy_token(tok, sizeof(tok), s, (size_t)(close - s)) < 0)
		return fail(why, "bad [proto/port] suffix");
	slash = strchr(tok, '/');
	if (slash)
		tok[slash - tok] = '\0';
	if (parse_proto(tok, &ts->ipproto, why) < 0)
		return -EINVAL;
	if (slash && parse_ports(tok + (slash - tok) + 1, ts->ipproto, ts, why) < 0)
		return -EINVAL;
	if (ts->ipproto == 0 && (ts->port_lo != 0 || ts->port_hi != 65535))
		return fail(why, "ports need a protocol, e.g. [tcp/80]");
	return 0;
}

int conf_parse_ts(const char *s, struct conf_ts *out, const char **why)
{
	char tok[CONF_TOKEN_MAX];
	struct conf_ts ts = { .port_hi = 65535 };
	const char *br = strchr(s, '[');
	uint8_t plen;

	if (copy_token(tok, sizeof(tok), s, br ? (size_t)(br - s) : strlen(s)) < 0)
		return fail(why, "traffic selector too long");
	if (parse_span(tok, &ts.family, ts.start, ts.end, &plen, why) < 0)
		return -EINVAL;
	if (br && parse_ts_suffix(br + 1, &ts, why) < 0)
		return -EINVAL;
	*out = ts;
	return 0;
}

int conf_parse_pool(const char *s, struct conf_pool *out, const char **why)
{
	struct conf_pool p = { 0 };
	uint8_t plen;

	if (parse_span(s, &p.family, p.start, p.end, &plen, why) < 0)
		return -EINVAL;
	/* a prefix pool leaves out the IPv4 network and broadcast addresses */
	if (!strchr(s, '-') && p.family == AF_INET && plen <= 30) {
		p.start[3]++;
		p.end[3]--;
	}
	*out = p;
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "0x0102..." into bytes; -EINVAL on odd length, bad digits or overflow. */
static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n == 0 || n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* One RDN "CN=value" of a DN string; the value may escape ',' as "\,". */
static int dn_add_rdn(X509_NAME *name, const char **sp)
{
	char attr[32], val[CONF_MAX_ID];
	const char *s = *sp, *eq;
	size_t n = 0;

	while (*s == ' ')
		s++;
	eq = strchr(s, '=');
	if (!eq || copy_token(attr, sizeof(attr), s, (size_t)(eq - s)) < 0)
		return -EINVAL;
	for (s = eq + 1; *s && *s != ','; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (n + 1 >= sizeof(val))
			return -EINVAL;
		val[n++] = *s;
	}
	val[n] = '\0';
	if (n == 0 || !X509_NAME_add_entry_by_txt(name, attr, MBSTRING_UTF8,
						  (const unsigned char *)val, -1, -1, 0))
		return -EINVAL;
	*sp = *s == ',' ? s + 1 : s;
	return 0;
}

/* "C=CH, O=Example, CN=gw1" into DER, RDNs in the order written: the
 * certificate's own sequence, as `openssl x509 -subject` prints it. */
static int parse_dn(const char *s, struct conf_id *id)
{
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int len, rc = -EINVAL;

	if (!name)
		return -ENOMEM;
	while (*s) {
		if (dn_add_rdn(name, &s) < 0)
			goto out;
	}
	len = i2d_X509_NAME(name, &der);
	if (len <= 0 || (size_t)len > sizeof(id->data))
		goto out;
	memcpy(id->data, der, (size_t)len);
	id->len = (size_t)len;
	id->type = IKE_ID_DER_ASN1_DN;
	rc = 0;
out:
	OPENSSL_free(der);
	X509_NAME_free(name);
	return rc;
}

static bool is_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	}
	return true;
}

static int id_text(struct conf_id *id, uint8_t type, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > sizeof(id->data))
		return -EINVAL;
	memcpy(id->data, s, n);
	id->len = n;
	id->type = type;
	return 0;
}

static int parse_id_typed(const char *s, struct conf_id *id, const char **why)
{
	if (strncmp(s, "dn:", 3) == 0)
		return parse_dn(s + 3, id) < 0 ? fail(why, "bad distinguished name, e.g. dn:C=CH, O=Example, CN=gw1") : 0;
	if (strncmp(s, "keyid:", 6) == 0) {
		const char *h = s + 6;

		if (strncmp(h, "0x", 2) == 0)
			h += 2;
		if (parse_hex(h, id->data, sizeof(id->data), &id->len) < 0)
			return fail(why, "bad key id, e.g. keyid:0x0a0b0c");
		id->type = IKE_ID_KEY_ID;
		return 0;
	}
	if (strncmp(s, "fqdn:", 5) == 0)
		return id_text(id, IKE_ID_FQDN, s + 5) < 0 ? fail(why, "empty or too long FQDN") : 0;
	if (strncmp(s, "email:", 6) == 0)
		return id_text(id, IKE_ID_RFC822_ADDR, s + 6) < 0 ? fail(why, "empty or too long email") : 0;
	return 1;	/* no type prefix */
}

int conf_parse_id(const char *s, struct conf_id *out, const char **why)
{
	struct conf_id id = { 0 };
	uint8_t addr[16];
	int family, rc;

	if (strcmp(s, "%any") == 0) {
		id.any = true;
		*out = id;
		return 0;
	}
	rc = parse_id_typed(s, &id, why);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		*out = id;
		return 0;
	}
	if (parse_addr(s, &family, addr) == 0) {
		id.type = family == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		id.len = family == AF_INET ? 4 : 16;
		memcpy(id.data, addr, id.len);
	} else if (strchr(s, '@')) {
		if (id_text(&id, IKE_ID_RFC822_ADDR, s) < 0)
			return fail(why, "identity too long");
	} else if (is_hostname(s)) {
		id_text(&id, IKE_ID_FQDN, s);
	} else {
		return fail(why, "not an identity (address, fqdn:, user@host, dn:, keyid: or %any)");
	}
	*out = id;
	return 0;
}

int conf_parse_psk(const char *s, char *out, size_t cap, size_t *len, const char **why)
{
	uint8_t buf[256];
	size_t n;

	if (strncmp(s, "0x", 2) == 0) {
		if (cap > sizeof(buf) || parse_hex(s + 2, buf, cap, &n) < 0)
			return fail(why, "bad hex PSK");
		memcpy(out, buf, n);
		OPENSSL_cleanse(buf, sizeof(buf));
	} else {
		n = strlen(s);
		if (n == 0 || n > cap)
			return fail(why, "empty or too long PSK");
		memcpy(out, s, n);
	}
	*len = n;
	return 0;
}

unsigned conf_edit_distance(const char *a, const char *b)
{
	unsigned row[CONF_TOKEN_MAX + 1];
	size_t na = strlen(a), nb = strlen(b);

	if (na > CONF_TOKEN_MAX || nb > CONF_TOKEN_MAX)
		return UINT32_MAX;
	for (size_t j = 0; j <= nb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= nb; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[nb];
}
