/*
 * Loading the strongSwan wire fixtures of tests/fixtures/ (see its
 * README.md): message files and keys.txt.  libc only: tests/common is
 * linked into every test binary.
 */
#ifndef HIKE_TESTS_FIXTURE_H
#define HIKE_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#define FX_MAX_SA	4	/* IKE SAs per fixture (rekeys add some) */
#define FX_MAX_MSG	64	/* messages per fixture */
#define FX_KEY_MAX	64
#define FX_DH_MAX	1024	/* g^ir up to MODP-8192 */

/* The fixtures directory: $HIKE_FIXTURES, else tests/fixtures (tests run
 * from the top of the tree). */
const char *fx_root(void);

/* Whole file into a malloc()ed buffer (free() it); NULL on error. */
uint8_t *fx_read(const char *path, size_t *len);

/* The subdirectories of fx_root() holding a keys.txt, sorted; returns how
 * many (at most max), names malloc()ed (fx_free_names). */
int fx_list_fixtures(char **names, int max);

/* The NN-*.bin messages of one fixture directory, sorted (wire order). */
int fx_list_messages(const char *dir, char **names, int max);
void fx_free_names(char **names, int n);

/* One IKE SA's keys as charon logged them; lengths 0 when absent. */
struct fx_sa {
	uint64_t ispi, rspi;
	uint8_t sk_d[FX_KEY_MAX], sk_ai[FX_KEY_MAX], sk_ar[FX_KEY_MAX];
	uint8_t sk_ei[FX_KEY_MAX], sk_er[FX_KEY_MAX];
	uint8_t sk_pi[FX_KEY_MAX], sk_pr[FX_KEY_MAX];
	uint8_t skeyseed[FX_KEY_MAX];
	uint8_t dh_secret[FX_DH_MAX];
	size_t d_len, ai_len, ar_len, ei_len, er_len, pi_len, pr_len;
	size_t skeyseed_len, dh_len;
};

struct fx_keys {
	char suite[96];
	uint16_t encr, encr_keylen, integ, prf, dh;	/* IKEv2 transform ids */
	int nsa;
	struct fx_sa sa[FX_MAX_SA];
};

/* Parse DIR/keys.txt.  0, or -1 (bad file: a message on stderr). */
int fx_load_keys(const char *dir, struct fx_keys *k);

/* The SA whose SPIs match (rspi 0 never matches), or NULL. */
const struct fx_sa *fx_find_sa(const struct fx_keys *k, uint64_t ispi,
			       uint64_t rspi);

#endif
