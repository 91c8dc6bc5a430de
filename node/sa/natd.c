/* NAT detection hashes (RFC 7296 2.23). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/evp.h>

#include "sa/exchange.h"

int ike_natd_hash(uint64_t ispi, uint64_t rspi,
		  const struct sockaddr_storage *addr, uint8_t out[NATD_LEN])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)addr;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;
	uint8_t buf[8 + 8 + 16 + 2];
	struct wr w = wr_init(buf, sizeof(buf));
	unsigned int len = NATD_LEN;

	/* SHA1(SPIi | SPIr | IP | Port), all in network order */
	wr_u64(&w, ispi);
	wr_u64(&w, rspi);
	if (addr->ss_family == AF_INET) {
		wr_bytes(&w, &s4->sin_addr, 4);
		wr_bytes(&w, &s4->sin_port, 2);
	} else if (addr->ss_family == AF_INET6) {
		wr_bytes(&w, &s6->sin6_addr, 16);
		wr_bytes(&w, &s6->sin6_port, 2);
	} else {
		return -EAFNOSUPPORT;
	}
	if (!EVP_Digest(buf, w.len, out, &len, EVP_sha1(), NULL))
		return -EIO;
	return 0;
}
