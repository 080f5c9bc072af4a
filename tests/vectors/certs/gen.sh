#!/bin/sh
# gen.sh: the test PKI of tests/ike/test_certs.c (and later the exchange and
# fragmentation tests). Run once; the output is committed, so the tests never
# run openssl. Re-running makes new keys and every expected value with them.
#
#   x509ca/root.pem   "CN=oak Root CA"          RSA 2048, self-signed
#   x509ca/int.pem    "CN=oak Intermediate"     ECDSA P-256, issued by root
#   x509/NAME.pem + private/NAME.key, issued by the intermediate:
#     rsa      "C=CH, O=oak, CN=rsa.oak.test"      RSA 2048, SAN DNS rsa.oak.test
#     ecdsa    "C=CH, O=oak, CN=ecdsa.oak.test"    P-256, SAN DNS ecdsa.oak.test, IP 192.0.2.2
#     ed25519  "C=CH, O=oak, CN=ed25519.oak.test"  Ed25519, SAN DNS ed25519.oak.test
#     user     "C=CH, O=oak, CN=user"              P-256, SAN email user@oak.test
#     expired  "C=CH, O=oak, CN=expired.oak.test"  P-256, valid 2020-01-01 .. 2021-01-01
#   x509/evil.pem + private/evil.key "C=CH, O=evil, CN=evil.oak.test", P-256,
#     issued by other/evil-ca.pem "CN=Evil CA" (self-signed, trusted by nobody)
#   big/: a 4096-bit RSA chain (root4096 -> int4096 -> rsa4096.oak.test) whose
#     CERT payloads need IKEv2 fragmentation (RFC 7383)
#   wire/NAME.der: every certificate in DER, as a CERT payload carries it
#   certreq.txt: SHA-1 of each CA's SubjectPublicKeyInfo (RFC 7296 3.7)
#
# Validity: 2025-01-01 to 2045-01-01 (20 years) except "expired". CA private
# keys are not kept. No EKU anywhere: oak, like strongSwan, does not require one.
set -eu
cd "$(dirname "$0")"
rm -rf x509ca x509 private other big wire certreq.txt
mkdir -p x509ca x509 private other big wire
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
START=20250101000000Z
END=20450101000000Z

cat > "$tmp/ca.cnf" <<'CNF'
[ca]
default_ca = oak
[oak]
dir = .
database = $ENV::OAK_DB
new_certs_dir = $ENV::OAK_TMP
serial = $ENV::OAK_SERIAL
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
countryName = optional
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ee]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::OAK_SAN
CNF
export OAK_DB="$tmp/index" OAK_TMP="$tmp" OAK_SERIAL="$tmp/serial" OAK_SAN=DNS:unused
: > "$OAK_DB"
echo 1000 > "$OAK_SERIAL"

# sign CSR SUBJECT KEY OUT EXT ISSUER_CERT ISSUER_KEY [START END]
sign() {
	openssl req -new -config "$tmp/ca.cnf" -key "$2" -subj "$1" -out "$tmp/req.csr"
	if [ "$5" = self ]; then
		openssl ca -batch -notext -config "$tmp/ca.cnf" -selfsign -keyfile "$2" \
			-in "$tmp/req.csr" -out "$3" -extensions "$4" -startdate "${7:-$START}" \
			-enddate "${8:-$END}" 2>/dev/null
	else
		openssl ca -batch -notext -config "$tmp/ca.cnf" -cert "$5" -keyfile "$6" \
			-in "$tmp/req.csr" -out "$3" -extensions "$4" -startdate "${7:-$START}" \
			-enddate "${8:-$END}" 2>/dev/null
	fi
}
rsa() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1" 2>/dev/null; }
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

rsa "$tmp/root.key" 2048
sign "/CN=oak Root CA" "$tmp/root.key" x509ca/root.pem root self
ec "$tmp/int.key"
sign "/CN=oak Intermediate" "$tmp/int.key" x509ca/int.pem int x509ca/root.pem "$tmp/root.key"

ee() { # NAME KEYKIND CN SAN [START END]
	case $2 in
	rsa) rsa "private/$1.key" 2048 ;;
	ec) ec "private/$1.key" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "private/$1.key" ;;
	esac
	OAK_SAN=$4 sign "/C=CH/O=oak/CN=$3" "private/$1.key" "x509/$1.pem" ee x509ca/int.pem \
		"$tmp/int.key" "${5:-$START}" "${6:-$END}"
}
ee rsa rsa rsa.oak.test DNS:rsa.oak.test
ee ecdsa ec ecdsa.oak.test DNS:ecdsa.oak.test,IP:192.0.2.2
ee ed25519 ed25519 ed25519.oak.test DNS:ed25519.oak.test
ee user ec user email:user@oak.test
ee expired ec expired.oak.test DNS:expired.oak.test 20200101000000Z 20210101000000Z

ec "$tmp/evil-ca.key"
sign "/CN=Evil CA" "$tmp/evil-ca.key" other/evil-ca.pem root self
ec private/evil.key
OAK_SAN=DNS:evil.oak.test sign "/C=CH/O=evil/CN=evil.oak.test" private/evil.key x509/evil.pem \
	ee other/evil-ca.pem "$tmp/evil-ca.key"

rsa "$tmp/root4096.key" 4096
sign "/CN=oak Root CA 4096" "$tmp/root4096.key" big/root4096.pem root self
rsa "$tmp/int4096.key" 4096
sign "/CN=oak Intermediate 4096" "$tmp/int4096.key" big/int4096.pem int big/root4096.pem \
	"$tmp/root4096.key"
rsa big/rsa4096.key 4096
OAK_SAN=DNS:rsa4096.oak.test sign "/C=CH/O=oak/CN=rsa4096.oak.test" big/rsa4096.key \
	big/rsa4096.pem ee big/int4096.pem "$tmp/int4096.key"

for f in x509ca/*.pem x509/*.pem other/*.pem big/*.pem; do
	openssl x509 -in "$f" -outform DER -out "wire/$(basename "$f" .pem).der"
done

# RFC 7296 3.7: each CA is named by the SHA-1 of its SubjectPublicKeyInfo.
spki_sha1() {
	openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform DER | sha1sum |
		cut -d' ' -f1
}
{
	echo "# SHA-1 of each CA certificate's SubjectPublicKeyInfo (CERTREQ, RFC 7296 3.7),"
	echo "# computed by gen.sh with openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha1sum"
	echo "root = $(spki_sha1 x509ca/root.pem)"
	echo "int = $(spki_sha1 x509ca/int.pem)"
	echo "evil_ca = $(spki_sha1 other/evil-ca.pem)"
	echo "root4096 = $(spki_sha1 big/root4096.pem)"
	echo "int4096 = $(spki_sha1 big/int4096.pem)"
} > certreq.txt
