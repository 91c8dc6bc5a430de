/*
 * Bounded cursors for every wire format hike reads or writes.
 *
 * A reader is a span that shrinks as it is read: there is no offset to get
 * wrong, and rd_sub() hands a payload a reader that cannot see past its own
 * length.  Every read returns false (and consumes nothing) when the span is
 * too short.
 *
 * A writer has a sticky overflow flag: once a write does not fit, every
 * later write is refused and wr_ok() says false, so encoders check once at
 * the end.
 */
#ifndef HIKE_CURSOR_H
#define HIKE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t n;
};

static inline struct rd rd_init(const void *p, size_t n)
{
	struct rd r = { (const uint8_t *)p, n };
	return r;
}

static inline size_t rd_left(const struct rd *r) { return r->n; }

static inline bool rd_skip(struct rd *r, size_t len)
{
	if (r->n < len)
		return false;
	r->p += len;
	r->n -= len;
	return true;
}

static inline bool rd_u8(struct rd *r, uint8_t *v)
{
	if (r->n < 1)
		return false;
	*v = r->p[0];
	return rd_skip(r, 1);
}

static inline bool rd_u16(struct rd *r, uint16_t *v)
{
	if (r->n < 2)
		return false;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	return rd_skip(r, 2);
}

static inline bool rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	return rd_skip(r, 4);
}

static inline bool rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	struct rd t = *r;

	if (!rd_u32(&t, &hi) || !rd_u32(&t, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	*r = t;
	return true;
}

/* Copy len bytes out. */
static inline bool rd_bytes(struct rd *r, void *dst, size_t len)
{
	if (r->n < len)
		return false;
	if (len)
		memcpy(dst, r->p, len);
	return rd_skip(r, len);
}

/* Borrow len bytes in place (valid as long as the underlying buffer). */
static inline bool rd_ptr(struct rd *r, const uint8_t **p, size_t len)
{
	if (r->n < len)
		return false;
	*p = r->p;
	return rd_skip(r, len);
}

/* Split off the next len bytes as a reader of their own. */
static inline bool rd_sub(struct rd *r, struct rd *sub, size_t len)
{
	if (r->n < len)
		return false;
	*sub = rd_init(r->p, len);
	return rd_skip(r, len);
}

struct wr {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool overflow;
};

static inline struct wr wr_init(void *p, size_t cap)
{
	struct wr w = { (uint8_t *)p, cap, 0, false };
	return w;
}

static inline bool wr_ok(const struct wr *w) { return !w->overflow; }

/* Reserve len bytes; returns their offset, or SIZE_MAX on overflow. */
static inline size_t wr_reserve(struct wr *w, size_t len)
{
	size_t off = w->len;

	if (w->overflow || w->cap - w->len < len) {
		w->overflow = true;
		return SIZE_MAX;
	}
	w->len += len;
	return off;
}

static inline bool wr_bytes(struct wr *w, const void *src, size_t len)
{
	size_t off = wr_reserve(w, len);

	if (off == SIZE_MAX)
		return false;
	if (len)
		memcpy(w->p + off, src, len);
	return true;
}

static inline bool wr_u8(struct wr *w, uint8_t v) { return wr_bytes(w, &v, 1); }

static inline bool wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return wr_bytes(w, b, 2);
}

static inline bool wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };
	return wr_bytes(w, b, 4);
}

static inline bool wr_u64(struct wr *w, uint64_t v)
{
	return wr_u32(w, (uint32_t)(v >> 32)) && wr_u32(w, (uint32_t)v);
}

/* Back-patch a 16-bit value at an offset returned by wr_reserve(). */
static inline void wr_patch_u16(struct wr *w, size_t off, uint16_t v)
{
	if (w->overflow || off > w->len || w->len - off < 2)
		return;
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
}

static inline void wr_patch_u8(struct wr *w, size_t off, uint8_t v)
{
	if (w->overflow || off > w->len || w->len - off < 1)
		return;
	w->p[off] = v;
}

static inline void wr_patch_u32(struct wr *w, size_t off, uint32_t v)
{
	if (w->overflow || off > w->len || w->len - off < 4)
		return;
	w->p[off] = (uint8_t)(v >> 24);
	w->p[off + 1] = (uint8_t)(v >> 16);
	w->p[off + 2] = (uint8_t)(v >> 8);
	w->p[off + 3] = (uint8_t)v;
}

#endif
