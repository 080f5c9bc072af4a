/* ident.h: IKE identities (RFC 7296 3.5, RFC 2407 4.6.2) as values, parsed
 * from the config's strings the way strongSwan reads them and matched against
 * what a peer sends.
 *
 * The type numbers are the ones both IKE versions use on the wire
 * (ID_IPV4_ADDR 1, ID_FQDN 2, ID_RFC822_ADDR / ID_USER_FQDN 3, ID_IPV6_ADDR 5,
 * ID_DER_ASN1_DN 9, ID_KEY_ID 11). DNs are held as DER so that comparing two
 * DNs compares what goes on the wire; parsing and printing a DN needs OpenSSL,
 * which is why this lives in crypto/.
 */
#ifndef OAK_CRYPTO_IDENT_H
#define OAK_CRYPTO_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDENT_IPV4_ADDR	  1
#define IDENT_FQDN	  2
#define IDENT_RFC822_ADDR 3
#define IDENT_IPV6_ADDR	  5
#define IDENT_DER_ASN1_DN 9
#define IDENT_KEY_ID	  11

#define IDENT_MAX_LEN 512
#define IDENT_STRLEN  1024

struct ident {
	uint8_t type;  /* IDENT_*, or 0 for %any (matches every identity) */
	bool wildcard; /* contains '*' (FQDN/RFC822 prefix, DN RDN value): match only */
	uint16_t len;
	uint8_t data[IDENT_MAX_LEN]; /* as in the ID payload's Identification Data */
};

/* Parse a config identity as swanctl.conf(5) does: "%any" (or empty); an IPv4
 * or IPv6 address; "@fqdn" or a name without '@' and '=' -> FQDN; "user@host"
 * -> RFC822; a string with '=' -> DN ("C=CH, O=oak, CN=gw"); "@#hex" or
 * "keyid:#hex" -> KEY_ID ("keyid:text" is the text's bytes, as strongSwan);
 * explicit prefixes "ipv4:", "ipv6:", "fqdn:", "email:", "dn:", "keyid:" (and
 * strongSwan's "dns:", "rfc822:", "userfqdn:", "asn1dn:"). 0, or -EINVAL with
 * err saying what was expected (err may be NULL with errlen 0). */
int ident_parse(const char *text, struct ident *out, char *err, size_t errlen);
/* An identity from an ID payload's type and data (copied). 0, or -EINVAL for
 * an unknown type or a length that type cannot have (IPv4 must be 4 bytes...). */
int ident_from_wire(uint8_t type, const uint8_t *data, size_t len, struct ident *out);
/* Text form (DNs as "C=CH, O=oak, CN=gw"), into buf of IDENT_STRLEN. Returns buf.
 * The text parses back to the same identity: FQDN/RFC822 get their prefix
 * when the bare text would read as another type ("fqdn:10.0.0.1"), key IDs
 * print as "keyid:text" when printable, else "@#hex". Control characters
 * print as '?'. */
const char *ident_fmt(const struct ident *id, char *buf, size_t len);
bool ident_eq(const struct ident *a, const struct ident *b);
/* Whether `got` (from a peer) satisfies `want` (from config): %any matches
 * all, wildcards as strongSwan ("*@example.com", "*.example.com", "CN=*"). */
bool ident_match(const struct ident *want, const struct ident *got);

#endif
