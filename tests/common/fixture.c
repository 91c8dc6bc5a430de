/* Loading tests/fixtures/ (see fixture.h). */
#include "fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fx_root(void)
{
	const char *e = getenv("HIKE_FIXTURES");

	return e && *e ? e : "tests/fixtures";
}

uint8_t *fx_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir accepted by keep(), sorted. */
static int list_dir(const char *dir, char **names, int max,
		    int (*keep)(const char *dir, const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.' || !keep(dir, e->d_name))
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	return n;
}

static int has_keys(const char *dir, const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/keys.txt", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	fclose(f);
	return 1;
}

static int is_msg(const char *dir, const char *name)
{
	size_t n = strlen(name);

	(void)dir;
	return n > 7 && name[0] >= '0' && name[0] <= '9' &&
	       name[1] >= '0' && name[1] <= '9' && name[2] == '-' &&
	       strcmp(name + n - 4, ".bin") == 0;
}

int fx_list_fixtures(char **names, int max)
{
	return list_dir(fx_root(), names, max, has_keys);
}

int fx_list_messages(const char *dir, char **names, int max)
{
	return list_dir(dir, names, max, is_msg);
}

void fx_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex into out; byte count or -1. */
static long unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1]) {
		int hi = nibble(s[0]), lo = nibble(s[1]);

		if (hi < 0 || lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s ? -1 : (long)n;
}

static int set_hex(const char *v, uint8_t *out, size_t cap, size_t *len)
{
	long n = unhex(v, out, cap);

	if (n < 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int set_spi(const char *v, uint64_t *spi)
{
	uint8_t b[8];
	long n = unhex(v, b, sizeof(b));

	if (n != 8)
		return -1;
	*spi = 0;
	for (int i = 0; i < 8; i++)
		*spi = *spi << 8 | b[i];
	return 0;
}

/* One "name = value" line into k; 0 or -1. */
static int keys_line(struct fx_keys *k, const char *name, const char *v)
{
	struct fx_sa *sa = k->nsa ? &k->sa[k->nsa - 1] : NULL;
	static const struct {
		const char *name;
		size_t off, len_off, cap;
	} hex[] = {
#define H(f, l) { #f, offsetof(struct fx_sa, f), offsetof(struct fx_sa, l), \
		  sizeof(((struct fx_sa *)0)->f) }
		H(sk_d, d_len), H(sk_ai, ai_len), H(sk_ar, ar_len),
		H(sk_ei, ei_len), H(sk_er, er_len), H(sk_pi, pi_len),
		H(sk_pr, pr_len), H(skeyseed, skeyseed_len),
		H(dh_secret, dh_len),
#undef H
	};

	if (!strcmp(name, "suite")) {
		size_t n = strnlen(v, sizeof(k->suite) - 1);

		memcpy(k->suite, v, n);	/* a long suite name is cut short */
		k->suite[n] = '\0';
		return 0;
	}
	if (!strcmp(name, "encr")) { k->encr = (uint16_t)atoi(v); return 0; }
	if (!strcmp(name, "encr_keylen")) { k->encr_keylen = (uint16_t)atoi(v); return 0; }
	if (!strcmp(name, "integ")) { k->integ = (uint16_t)atoi(v); return 0; }
	if (!strcmp(name, "prf")) { k->prf = (uint16_t)atoi(v); return 0; }
	if (!strcmp(name, "dh")) { k->dh = (uint16_t)atoi(v); return 0; }
	if (!strcmp(name, "ispi")) {
		if (k->nsa == FX_MAX_SA)
			return -1;
		sa = &k->sa[k->nsa++];
		return set_spi(v, &sa->ispi);
	}
	if (!sa)
		return -1;
	if (!strcmp(name, "rspi"))
		return set_spi(v, &sa->rspi);
	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++)
		if (!strcmp(name, hex[i].name))
			return set_hex(v, (uint8_t *)sa + hex[i].off, hex[i].cap,
				       (size_t *)((uint8_t *)sa + hex[i].len_off));
	return 0;	/* unknown names are for humans */
}

int fx_load_keys(const char *dir, struct fx_keys *k)
{
	char path[1024], line[4096], name[64], val[4000];
	FILE *f;
	int rc = 0, lno = 0;

	memset(k, 0, sizeof(*k));
	snprintf(path, sizeof(path), "%s/keys.txt", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fixture: cannot open %s\n", path);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		val[0] = 0;
		if (sscanf(line, "%63s = %3999s", name, val) < 1)
			continue;
		if (keys_line(k, name, val) < 0) {
			fprintf(stderr, "fixture: %s:%d: bad line\n", path, lno);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

const struct fx_sa *fx_find_sa(const struct fx_keys *k, uint64_t ispi,
			       uint64_t rspi)
{
	for (int i = 0; i < k->nsa; i++)
		if (k->sa[i].ispi == ispi && k->sa[i].rspi == rspi && rspi)
			return &k->sa[i];
	return NULL;
}
