#!/bin/sh
# Makes the certificates of the verdict tests (tests/unit/verdict_test.cpp)
# in DIR with openssl: a root, an intermediate, and one leaf (or chain) per
# situation of issue 10. Valid certificates start a day ago and last 25
# years; the deliberately expired root lived 2000-2010. Runs in about a
# second; the test suite calls it once per run.
#
# Usage: verdict_pki.sh DIR
set -eu
cd "$1"
START=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
END=$(date -u -d '+25 years' +%Y%m%d%H%M%SZ)
cat >ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
email_in_dn = no
default_crl_days = 9000
[p]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
CNF
: >index.txt
echo 1000 >serial
echo 01 >crlnumber

ossl() { openssl "$@" >openssl.log 2>&1 || { echo "openssl $*" >&2; cat openssl.log >&2; exit 1; }; }
eckey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
rsakey() { ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key"; }

CA_EXT='basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always'
leaf_ext() {  # leaf_ext EKU SAN [extra line]
  printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = %s\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n%s\n%s\n' "$1" "$2" "${3:-}"
}

# sign NAME CN EXT ISSUER|self [START END [MD]]
sign() {
  printf '[x]\n%s\n' "$3" >"$1.ext"
  ossl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" -config ca.cnf
  if [ "$4" = self ]; then
    ossl ca -batch -config ca.cnf -selfsign -keyfile "$1.key" -in "$1.csr" -out "$1.pem" -notext \
      -startdate "${5:-$START}" -enddate "${6:-$END}" -extfile "$1.ext" -extensions x -md "${7:-sha256}"
  else
    ossl ca -batch -config ca.cnf -cert "$4.pem" -keyfile "$4.key" -in "$1.csr" -out "$1.pem" -notext \
      -startdate "${5:-$START}" -enddate "${6:-$END}" -extfile "$1.ext" -extensions x -md "${7:-sha256}"
  fi
}

eckey root; sign root "Verdict Root" "$CA_EXT" self
eckey inter; sign inter "Verdict Intermediate" "$CA_EXT" root

# A good leaf, and leaves for one situation each.
eckey leaf; sign leaf test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" inter
eckey client_only; sign client_only test.example "$(leaf_ext clientAuth 'subjectAltName = DNS:test.example')" inter
eckey critext
sign critext test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example' '1.3.6.1.4.1.55555.1 = critical, DER:05:00')" inter
eckey ipcn; sign ipcn 127.0.0.1 "$(leaf_ext serverAuth '')" inter

# An "intermediate" that is not a CA, and a leaf under it.
eckey notca
sign notca "Not A CA" "$(leaf_ext serverAuth 'subjectAltName = DNS:notca.example')" root
eckey under_notca; sign under_notca test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" notca

# Twelve intermediates in a line: root -> i1 -> ... -> i12 -> long.
prev=root
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  eckey "i$i"; sign "i$i" "Verdict Intermediate $i" "$CA_EXT" "$prev"; prev="i$i"
done
eckey long; sign long test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" i12

# 200 SAN entries (wolfSSL 5.7 kept at most 128).
sans="DNS:test.example"
n=1; while [ $n -le 200 ]; do sans="$sans, DNS:h$n.test.example"; n=$((n + 1)); done
eckey manysan; sign manysan test.example "$(leaf_ext serverAuth "subjectAltName = $sans")" inter

# A trust anchor that expired in 2010, with a leaf under it.
eckey oldroot; sign oldroot "Verdict Expired Root" "$CA_EXT" self 20000101000000Z 20100101000000Z
eckey under_old; sign under_old test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" oldroot

# Weak: an RSA-1024 leaf; a leaf signed sha1WithRSAEncryption by an RSA intermediate.
rsakey rsa1024 1024; sign rsa1024 test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" inter
rsakey rsainter 2048; sign rsainter "Verdict RSA Intermediate" "$CA_EXT" root
eckey sha1; sign sha1 test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" rsainter "$START" "$END" sha1

# Name constraints: a root for allowed.example, an unconstrained sub-CA, a
# leaf for another domain.
eckey ncroot
sign ncroot "Verdict NC Root" "$CA_EXT
nameConstraints = critical, permitted;DNS:allowed.example" self
eckey ncsub; sign ncsub "Verdict NC Sub" "$CA_EXT" ncroot
eckey ncbad; sign ncbad other.example "$(leaf_ext serverAuth 'subjectAltName = DNS:other.example')" ncsub
eckey ncgood; sign ncgood www.allowed.example "$(leaf_ext serverAuth 'subjectAltName = DNS:www.allowed.example')" ncsub

# Revocation: the intermediate revokes one leaf; its CRL, and one signed by
# an unrelated key with the same issuer name.
eckey revoked; sign revoked test.example "$(leaf_ext serverAuth 'subjectAltName = DNS:test.example')" inter
ossl ca -batch -config ca.cnf -cert inter.pem -keyfile inter.key -revoke revoked.pem
ossl ca -batch -config ca.cnf -cert inter.pem -keyfile inter.key -gencrl -out inter.crl
eckey impostor; sign impostor "Verdict Intermediate" "$CA_EXT" self
ossl ca -batch -config ca.cnf -cert impostor.pem -keyfile impostor.key -gencrl -out impostor.crl

# Files the tests load: chains as a server sends them, and bundles.
cat leaf.pem inter.pem >leaf-chain.pem
cat client_only.pem inter.pem >client_only-chain.pem
cat critext.pem inter.pem >critext-chain.pem
cat long.pem i1.pem i2.pem i3.pem i4.pem i5.pem i6.pem i7.pem i8.pem i9.pem i10.pem i11.pem i12.pem >long-reversed.pem
cat ncbad.pem ncsub.pem >ncbad-chain.pem
cat ncgood.pem ncsub.pem >ncgood-chain.pem
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all !!!\n-----END CERTIFICATE-----\n' >garbage.pem
cat garbage.pem root.pem >bundle-with-garbage.pem
