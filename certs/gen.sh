#!/usr/bin/env bash
# Regenerate the ussl test PKI.
#
# Usage: ./certs/gen.sh        (from any directory)
#
# Every run regenerates ALL keys and certificates in this directory (new
# keys, new random serials), then self-checks the result. Temporary state
# (CA database, CSRs, config) lives in a private temp dir that is removed
# on exit. The keys produced here are for testing only and are deliberately
# public: never use them for anything else.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
CERTDIR=$(pwd)

OPENSSL=${OPENSSL:-openssl}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ussl-certs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

die() { echo "gen.sh: FAIL: $*" >&2; exit 1; }

# Run an openssl command quietly; print its output only if it fails.
ossl() {
    if ! "$OPENSSL" "$@" >"$TMP/ossl.log" 2>&1; then
        cat "$TMP/ossl.log" >&2
        die "openssl $*"
    fi
}

# ---------------------------------------------------------------------------
# Validity windows (YYYYMMDDHHMMSSZ, UTC). "Long" validity starts a day in
# the past so that small clock skew never makes the certs "not yet valid".
# openssl ca encodes dates < 2050 as UTCTime and >= 2050 as GeneralizedTime.
# ---------------------------------------------------------------------------
START=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
END_ROOT=$(date -u -d '1 day ago +30 years' +%Y%m%d%H%M%SZ)
END_INTER=$(date -u -d '1 day ago +28 years' +%Y%m%d%H%M%SZ)
END_LEAF=$(date -u -d '1 day ago +25 years' +%Y%m%d%H%M%SZ)
EXPIRED_START=20200101000000Z
EXPIRED_END=20210101000000Z
FUTURE_START=20900101000000Z
FUTURE_END=20990101000000Z

SAN_SERVER='DNS:localhost, DNS:server.ussl.test, IP:127.0.0.1, IP:::1'

# ---------------------------------------------------------------------------
# Minimal openssl config for `req` and `ca`.
# ---------------------------------------------------------------------------
CNF="$TMP/openssl.cnf"
mkdir -p "$TMP/newcerts"
cat >"$CNF" <<EOF
[ req ]
distinguished_name = req_dn
prompt             = no
string_mask        = utf8only

[ req_dn ]
CN = placeholder

[ ca ]
default_ca = CA_default

[ CA_default ]
dir            = $TMP
database       = $TMP/index.txt
new_certs_dir  = $TMP/newcerts
serial         = $TMP/serial
default_md     = sha256
policy         = policy_cn
unique_subject = no
copy_extensions = none
email_in_dn    = no
name_opt       = ca_default
cert_opt       = ca_default

[ policy_cn ]
commonName = supplied

[ ext_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_server_ec ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = $SAN_SERVER

[ ext_server_rsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = $SAN_SERVER

[ ext_client_ec ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:client@ussl.test

[ ext_client_rsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_wronghost ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = DNS:wrong.example

[ ext_wildcard ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = DNS:*.wild.ussl.test

[ ext_cnonly ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
genkey_ec()  { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                   -pkeyopt ec_param_enc:named_curve -out "$1.key"; }
genkey_rsa() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"; }

# sign NAME CN EXT_SECTION STARTDATE ENDDATE ISSUER
#   ISSUER is the base name of the issuing CA (e.g. intermediate-ca),
#   or "self" for a self-signed certificate. NAME.key must already exist.
sign() {
    local name=$1 cn=$2 ext=$3 start=$4 end=$5 issuer=$6
    ossl req -new -config "$CNF" -key "$name.key" -subj "/CN=$cn" -out "$TMP/$name.csr"
    # Fresh CA database for every issuance: no state carries over.
    : >"$TMP/index.txt"
    rm -f "$TMP/index.txt.attr"
    local issuer_args
    if [ "$issuer" = self ]; then
        issuer_args=(-selfsign -keyfile "$name.key")
    else
        issuer_args=(-cert "$issuer.pem" -keyfile "$issuer.key")
    fi
    ossl ca -batch -notext -config "$CNF" -md sha256 -rand_serial \
        "${issuer_args[@]}" -extensions "$ext" \
        -startdate "$start" -enddate "$end" \
        -in "$TMP/$name.csr" -out "$TMP/$name.pem"
    # Keep only the PEM block (openssl ca output is already -notext).
    ossl x509 -in "$TMP/$name.pem" -out "$name.pem"
}

# chain NAME -> NAME-chain.pem = leaf + intermediate
chain() { cat "$1.pem" intermediate-ca.pem >"$1-chain.pem"; }

# ---------------------------------------------------------------------------
# Clean out previous outputs (so stale files never survive a regeneration).
# ---------------------------------------------------------------------------
rm -rf ca-dir
rm -f ./*.pem ./*.key ./*.der

# ---------------------------------------------------------------------------
# CAs
# ---------------------------------------------------------------------------
genkey_ec root-ca
sign root-ca "ussl Test Root CA" ext_root "$START" "$END_ROOT" self

genkey_ec intermediate-ca
sign intermediate-ca "ussl Test Intermediate CA" ext_intermediate "$START" "$END_INTER" root-ca

genkey_ec untrusted-root-ca
sign untrusted-root-ca "ussl Untrusted Root CA" ext_root "$START" "$END_ROOT" self

# ---------------------------------------------------------------------------
# Leaves signed by the intermediate
# ---------------------------------------------------------------------------
genkey_ec server
sign server localhost ext_server_ec "$START" "$END_LEAF" intermediate-ca
chain server

genkey_rsa server-rsa
sign server-rsa localhost ext_server_rsa "$START" "$END_LEAF" intermediate-ca
chain server-rsa

genkey_ec client
sign client "ussl test client" ext_client_ec "$START" "$END_LEAF" intermediate-ca
chain client

genkey_rsa client-rsa
sign client-rsa "ussl test client rsa" ext_client_rsa "$START" "$END_LEAF" intermediate-ca
chain client-rsa

genkey_ec expired
sign expired localhost ext_server_ec "$EXPIRED_START" "$EXPIRED_END" intermediate-ca
chain expired

genkey_ec notyetvalid
sign notyetvalid localhost ext_server_ec "$FUTURE_START" "$FUTURE_END" intermediate-ca
chain notyetvalid

genkey_ec wronghost
sign wronghost wrong.example ext_wronghost "$START" "$END_LEAF" intermediate-ca
chain wronghost

genkey_ec wildcard
sign wildcard "*.wild.ussl.test" ext_wildcard "$START" "$END_LEAF" intermediate-ca
chain wildcard

genkey_ec cnonly
sign cnonly cnonly.ussl.test ext_cnonly "$START" "$END_LEAF" intermediate-ca
chain cnonly

genkey_ec client-expired
sign client-expired "ussl test client expired" ext_client_ec "$EXPIRED_START" "$EXPIRED_END" intermediate-ca
chain client-expired

# ---------------------------------------------------------------------------
# Self-signed leaf and leaves under the unrelated root (no chain files)
# ---------------------------------------------------------------------------
genkey_ec selfsigned
sign selfsigned localhost ext_server_ec "$START" "$END_LEAF" self

genkey_ec untrusted-server
sign untrusted-server localhost ext_server_ec "$START" "$END_LEAF" untrusted-root-ca

genkey_ec untrusted-client
sign untrusted-client "ussl untrusted client" ext_client_ec "$START" "$END_LEAF" untrusted-root-ca

genkey_ec unmatched

# ---------------------------------------------------------------------------
# Format variants and bundles
# ---------------------------------------------------------------------------
ossl x509 -in root-ca.pem -outform DER -out root-ca.der
ossl x509 -in server.pem -outform DER -out server.der
ossl pkcs8 -topk8 -nocrypt -in server.key -outform DER -out server.key.der
ossl pkcs8 -topk8 -in server.key -out server-encrypted.key \
    -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout pass:ussl-test

cat root-ca.pem untrusted-root-ca.pem >ca-bundle.pem
cat root-ca.pem intermediate-ca.pem >ca-and-intermediate.pem
mkdir ca-dir
cp root-ca.pem ca-dir/root-ca.pem

# Malformed inputs
printf '%s\n' '-----BEGIN CERTIFICATE-----' \
    '!!! this is not base64 @@@ ### $$$ %%% ^^^ &&& ***' \
    '~~~ garbage garbage garbage ~~~ (((( )))) {{{{ }}}} ;;;;' \
    '-----END CERTIFICATE-----' >garbage.pem
: >empty.pem
head -c 100 server.der >truncated.der

# ---------------------------------------------------------------------------
# Self-checks
# ---------------------------------------------------------------------------
# verify_ok CERT [extra openssl-verify args...]
verify_ok() {
    local cert=$1; shift
    "$OPENSSL" verify -CAfile root-ca.pem -untrusted intermediate-ca.pem "$@" "$cert" \
        >"$TMP/verify.log" 2>&1 || { cat "$TMP/verify.log" >&2; die "$cert should verify ($*)"; }
}
# verify_fail CERT EXPECTED_MESSAGE CAFILE [extra args...]
verify_fail() {
    local cert=$1 msg=$2 cafile=$3; shift 3
    if "$OPENSSL" verify -CAfile "$cafile" -untrusted intermediate-ca.pem "$@" "$cert" \
        >"$TMP/verify.log" 2>&1; then
        cat "$TMP/verify.log" >&2; die "$cert unexpectedly verified against $cafile ($*)"
    fi
    grep -q -- "$msg" "$TMP/verify.log" ||
        { cat "$TMP/verify.log" >&2; die "$cert: expected '$msg'"; }
}

for c in server server-rsa wildcard cnonly wronghost; do
    verify_ok "$c.pem" -purpose sslserver
    verify_ok "$c-chain.pem" -purpose sslserver
done
for c in client client-rsa; do
    verify_ok "$c.pem" -purpose sslclient
    verify_ok "$c-chain.pem" -purpose sslclient
done
verify_ok intermediate-ca.pem
verify_ok server.pem -verify_hostname localhost
verify_ok server.pem -verify_hostname server.ussl.test
verify_ok server.pem -verify_ip 127.0.0.1
verify_ok server.pem -verify_ip ::1
verify_ok wildcard.pem -verify_hostname foo.wild.ussl.test

verify_fail expired.pem "certificate has expired" root-ca.pem
verify_fail client-expired.pem "certificate has expired" root-ca.pem
verify_fail notyetvalid.pem "certificate is not yet valid" root-ca.pem
verify_fail untrusted-server.pem "unable to get local issuer certificate" root-ca.pem
verify_fail untrusted-client.pem "unable to get local issuer certificate" root-ca.pem
verify_fail selfsigned.pem "self-signed certificate" root-ca.pem
verify_fail wronghost.pem "hostname mismatch" root-ca.pem -verify_hostname localhost
verify_fail server.pem "certificate is not yet valid" root-ca.pem -attime 946684800   # 2000-01-01

# The unrelated root does verify its own leaves.
"$OPENSSL" verify -CAfile untrusted-root-ca.pem untrusted-server.pem >/dev/null 2>&1 ||
    die "untrusted-server.pem should verify against untrusted-root-ca.pem"
"$OPENSSL" verify -CAfile untrusted-root-ca.pem untrusted-client.pem >/dev/null 2>&1 ||
    die "untrusted-client.pem should verify against untrusted-root-ca.pem"

# Explicit validity dates.
check_dates() {
    local cert=$1 nb=$2 na=$3 got
    got=$("$OPENSSL" x509 -in "$cert" -noout -startdate -enddate)
    [ "$got" = "notBefore=$nb
notAfter=$na" ] || die "$cert dates are: $got"
}
check_dates expired.pem        "Jan  1 00:00:00 2020 GMT" "Jan  1 00:00:00 2021 GMT"
check_dates client-expired.pem "Jan  1 00:00:00 2020 GMT" "Jan  1 00:00:00 2021 GMT"
check_dates notyetvalid.pem    "Jan  1 00:00:00 2090 GMT" "Jan  1 00:00:00 2099 GMT"

# cnonly must have no SAN; wronghost must have no IP SANs.
"$OPENSSL" x509 -in cnonly.pem -noout -text | grep -q 'Subject Alternative Name' &&
    die "cnonly.pem has a subjectAltName"
"$OPENSSL" x509 -in wronghost.pem -noout -text | grep -q 'IP Address' &&
    die "wronghost.pem has IP SANs"

# Chain files are exactly leaf + intermediate.
for c in server server-rsa client client-rsa expired notyetvalid wronghost wildcard cnonly client-expired; do
    cat "$c.pem" intermediate-ca.pem | cmp -s - "$c-chain.pem" || die "$c-chain.pem is wrong"
done

# Every key matches its certificate; unmatched.key matches none.
pub_of_cert() { "$OPENSSL" x509 -in "$1" -noout -pubkey; }
pub_of_key()  { "$OPENSSL" pkey -in "$1" -pubout "${@:2}"; }
PAIRS="root-ca intermediate-ca untrusted-root-ca server server-rsa client client-rsa
       expired notyetvalid wronghost wildcard cnonly selfsigned untrusted-server
       untrusted-client client-expired"
UNMATCHED_PUB=$(pub_of_key unmatched.key)
for p in $PAIRS; do
    cpub=$(pub_of_cert "$p.pem")
    [ "$cpub" = "$(pub_of_key "$p.key")" ] || die "$p.key does not match $p.pem"
    [ "$cpub" != "$UNMATCHED_PUB" ] || die "unmatched.key matches $p.pem"
    head -n1 "$p.key" | grep -qx -- '-----BEGIN PRIVATE KEY-----' || die "$p.key is not PKCS#8 PEM"
done
SERVER_PUB=$(pub_of_cert server.pem)
[ "$SERVER_PUB" = "$(pub_of_key server.key.der -inform DER)" ] || die "server.key.der mismatch"
[ "$SERVER_PUB" = "$(pub_of_key server-encrypted.key -passin pass:ussl-test)" ] ||
    die "server-encrypted.key mismatch"
[ "$SERVER_PUB" = "$("$OPENSSL" x509 -in server.der -inform DER -noout -pubkey)" ] ||
    die "server.der mismatch"
head -n1 server-encrypted.key | grep -qx -- '-----BEGIN ENCRYPTED PRIVATE KEY-----' ||
    die "server-encrypted.key is not encrypted PKCS#8"
"$OPENSSL" pkey -in server-encrypted.key -passin pass:wrong -noout >/dev/null 2>&1 &&
    die "server-encrypted.key opens with the wrong passphrase"
cmp -s root-ca.der <("$OPENSSL" x509 -in root-ca.pem -outform DER) || die "root-ca.der mismatch"

# Malformed files really are malformed.
"$OPENSSL" x509 -in garbage.pem -noout >/dev/null 2>&1 && die "garbage.pem parses"
"$OPENSSL" x509 -in truncated.der -inform DER -noout >/dev/null 2>&1 && die "truncated.der parses"
[ "$(wc -c <truncated.der)" -eq 100 ] || die "truncated.der is not 100 bytes"
[ ! -s empty.pem ] || die "empty.pem is not empty"

echo "gen.sh: test PKI regenerated in $CERTDIR; all self-checks passed."
