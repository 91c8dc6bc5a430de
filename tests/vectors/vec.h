/* Helpers shared by the known-answer tests in tests/vectors/. */
#ifndef HIKE_TESTS_VEC_H
#define HIKE_TESTS_VEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int vec_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (spaces ignored) into out; returns the byte count, or
 * (size_t)-1 on bad input or overflow. */
static inline size_t vec_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n')
			continue;
		v = vec_nibble(*hex);
		if (v < 0)
			return (size_t)-1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return (size_t)-1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : (size_t)-1;
}

/* Decode into a buffer that a test then owns (cmocka checks). */
#define VEC_HEX(buf, hex) vec_hex((hex), (buf), sizeof(buf))

#endif
