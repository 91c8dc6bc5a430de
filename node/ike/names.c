/*
 * Enum-to-string tables for every IKEv2 number that reaches a log
 * (STYLE.md habit 5).  Unknown values give a fixed per-family string,
 * never NULL: a formatted "UNKNOWN_<n>" would need a mutable buffer.
 */
#include <stddef.h>

#include "hike/ikev2.h"
#include "ike/msg.h"

struct ike_name {
	unsigned v;
	const char *s;
};

#define N(x, name) { x, name }
#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

static const char *ike_name_find(const struct ike_name *t, size_t n,
				 unsigned v, const char *unknown)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return unknown;
}

static const struct ike_name ike_exchange_names[] = {
	N(IKE_SA_INIT, "IKE_SA_INIT"),
	N(IKE_AUTH, "IKE_AUTH"),
	N(IKE_CREATE_CHILD_SA, "CREATE_CHILD_SA"),
	N(IKE_INFORMATIONAL, "INFORMATIONAL"),
	N(IKE_SESSION_RESUME, "IKE_SESSION_RESUME"),
	N(IKE_INTERMEDIATE, "IKE_INTERMEDIATE"),
};

const char *ike_exchange_name(unsigned v)
{
	return ike_name_find(ike_exchange_names, COUNT(ike_exchange_names), v,
			     "EXCHANGE_UNKNOWN");
}

static const struct ike_name ike_payload_names[] = {
	N(IKE_PL_NONE, "NONE"), N(IKE_PL_SA, "SA"), N(IKE_PL_KE, "KE"),
	N(IKE_PL_IDI, "IDi"), N(IKE_PL_IDR, "IDr"), N(IKE_PL_CERT, "CERT"),
	N(IKE_PL_CERTREQ, "CERTREQ"), N(IKE_PL_AUTH, "AUTH"),
	N(IKE_PL_NONCE, "Nonce"), N(IKE_PL_NOTIFY, "N"),
	N(IKE_PL_DELETE, "D"), N(IKE_PL_VENDOR, "V"), N(IKE_PL_TSI, "TSi"),
	N(IKE_PL_TSR, "TSr"), N(IKE_PL_SK, "SK"), N(IKE_PL_CP, "CP"),
	N(IKE_PL_EAP, "EAP"), N(IKE_PL_GSPM, "GSPM"), N(IKE_PL_SKF, "SKF"),
};

const char *ike_payload_name(unsigned v)
{
	return ike_name_find(ike_payload_names, COUNT(ike_payload_names), v,
			     "PAYLOAD_UNKNOWN");
}

static const struct ike_name ike_notify_names[] = {
	N(IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD"),
	N(IKE_N_INVALID_IKE_SPI, "INVALID_IKE_SPI"),
	N(IKE_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION"),
	N(IKE_N_INVALID_SYNTAX, "INVALID_SYNTAX"),
	N(IKE_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID"),
	N(IKE_N_INVALID_SPI, "INVALID_SPI"),
	N(IKE_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN"),
	N(IKE_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD"),
	N(IKE_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED"),
	N(IKE_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED"),
	N(IKE_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS"),
	N(IKE_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE"),
	N(IKE_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED"),
	N(IKE_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE"),
	N(IKE_N_INVALID_SELECTORS, "INVALID_SELECTORS"),
	N(IKE_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE"),
	N(IKE_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND"),
	N(IKE_N_INITIAL_CONTACT, "INITIAL_CONTACT"),
	N(IKE_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE"),
	N(IKE_N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE"),
	N(IKE_N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED"),
	N(IKE_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP"),
	N(IKE_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP"),
	N(IKE_N_COOKIE, "COOKIE"),
	N(IKE_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE"),
	N(IKE_N_HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOKUP_SUPPORTED"),
	N(IKE_N_REKEY_SA, "REKEY_SA"),
	N(IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED"),
	N(IKE_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO"),
	N(IKE_N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED"),
	N(IKE_N_ADDITIONAL_IP4_ADDRESS, "ADDITIONAL_IP4_ADDRESS"),
	N(IKE_N_ADDITIONAL_IP6_ADDRESS, "ADDITIONAL_IP6_ADDRESS"),
	N(IKE_N_NO_ADDITIONAL_ADDRESSES, "NO_ADDITIONAL_ADDRESSES"),
	N(IKE_N_UPDATE_SA_ADDRESSES, "UPDATE_SA_ADDRESSES"),
	N(IKE_N_COOKIE2, "COOKIE2"),
	N(IKE_N_NO_NATS_ALLOWED, "NO_NATS_ALLOWED"),
	N(IKE_N_AUTH_LIFETIME, "AUTH_LIFETIME"),
	N(IKE_N_MULTIPLE_AUTH_SUPPORTED, "MULTIPLE_AUTH_SUPPORTED"),
	N(IKE_N_ANOTHER_AUTH_FOLLOWS, "ANOTHER_AUTH_FOLLOWS"),
	N(IKE_N_REDIRECT_SUPPORTED, "REDIRECT_SUPPORTED"),
	N(IKE_N_REDIRECT, "REDIRECT"),
	N(IKE_N_REDIRECTED_FROM, "REDIRECTED_FROM"),
	N(IKE_N_TICKET_LT_OPAQUE, "TICKET_LT_OPAQUE"),
	N(IKE_N_TICKET_REQUEST, "TICKET_REQUEST"),
	N(IKE_N_TICKET_ACK, "TICKET_ACK"),
	N(IKE_N_TICKET_NACK, "TICKET_NACK"),
	N(IKE_N_TICKET_OPAQUE, "TICKET_OPAQUE"),
	N(IKE_N_LINK_ID, "LINK_ID"),
	N(IKE_N_USE_WESP_MODE, "USE_WESP_MODE"),
	N(IKE_N_ROHC_SUPPORTED, "ROHC_SUPPORTED"),
	N(IKE_N_EAP_ONLY_AUTHENTICATION, "EAP_ONLY_AUTHENTICATION"),
	N(IKE_N_CHILDLESS_IKEV2_SUPPORTED, "CHILDLESS_IKEV2_SUPPORTED"),
	N(IKE_N_QUICK_CRASH_DETECTION, "QUICK_CRASH_DETECTION"),
	N(IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED,
	  "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"),
	N(IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED,
	  "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED"),
	N(IKE_N_IKEV2_MESSAGE_ID_SYNC, "IKEV2_MESSAGE_ID_SYNC"),
	N(IKE_N_IPSEC_REPLAY_COUNTER_SYNC, "IPSEC_REPLAY_COUNTER_SYNC"),
	N(IKE_N_SECURE_PASSWORD_METHODS, "SECURE_PASSWORD_METHODS"),
	N(IKE_N_PSK_PERSIST, "PSK_PERSIST"),
	N(IKE_N_PSK_CONFIRM, "PSK_CONFIRM"),
	N(IKE_N_ERX_SUPPORTED, "ERX_SUPPORTED"),
	N(IKE_N_IFOM_CAPABILITY, "IFOM_CAPABILITY"),
	N(IKE_N_SENDER_REQUEST_ID, "SENDER_REQUEST_ID"),
	N(IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
	  "IKEV2_FRAGMENTATION_SUPPORTED"),
	N(IKE_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS"),
	N(IKE_N_CLONE_IKE_SA_SUPPORTED, "CLONE_IKE_SA_SUPPORTED"),
	N(IKE_N_CLONE_IKE_SA, "CLONE_IKE_SA"),
	N(IKE_N_PUZZLE, "PUZZLE"),
	N(IKE_N_USE_PPK, "USE_PPK"),
	N(IKE_N_PPK_IDENTITY, "PPK_IDENTITY"),
	N(IKE_N_NO_PPK_AUTH, "NO_PPK_AUTH"),
	N(IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED,
	  "INTERMEDIATE_EXCHANGE_SUPPORTED"),
};

const char *ike_notify_name(unsigned v)
{
	/* RFC 7296 3.10.1: errors are below 16384, status types above */
	return ike_name_find(ike_notify_names, COUNT(ike_notify_names), v,
			     v < 16384 ? "NOTIFY_ERROR_UNKNOWN" :
					 "NOTIFY_STATUS_UNKNOWN");
}

static const struct ike_name ike_proto_names[] = {
	N(IKE_PROTO_NONE, "NONE"), N(IKE_PROTO_IKE, "IKE"),
	N(IKE_PROTO_AH, "AH"), N(IKE_PROTO_ESP, "ESP"),
};

const char *ike_proto_name(unsigned v)
{
	return ike_name_find(ike_proto_names, COUNT(ike_proto_names), v,
			     "PROTO_UNKNOWN");
}

static const struct ike_name ike_transform_type_names[] = {
	N(IKE_TRANSFORM_ENCR, "ENCR"), N(IKE_TRANSFORM_PRF, "PRF"),
	N(IKE_TRANSFORM_INTEG, "INTEG"), N(IKE_TRANSFORM_DH, "DH"),
	N(IKE_TRANSFORM_ESN, "ESN"),
};

const char *ike_transform_type_name(unsigned v)
{
	return ike_name_find(ike_transform_type_names,
			     COUNT(ike_transform_type_names), v,
			     "TRANSFORM_TYPE_UNKNOWN");
}

static const struct ike_name ike_encr_names[] = {
	N(IKE_ENCR_3DES, "3DES"), N(IKE_ENCR_NULL, "NULL"),
	N(IKE_ENCR_AES_CBC, "AES_CBC"), N(IKE_ENCR_AES_CTR, "AES_CTR"),
	N(IKE_ENCR_AES_CCM_16, "AES_CCM_16"),
	N(IKE_ENCR_AES_GCM_8, "AES_GCM_8"),
	N(IKE_ENCR_AES_GCM_12, "AES_GCM_12"),
	N(IKE_ENCR_AES_GCM_16, "AES_GCM_16"),
	N(IKE_ENCR_NULL_AUTH_AES_GMAC, "NULL_AUTH_AES_GMAC"),
	N(IKE_ENCR_CHACHA20_POLY1305, "CHACHA20_POLY1305"),
};

const char *ike_encr_name(unsigned v)
{
	return ike_name_find(ike_encr_names, COUNT(ike_encr_names), v,
			     "ENCR_UNKNOWN");
}

static const struct ike_name ike_prf_names[] = {
	N(IKE_PRF_HMAC_MD5, "HMAC_MD5"), N(IKE_PRF_HMAC_SHA1, "HMAC_SHA1"),
	N(IKE_PRF_AES128_XCBC, "AES128_XCBC"),
	N(IKE_PRF_HMAC_SHA2_256, "HMAC_SHA2_256"),
	N(IKE_PRF_HMAC_SHA2_384, "HMAC_SHA2_384"),
	N(IKE_PRF_HMAC_SHA2_512, "HMAC_SHA2_512"),
	N(IKE_PRF_AES128_CMAC, "AES128_CMAC"),
};

const char *ike_prf_name(unsigned v)
{
	return ike_name_find(ike_prf_names, COUNT(ike_prf_names), v,
			     "PRF_UNKNOWN");
}

static const struct ike_name ike_integ_names[] = {
	N(IKE_INTEG_NONE, "NONE"),
	N(IKE_INTEG_HMAC_MD5_96, "HMAC_MD5_96"),
	N(IKE_INTEG_HMAC_SHA1_96, "HMAC_SHA1_96"),
	N(IKE_INTEG_AES_XCBC_96, "AES_XCBC_96"),
	N(IKE_INTEG_AES_CMAC_96, "AES_CMAC_96"),
	N(IKE_INTEG_HMAC_SHA2_256_128, "HMAC_SHA2_256_128"),
	N(IKE_INTEG_HMAC_SHA2_384_192, "HMAC_SHA2_384_192"),
	N(IKE_INTEG_HMAC_SHA2_512_256, "HMAC_SHA2_512_256"),
};

const char *ike_integ_name(unsigned v)
{
	return ike_name_find(ike_integ_names, COUNT(ike_integ_names), v,
			     "INTEG_UNKNOWN");
}

static const struct ike_name ike_dh_names[] = {
	N(IKE_DH_NONE, "NONE"), N(IKE_DH_MODP768, "MODP768"),
	N(IKE_DH_MODP1024, "MODP1024"), N(IKE_DH_MODP1536, "MODP1536"),
	N(IKE_DH_MODP2048, "MODP2048"), N(IKE_DH_MODP3072, "MODP3072"),
	N(IKE_DH_MODP4096, "MODP4096"), N(IKE_DH_MODP6144, "MODP6144"),
	N(IKE_DH_MODP8192, "MODP8192"), N(IKE_DH_ECP256, "ECP256"),
	N(IKE_DH_ECP384, "ECP384"), N(IKE_DH_ECP521, "ECP521"),
	N(IKE_DH_CURVE25519, "CURVE25519"), N(IKE_DH_CURVE448, "CURVE448"),
};

const char *ike_dh_name(unsigned v)
{
	return ike_name_find(ike_dh_names, COUNT(ike_dh_names), v,
			     "DH_UNKNOWN");
}

static const struct ike_name ike_id_type_names[] = {
	N(IKE_ID_IPV4_ADDR, "IPV4_ADDR"), N(IKE_ID_FQDN, "FQDN"),
	N(IKE_ID_RFC822_ADDR, "RFC822_ADDR"), N(IKE_ID_IPV6_ADDR, "IPV6_ADDR"),
	N(IKE_ID_DER_ASN1_DN, "DER_ASN1_DN"),
	N(IKE_ID_DER_ASN1_GN, "DER_ASN1_GN"), N(IKE_ID_KEY_ID, "KEY_ID"),
};

const char *ike_id_type_name(unsigned v)
{
	return ike_name_find(ike_id_type_names, COUNT(ike_id_type_names), v,
			     "ID_UNKNOWN");
}

static const struct ike_name ike_cert_encoding_names[] = {
	N(IKE_CERT_PKCS7, "PKCS7"), N(IKE_CERT_X509_SIG, "X509_SIG"),
	N(IKE_CERT_CRL, "CRL"), N(IKE_CERT_RAW_RSA, "RAW_RSA"),
	N(IKE_CERT_HASH_URL_X509, "HASH_URL_X509"),
	N(IKE_CERT_HASH_URL_BUNDLE, "HASH_URL_BUNDLE"),
};

const char *ike_cert_encoding_name(unsigned v)
{
	return ike_name_find(ike_cert_encoding_names,
			     COUNT(ike_cert_encoding_names), v,
			     "CERT_UNKNOWN");
}

static const struct ike_name ike_auth_method_names[] = {
	N(IKE_AUTH_RSA_SIG, "RSA_SIG"), N(IKE_AUTH_PSK, "PSK"),
	N(IKE_AUTH_DSS_SIG, "DSS_SIG"), N(IKE_AUTH_ECDSA_256, "ECDSA_256"),
	N(IKE_AUTH_ECDSA_384, "ECDSA_384"), N(IKE_AUTH_ECDSA_521, "ECDSA_521"),
	N(IKE_AUTH_GSPAM, "GSPAM"), N(IKE_AUTH_NULL, "NULL"),
	N(IKE_AUTH_DIGITAL_SIG, "DIGITAL_SIGNATURE"),
};

const char *ike_auth_method_name(unsigned v)
{
	return ike_name_find(ike_auth_method_names,
			     COUNT(ike_auth_method_names), v, "AUTH_UNKNOWN");
}

static const struct ike_name ike_ts_type_names[] = {
	N(IKE_TS_IPV4_ADDR_RANGE, "IPV4_ADDR_RANGE"),
	N(IKE_TS_IPV6_ADDR_RANGE, "IPV6_ADDR_RANGE"),
};

const char *ike_ts_type_name(unsigned v)
{
	return ike_name_find(ike_ts_type_names, COUNT(ike_ts_type_names), v,
			     "TS_UNKNOWN");
}

static const struct ike_name ike_cfg_type_names[] = {
	N(IKE_CFG_REQUEST, "CFG_REQUEST"), N(IKE_CFG_REPLY, "CFG_REPLY"),
	N(IKE_CFG_SET, "CFG_SET"), N(IKE_CFG_ACK, "CFG_ACK"),
};

const char *ike_cfg_type_name(unsigned v)
{
	return ike_name_find(ike_cfg_type_names, COUNT(ike_cfg_type_names), v,
			     "CFG_UNKNOWN");
}

static const struct ike_name ike_cp_attr_names[] = {
	N(IKE_CP_INTERNAL_IP4_ADDRESS, "INTERNAL_IP4_ADDRESS"),
	N(IKE_CP_INTERNAL_IP4_NETMASK, "INTERNAL_IP4_NETMASK"),
	N(IKE_CP_INTERNAL_IP4_DNS, "INTERNAL_IP4_DNS"),
	N(IKE_CP_INTERNAL_IP4_NBNS, "INTERNAL_IP4_NBNS"),
	N(IKE_CP_INTERNAL_IP4_DHCP, "INTERNAL_IP4_DHCP"),
	N(IKE_CP_APPLICATION_VERSION, "APPLICATION_VERSION"),
	N(IKE_CP_INTERNAL_IP6_ADDRESS, "INTERNAL_IP6_ADDRESS"),
	N(IKE_CP_INTERNAL_IP6_DNS, "INTERNAL_IP6_DNS"),
	N(IKE_CP_INTERNAL_IP6_DHCP, "INTERNAL_IP6_DHCP"),
	N(IKE_CP_INTERNAL_IP4_SUBNET, "INTERNAL_IP4_SUBNET"),
	N(IKE_CP_SUPPORTED_ATTRIBUTES, "SUPPORTED_ATTRIBUTES"),
	N(IKE_CP_INTERNAL_IP6_SUBNET, "INTERNAL_IP6_SUBNET"),
};

const char *ike_cp_attr_name(unsigned v)
{
	return ike_name_find(ike_cp_attr_names, COUNT(ike_cp_attr_names), v,
			     "CP_ATTR_UNKNOWN");
}

static const struct ike_name ike_err_names[] = {
	N(IKE_OK, "OK"), N(IKE_ERR_TRUNCATED, "TRUNCATED"),
	N(IKE_ERR_BAD_LENGTH, "BAD_LENGTH"),
	N(IKE_ERR_BAD_VERSION, "BAD_VERSION"),
	N(IKE_ERR_UNSUPPORTED_CRITICAL, "UNSUPPORTED_CRITICAL"),
	N(IKE_ERR_TOO_MANY, "TOO_MANY"),
	N(IKE_ERR_BAD_PAYLOAD, "BAD_PAYLOAD"),
	N(IKE_ERR_SK_NOT_LAST, "SK_NOT_LAST"),
	N(IKE_ERR_RULES, "RULES"),
	N(IKE_ERR_NOSPACE, "NOSPACE"),
	N(IKE_ERR_INVALID, "INVALID"),
};

const char *ike_err_name(int err)
{
	if (err < 0)
		return "ERR_UNKNOWN";
	return ike_name_find(ike_err_names, COUNT(ike_err_names),
			     (unsigned)err, "ERR_UNKNOWN");
}

uint16_t ike_err_notify(int err)
{
	switch (err) {
	case IKE_OK:
		return 0;
	case IKE_ERR_BAD_VERSION:
		return IKE_N_INVALID_MAJOR_VERSION;
	case IKE_ERR_UNSUPPORTED_CRITICAL:
		return IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD;
	default:
		return IKE_N_INVALID_SYNTAX;
	}
}
