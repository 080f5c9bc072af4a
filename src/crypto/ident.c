/* ident.c: IKE identities (see ident.h).
 *
 * The text rules follow strongSwan's identification_create_from_string() as
 * swanctl.conf(5) documents them, so that configs move over unchanged:
 *   "%any", "%any6", "", "*", "0.0.0.0", "::"  -> %any (type 0)
 *   "ipv4:", "ipv6:", "fqdn:"/"dns:", "email:"/"rfc822:"/"userfqdn:",
 *   "dn:"/"asn1dn:", "keyid:" prefixes          -> that type
 *   a string containing '='                     -> DER DN
 *   an IPv4 or IPv6 address                      -> ID_IPV4_ADDR / ID_IPV6_ADDR
 *   "@#hex"                                      -> ID_KEY_ID
 *   "@@user" -> ID_RFC822_ADDR "user", "@fqdn"  -> ID_FQDN "fqdn"
 *   "user@host"                                  -> ID_RFC822_ADDR
 *   anything else                                -> ID_FQDN
 * Unlike strongSwan, a string that looks like a DN but does not parse is an
 * error (strongSwan silently makes it a KEY_ID), and subnet/range forms
 * ("10.0.0.0/24", IKEv1 ID_IPV4_ADDR_SUBNET) are refused: use traffic
 * selectors for those.
 *
 * DNs are X.501 Names in DER (RFC 5280 4.1.2.4), built and read with
 * OpenSSL's X509_NAME.
 */
#include "crypto/ident.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "lib/hex.h"
#include "lib/util.h"

/* strongSwan's RDN attribute names (identification.c x501rdns); the first
 * name of a NID is the one we print. "SN" is serialNumber as in strongSwan
 * (OpenSSL calls surname "SN"; strongSwan calls it "S"). */
struct ident_rdn {
	const char *name;
	int nid;
	bool ia5;
};

static const struct ident_rdn ident_rdns[] = {
	{"CN", NID_commonName, false},
	{"C", NID_countryName, false},
	{"L", NID_localityName, false},
	{"ST", NID_stateOrProvinceName, false},
	{"O", NID_organizationName, false},
	{"OU", NID_organizationalUnitName, false},
	{"E", NID_pkcs9_emailAddress, true},
	{"Email", NID_pkcs9_emailAddress, true},
	{"emailAddress", NID_pkcs9_emailAddress, true},
	{"DC", NID_domainComponent, true},
	{"UID", NID_userId, false},
	{"SN", NID_serialNumber, false},
	{"serialNumber", NID_serialNumber, false},
	{"S", NID_surname, false},
	{"T", NID_title, false},
	{"D", NID_description, false},
	{"N", NID_name, false},
	{"G", NID_givenName, false},
	{"I", NID_initials, false},
	{"dnQualifier", NID_dnQualifier, false},
	{"pseudonym", NID_pseudonym, false},
	{"ID", NID_x500UniqueIdentifier, false},
	{"UN", NID_pkcs9_unstructuredName, true},
	{"unstructuredName", NID_pkcs9_unstructuredName, true},
	{"UA", NID_pkcs9_unstructuredAddress, false},
	{"unstructuredAddress", NID_pkcs9_unstructuredAddress, false},
};

static int ident_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ident_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int ident_set(struct ident *out, uint8_t type, const void *data, size_t len)
{
	if (len > IDENT_MAX_LEN)
		return -EMSGSIZE;
	out->type = type;
	out->len = (uint16_t)len;
	memcpy(out->data, data, len);
	return 0;
}

/* PrintableString's alphabet (X.680 41.4). */
static bool ident_is_printable_string(const char *s, size_t n)
{
	static const char extra[] = " '()+,-./:=?";

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr(extra, c))))
			return false;
	}
	return true;
}

static bool ident_is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static const struct ident_rdn *ident_rdn_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ident_rdns); i++)
		if (strcasecmp(ident_rdns[i].name, name) == 0)
			return &ident_rdns[i];
	return NULL;
}

static const struct ident_rdn *ident_rdn_by_nid(int nid)
{
	for (size_t i = 0; i < ARRAY_SIZE(ident_rdns); i++)
		if (ident_rdns[i].nid == nid)
			return &ident_rdns[i];
	return NULL;
}

static const char *ident_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One "name=value" into the X509_NAME; *pp moves past it and its separator. */
static int ident_dn_rdn(X509_NAME *name, const char **pp, bool *wildcard, char *err, size_t errlen)
{
	const char *p = ident_skip_space(*pp), *eq, *v, *vend;
	char attr[64];
	const struct ident_rdn *rdn;
	ASN1_OBJECT *obj = NULL;
	size_t n;
	int type, ok;

	eq = p + strcspn(p, "=,/");
	n = (size_t)(eq - p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (*eq != '=' || n == 0 || n >= sizeof(attr)) {
		snprintf(err, errlen, "expected 'attribute=value' in DN, got '%.*s'",
			 (int)strcspn(p, ",/"), p);
		return -EINVAL;
	}
	memcpy(attr, p, n);
	attr[n] = '\0';
	rdn = ident_rdn_by_name(attr);
	if (rdn == NULL && (attr[0] < '0' || attr[0] > '9' || !(obj = OBJ_txt2obj(attr, 1)))) {
		snprintf(err, errlen,
			 "unknown DN attribute '%s' (expected C, ST, L, O, OU, CN, E, DC, SN, UID, "
			 "... or a dotted OID)",
			 attr);
		return -EINVAL;
	}
	v = ident_skip_space(eq + 1);
	if (*v == '"') {
		vend = strchr(++v, '"');
		if (vend == NULL) {
			ASN1_OBJECT_free(obj);
			return ident_err(err, errlen, "unterminated quoted value for '%s' in DN",
					 attr);
		}
		p = ident_skip_space(vend + 1);
		if (*p != '\0' && *p != ',' && *p != '/') {
			ASN1_OBJECT_free(obj);
			return ident_err(err, errlen,
					 "expected ',' or '/' after the quoted value of '%s' in DN",
					 attr);
		}
	} else {
		vend = v + strcspn(v, ",/");
		p = vend;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
	}
	n = (size_t)(vend - v);
	if (n == 0) {
		ASN1_OBJECT_free(obj);
		return ident_err(err, errlen, "empty value for '%s' in DN", attr);
	}
	if (n == 1 && v[0] == '*')
		*wildcard = true;
	/* as strongSwan: PrintableString where the value allows it, IA5String
	 * for e-mail and domain components, UTF8String otherwise */
	if (rdn && rdn->ia5 && ident_is_ascii(v, n))
		type = V_ASN1_IA5STRING;
	else if (ident_is_printable_string(v, n))
		type = V_ASN1_PRINTABLESTRING;
	else
		type = V_ASN1_UTF8STRING;
	if (obj == NULL)
		obj = OBJ_nid2obj(rdn->nid);
	ok = X509_NAME_add_entry_by_OBJ(name, obj, type, (const unsigned char *)v, (int)n, -1, 0);
	ASN1_OBJECT_free(obj);
	if (!ok)
		return ident_err(err, errlen, "value of '%s' in DN not accepted by X.509", attr);
	*pp = *p ? p + 1 : p;
	return 0;
}

/* "C=CH, O=oak, CN=gw", "/C=CH/O=oak/CN=gw", values optionally "quoted". */
static int ident_parse_dn(const char *text, struct ident *out, char *err, size_t errlen)
{
	X509_NAME *name = X509_NAME_new();
	const char *p = ident_skip_space(text);
	unsigned char *der = NULL;
	bool wildcard = false;
	int r = 0, len;

	if (name == NULL)
		return -ENOMEM;
	if (*p == '/')
		p++;
	while (r == 0 && *ident_skip_space(p) != '\0')
		r = ident_dn_rdn(name, &p, &wildcard, err, errlen);
	if (r == 0 && X509_NAME_entry_count(name) == 0)
		r = ident_err(err, errlen, "expected a DN like 'C=CH, O=oak, CN=gw', got '%s'",
			      text);
	if (r == 0) {
		len = i2d_X509_NAME(name, &der);
		if (len <= 0)
			r = ident_err(err, errlen, "cannot encode DN '%s'", text);
		else if (ident_set(out, IDENT_DER_ASN1_DN, der, (size_t)len) != 0)
			r = ident_err(err, errlen, "DN '%s' is longer than 512 bytes in DER", text);
		out->wildcard = wildcard;
	}
	OPENSSL_free(der);
	X509_NAME_free(name);
	return r;
}

static int ident_parse_keyid(const char *text, struct ident *out, bool hex, char *err,
			     size_t errlen)
{
	long n;

	if (!hex) {
		if (*text == '\0' || ident_set(out, IDENT_KEY_ID, text, strlen(text)) != 0)
			return ident_err(err, errlen,
					 "expected a key ID of 1 to 512 bytes, got '%.64s'", text);
		return 0;
	}
	n = hex_decode(out->data, IDENT_MAX_LEN, text);
	if (n <= 0)
		return ident_err(err, errlen, "expected a key ID in hex after '#', got '%s'", text);
	out->type = IDENT_KEY_ID;
	out->len = (uint16_t)n;
	return 0;
}

static int ident_parse_ip(const char *text, int family, struct ident *out, char *err, size_t errlen)
{
	uint8_t a[16];

	if (inet_pton(family, text, a) != 1)
		return ident_err(err, errlen, "expected an IPv%d address, got '%s'",
				 family == AF_INET ? 4 : 6, text);
	return ident_set(out, family == AF_INET ? IDENT_IPV4_ADDR : IDENT_IPV6_ADDR, a,
			 family == AF_INET ? 4 : 16);
}

/* A name or address, with FQDN/RFC822 wildcards ('*') noted. */
static int ident_parse_string(uint8_t type, const char *text, struct ident *out, char *err,
			      size_t errlen)
{
	if (*text == '\0')
		return ident_err(err, errlen, "expected a name after the identity prefix, got '%s'",
				 text);
	if (ident_set(out, type, text, strlen(text)) != 0)
		return ident_err(err, errlen, "identity '%.64s...' is longer than 512 bytes", text);
	out->wildcard = strchr(text, '*') != NULL;
	return 0;
}

static const struct {
	const char *prefix;
	uint8_t type;
} ident_prefixes[] = {
	{"ipv4:", IDENT_IPV4_ADDR},
	{"ipv6:", IDENT_IPV6_ADDR},
	{"fqdn:", IDENT_FQDN},
	{"dns:", IDENT_FQDN},
	{"email:", IDENT_RFC822_ADDR},
	{"rfc822:", IDENT_RFC822_ADDR},
	{"userfqdn:", IDENT_RFC822_ADDR},
	{"dn:", IDENT_DER_ASN1_DN},
	{"asn1dn:", IDENT_DER_ASN1_DN},
	{"keyid:", IDENT_KEY_ID},
};

static int ident_parse_typed(uint8_t type, const char *v, struct ident *out, char *err,
			     size_t errlen)
{
	switch (type) {
	case IDENT_IPV4_ADDR:
		return ident_parse_ip(v, AF_INET, out, err, errlen);
	case IDENT_IPV6_ADDR:
		return ident_parse_ip(v, AF_INET6, out, err, errlen);
	case IDENT_DER_ASN1_DN:
		return ident_parse_dn(v, out, err, errlen);
	case IDENT_KEY_ID:
		/* strongSwan: "keyid:#hex" is binary, "keyid:text" the text's bytes */
		return ident_parse_keyid(v[0] == '#' ? v + 1 : v, out, v[0] == '#', err, errlen);
	default:
		return ident_parse_string(type, v, out, err, errlen);
	}
}

/* Whether text up to '/' or '-' is an address: a subnet or range, which
 * ident cannot represent. */
static bool ident_is_subnet(const char *text)
{
	char buf[64];
	size_t n = strcspn(text, "/-");
	uint8_t a[16];

	if (text[n] == '\0' || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1;
}

int ident_parse(const char *text, struct ident *out, char *err, size_t errlen)
{
	static const char *const any[] = {"", "%any", "%any6", "*", "0.0.0.0", "::", "0::0"};
	int r;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(any); i++)
		if (strcmp(text, any[i]) == 0)
			return 0;
	for (size_t i = 0; i < ARRAY_SIZE(ident_prefixes); i++) {
		size_t n = strlen(ident_prefixes[i].prefix);

		if (strncasecmp(text, ident_prefixes[i].prefix, n) == 0) {
			r = ident_parse_typed(ident_prefixes[i].type, text + n, out, err, errlen);
			goto out;
		}
	}
	if (strchr(text, '=') != NULL)
		r = ident_parse_dn(text, out, err, errlen);
	else if (strncmp(text, "@#", 2) == 0)
		r = ident_parse_keyid(text + 2, out, true, err, errlen);
	else if (strncmp(text, "@@", 2) == 0)
		r = ident_parse_string(IDENT_RFC822_ADDR, text + 2, out, err, errlen);
	else if (text[0] == '@')
		r = ident_parse_string(IDENT_FQDN, text + 1, out, err, errlen);
	else if (strchr(text, '@') != NULL)
		r = ident_parse_string(IDENT_RFC822_ADDR, text, out, err, errlen);
	else if (ident_parse_ip(text, AF_INET, out, NULL, 0) == 0 ||
		 ident_parse_ip(text, AF_INET6, out, NULL, 0) == 0)
		r = 0;
	else if (ident_is_subnet(text))
		r = ident_err(err, errlen,
			      "expected an identity, got the subnet or range '%s' (use it in "
			      "local_ts/remote_ts)",
			      text);
	else
		r = ident_parse_string(IDENT_FQDN, text, out, err, errlen);
out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		return r < 0 && r != -ENOMEM ? -EINVAL : r;
	}
	return 0;
}

/* A DER Name that parses and uses every byte. (caller frees) */
static X509_NAME *ident_dn_decode(const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)len);

	if (name != NULL && p != data + len) {
		X509_NAME_free(name);
		name = NULL;
	}
	return name;
}

int ident_from_wire(uint8_t type, const uint8_t *data, size_t len, struct ident *out)
{
	X509_NAME *name;

	memset(out, 0, sizeof(*out));
	switch (type) {
	case IDENT_IPV4_ADDR:
		if (len != 4)
			return -EINVAL;
		break;
	case IDENT_IPV6_ADDR:
		if (len != 16)
			return -EINVAL;
		break;
	case IDENT_FQDN:
	case IDENT_RFC822_ADDR:
	case IDENT_KEY_ID:
		if (len == 0)
			return -EINVAL;
		break;
	case IDENT_DER_ASN1_DN:
		name = ident_dn_decode(data, len);
		if (name == NULL)
			return -EINVAL;
		X509_NAME_free(name);
		break;
	default:
		return -EINVAL;
	}
	if (ident_set(out, type, data, len) != 0) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return 0;
}

/* Append, truncating at the buffer's end; *off keeps counting. */
static void ident_put(char *buf, size_t len, size_t *off, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, (*off)++)
		if (*off + 1 < len)
			buf[*off] = s[i];
	if (len)
		buf[*off < len ? *off : len - 1] = '\0';
}

/* Control characters and '"' cannot round-trip: print '?' as strongSwan does. */
static void ident_put_value(char *buf, size_t len, size_t *off, const unsigned char *v, size_t n)
{
	bool quote = n == 0 || v[0] == ' ' || v[n - 1] == ' ' || memchr(v, ',', n) != NULL ||
		     memchr(v, '/', n) != NULL;

	if (quote)
		ident_put(buf, len, off, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char c = (v[i] < 0x20 || v[i] == 0x7f || v[i] == '"') ? '?' : (char)v[i];

		ident_put(buf, len, off, &c, 1);
	}
	if (quote)
		ident_put(buf, len, off, "\"", 1);
}

static void ident_fmt_dn(const struct ident *id, char *buf, size_t len)
{
	X509_NAME *name = ident_dn_decode(id->data, id->len);
	size_t off = 0;
	char oid[80];

	ident_put(buf, len, &off, "", 0);
	if (name == NULL) {
		ident_put(buf, len, &off, "(invalid DN)", 12);
		return;
	}
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const struct ident_rdn *rdn = ident_rdn_by_nid(OBJ_obj2nid(obj));
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, s);

		if (i)
			ident_put(buf, len, &off, ", ", 2);
		if (rdn)
			snprintf(oid, sizeof(oid), "%s", rdn->name);
		else if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			snprintf(oid, sizeof(oid), "?");
		ident_put(buf, len, &off, oid, strlen(oid));
		ident_put(buf, len, &off, "=", 1);
		if (n >= 0)
			ident_put_value(buf, len, &off, utf8, (size_t)n);
		else
			ident_put_value(buf, len, &off, ASN1_STRING_get0_data(s),
					(size_t)ASN1_STRING_length(s));
		OPENSSL_free(utf8);
	}
	X509_NAME_free(name);
}

/* FQDN and RFC822 print bare when that text parses back to the same
 * identity ("gw.example", "me@example.com"), else with their prefix
 * ("fqdn:10.0.0.1", "email:@x"), so that ident_fmt output is a valid config
 * string. */
static void ident_fmt_string(const struct ident *id, char *buf, size_t len)
{
	char text[IDENT_MAX_LEN + 1];
	struct ident back;
	size_t off = 0;

	for (size_t i = 0; i < id->len; i++)
		text[i] = (id->data[i] < 0x20 || id->data[i] == 0x7f) ? '?' : (char)id->data[i];
	text[id->len] = '\0';
	ident_put(buf, len, &off, "", 0);
	if (ident_parse(text, &back, NULL, 0) != 0 || back.type != id->type ||
	    back.len != id->len || memcmp(back.data, text, id->len) != 0) {
		const char *prefix = id->type == IDENT_FQDN ? "fqdn:" : "email:";

		ident_put(buf, len, &off, prefix, strlen(prefix));
	}
	ident_put(buf, len, &off, text, id->len);
}

static void ident_fmt_keyid(const struct ident *id, char *buf, size_t len)
{
	char hex[2 * IDENT_MAX_LEN + 1];
	bool printable = id->len > 0 && id->data[0] != '#';

	for (size_t i = 0; i < id->len; i++)
		if (id->data[i] < 0x21 || id->data[i] >= 0x7f)
			printable = false;
	if (printable) {
		snprintf(buf, len, "keyid:%.*s", (int)id->len, (const char *)id->data);
		return;
	}
	snprintf(buf, len, "@#%s", hex_encode(hex, sizeof(hex), id->data, id->len));
}

const char *ident_fmt(const struct ident *id, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	switch (id->type) {
	case 0:
		snprintf(buf, len, "%%any");
		break;
	case IDENT_IPV4_ADDR:
	case IDENT_IPV6_ADDR:
		if (id->len != (id->type == IDENT_IPV4_ADDR ? 4 : 16) ||
		    !inet_ntop(id->type == IDENT_IPV4_ADDR ? AF_INET : AF_INET6, id->data, buf,
			       (socklen_t)len))
			snprintf(buf, len, "(invalid address)");
		break;
	case IDENT_FQDN:
	case IDENT_RFC822_ADDR:
		ident_fmt_string(id, buf, len);
		break;
	case IDENT_DER_ASN1_DN:
		ident_fmt_dn(id, buf, len);
		break;
	case IDENT_KEY_ID:
		ident_fmt_keyid(id, buf, len);
		break;
	default:
		snprintf(buf, len, "UNKNOWN(%u)", id->type);
		break;
	}
	return buf;
}

/* Case-insensitive compare of n bytes that may hold NULs (wire data). */
static bool ident_mem_caseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

static bool ident_rdn_value_eq(const ASN1_OBJECT *obj, const ASN1_STRING *w, const ASN1_STRING *g)
{
	int wt = ASN1_STRING_type(w), n = ASN1_STRING_length(w);

	if (n != ASN1_STRING_length(g))
		return false;
	/* as strongSwan's compare_dn(): PrintableStrings, and e-mail
	 * addresses in IA5Strings, compare without case; all else by bytes,
	 * whatever the string type (a UTF8String CN equals a
	 * PrintableString CN of the same text) */
	if (wt == ASN1_STRING_type(g) &&
	    (wt == V_ASN1_PRINTABLESTRING ||
	     (wt == V_ASN1_IA5STRING && OBJ_obj2nid(obj) == NID_pkcs9_emailAddress)))
		return ident_mem_caseeq(ASN1_STRING_get0_data(w), ASN1_STRING_get0_data(g),
					(size_t)n);
	return memcmp(ASN1_STRING_get0_data(w), ASN1_STRING_get0_data(g), (size_t)n) == 0;
}

/* RDN by RDN, in order; with wildcards a value "*" in want matches any
 * value of that attribute at that position. */
static bool ident_dn_match(const struct ident *want, const struct ident *got, bool wildcards)
{
	X509_NAME *w, *g;
	bool ok;
	int n;

	if (want->len == got->len && memcmp(want->data, got->data, want->len) == 0)
		return true;
	w = ident_dn_decode(want->data, want->len);
	g = ident_dn_decode(got->data, got->len);
	ok = w != NULL && g != NULL && X509_NAME_entry_count(w) == X509_NAME_entry_count(g);
	n = ok ? X509_NAME_entry_count(w) : 0;
	for (int i = 0; ok && i < n; i++) {
		X509_NAME_ENTRY *we = X509_NAME_get_entry(w, i), *ge = X509_NAME_get_entry(g, i);
		ASN1_OBJECT *wo = X509_NAME_ENTRY_get_object(we);
		ASN1_STRING *wv = X509_NAME_ENTRY_get_data(we);

		if (OBJ_cmp(wo, X509_NAME_ENTRY_get_object(ge)) != 0) {
			ok = false;
		} else if (wildcards && ASN1_STRING_length(wv) == 1 &&
			   ASN1_STRING_get0_data(wv)[0] == '*') {
			continue;
		} else {
			ok = ident_rdn_value_eq(wo, wv, X509_NAME_ENTRY_get_data(ge));
		}
	}
	X509_NAME_free(w);
	X509_NAME_free(g);
	return ok;
}

bool ident_eq(const struct ident *a, const struct ident *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case IDENT_FQDN:
	case IDENT_RFC822_ADDR:
		/* DNS names and mail domains compare without case (RFC 4343) */
		return a->len == b->len && ident_mem_caseeq(a->data, b->data, a->len);
	case IDENT_DER_ASN1_DN:
		return ident_dn_match(a, b, false);
	default:
		return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
	}
}

bool ident_match(const struct ident *want, const struct ident *got)
{
	size_t suffix;

	if (want->type == 0)
		return true;
	if (want->type != got->type)
		return false;
	if (ident_eq(want, got))
		return true;
	if (!want->wildcard)
		return false;
	switch (want->type) {
	case IDENT_FQDN:
	case IDENT_RFC822_ADDR:
		/* strongSwan: only a leading '*' is a wildcard; "*" alone
		 * matches any name of the type, "*.example.com" any name
		 * ending in ".example.com" */
		if (want->len == 0 || want->data[0] != '*')
			return false;
		suffix = want->len - 1u;
		return got->len >= suffix &&
		       ident_mem_caseeq(want->data + 1, got->data + (got->len - suffix), suffix);
	case IDENT_DER_ASN1_DN:
		return ident_dn_match(want, got, true);
	default:
		return false;
	}
}
