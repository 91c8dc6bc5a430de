/* A configured proposal as an SA payload proposal (what we offer when
 * we initiate: CREATE_CHILD_SA rekeys, and the test initiator). */
#include <string.h>

#include "crypto/proposal.h"
#include "sa/exchange.h"

int prop_conf_to_wire(const struct prop_conf *p, uint8_t num,
		      const uint8_t *spi, uint8_t spi_len,
		      struct ike_proposal *out)
{
	int type;
	uint8_t i;

	memset(out, 0, sizeof(*out));
	out->num = num;
	out->proto = p->proto;
	if (spi_len > IKE_MAX_SPI)
		return -1;
	out->spi_len = spi_len;
	if (spi_len)
		memcpy(out->spi, spi, spi_len);
	for (type = IKE_TRANSFORM_ENCR; type <= IKE_TRANSFORM_ESN; type++)
		for (i = 0; i < p->n[type]; i++) {
			if (out->ntr >= IKE_MAX_TRANSFORMS)
				return -1;
			out->tr[out->ntr].type = (uint8_t)type;
			out->tr[out->ntr].id = p->alg[type][i].id;
			out->tr[out->ntr].keylen = type == IKE_TRANSFORM_ENCR ?
						   p->alg[type][i].keylen : 0;
			out->ntr++;
		}
	return 0;
}

uint16_t prop_conf_dh(const struct prop_conf *p)
{
	return p->n[IKE_TRANSFORM_DH] ? p->alg[IKE_TRANSFORM_DH][0].id
				      : IKE_DH_NONE;
}
