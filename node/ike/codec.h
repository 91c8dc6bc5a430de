/*
 * Internals shared by the codec's files (decode.c, decode_payloads.c,
 * encode.c, msg.c).  Not for use outside node/ike/.
 */
#ifndef HIKE_IKE_CODEC_H
#define HIKE_IKE_CODEC_H

#include "ike/msg.h"

/* RFC 7296 3.2: the critical bit of the generic payload header */
#define IKE_PL_CRITICAL		0x80
#define IKE_PL_HDR_LEN		4
#define IKE_SKF_HDR_LEN		8	/* RFC 7383 2.5 */

/* RFC 7296 2.10: nonces are 16..256 octets */
#define IKE_NONCE_MIN		16
#define IKE_NONCE_MAX		256

/* Payload types whose bodies this codec parses (SK/SKF excluded). */
bool ike_pl_known(uint8_t type);

/* Claim the storage slot for one more payload of type and append it to
 * msg->order and the counts.  0, IKE_ERR_TOO_MANY (bounds, or a second
 * instance of a payload the message holds once) or IKE_ERR_INVALID. */
int ike_msg_push(struct ike_msg *msg, uint8_t type, bool critical,
		 bool encrypted, uint8_t *index);

/* Parse one payload body into its slot (decode_payloads.c). */
int ike_pl_decode(struct ike_msg *msg, uint8_t type, uint8_t index,
		  struct rd *body);

/* Write one payload body (encode_payloads.c). */
int ike_pl_encode(const struct ike_msg *msg, const struct ike_pl_ref *ref,
		  struct wr *w);

#endif
