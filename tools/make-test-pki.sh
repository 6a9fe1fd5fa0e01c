#!/bin/sh
# make-test-pki.sh DIR OCSP_URL [CRL_URL]
#
# A test PKI made with openssl, for the demo and the test suites:
#   root CA -> intermediate CA -> leaves, and a delegated OCSP signer, kept in an
#   `openssl ca` database (DIR/db/index.txt) that `openssl ocsp -index` can serve.
#
# Leaves (DIR/NAME.pem, DIR/NAME.key, DIR/NAME-fullchain.pem), each for NAME.test:
#   good        AIA OCSP URL -> OCSP_URL
#   noocsp      no OCSP URL, a CRL distribution point instead (the Let's Encrypt 2025 case)
#   muststaple  AIA OCSP URL and the TLS Feature extension (status_request)
#   revoked     AIA OCSP URL, revoked in the database (keyCompromise)
#   httpsocsp   AIA OCSP URL with an https scheme (mod_ssl cannot fetch it)
#   expired     AIA OCSP URL, expired last year
#   ancient     AIA OCSP URL, valid from 1960 to 1969-12-31T23:59:59Z (before the epoch)
#   soon        AIA OCSP URL, expires in 5 days
#   other       AIA OCSP URL, issued by a different intermediate ("other-int")
#   norevinfo   neither an OCSP URL nor a CRL distribution point (no revocation at all)
#   muststaple-noocsp  the TLS Feature extension (status_request), a CRL distribution
#               point, no OCSP URL (a Must-Staple certificate nobody can staple)
# With CRL_URL, every leaf except norevinfo names it as its CRL distribution
# point (noocsp and muststaple-noocsp instead of http://127.0.0.1/int.crl); without it, only
# those two have one. tools/make-test-crls.sh makes CRLs of this PKI to serve there.
# CA files: root.pem, int.pem, other-int.pem, chain.pem (int + root), ocsp-signer.pem/.key
# (delegated signer with OCSPSigning EKU), ocsp-signer-expired.pem/.key.
set -eu

dir=${1:?usage: make-test-pki.sh DIR OCSP_URL}
url=${2:?usage: make-test-pki.sh DIR OCSP_URL [CRL_URL]}
crl_url=${3:-}
crldp=
crl_noocsp=http://127.0.0.1/int.crl
if [ -n "$crl_url" ]; then
    crldp="crlDistributionPoints = URI:$crl_url"
    crl_noocsp=$crl_url
fi
days=${OA_PKI_DAYS:-365}

mkdir -p "$dir/db"
cd "$dir"
: > db/index.txt
echo 1000 > db/serial
echo "unique_subject = no" > db/index.txt.attr

# what every server certificate has; its section adds the revocation info it tests
leaf='basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:${ENV::OA_SAN}'

cat > ca.cnf <<EOF
[ ca ]
default_ca = int_ca

[ int_ca ]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = policy_any
copy_extensions = none
unique_subject = no
default_days = $days

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder

[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_int ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ v3_leaf ]
$leaf
authorityInfoAccess = OCSP;URI:$url, caIssuers;URI:http://127.0.0.1/int.der
$crldp

[ v3_leaf_noocsp ]
$leaf
crlDistributionPoints = URI:$crl_noocsp

[ v3_leaf_muststaple ]
$leaf
authorityInfoAccess = OCSP;URI:$url
tlsfeature = status_request
$crldp

[ v3_leaf_muststaple_noocsp ]
$leaf
crlDistributionPoints = URI:$crl_noocsp
tlsfeature = status_request

[ v3_leaf_norevinfo ]
$leaf

[ v3_leaf_httpsocsp ]
$leaf
authorityInfoAccess = OCSP;URI:https://127.0.0.1:1/ocsp
$crldp

[ v3_ocsp ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

OA_SAN=placeholder
export OA_SAN

newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# self-signed root
newkey root.key
openssl req -new -x509 -key root.key -subj "/CN=OA Test Root" -days $((days * 2)) \
    -config ca.cnf -extensions v3_root -out root.pem

# intermediates, signed by the root (plain x509: the root is outside the database)
intermediate() { # NAME CN
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2" -config ca.cnf -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA root.pem -CAkey root.key -CAcreateserial \
        -days $((days * 2)) -extfile ca.cnf -extensions v3_int -out "$1.pem" 2>/dev/null
    rm -f "$1.csr"
}
intermediate int "OA Test Intermediate"
intermediate other-int "OA Other Intermediate"
cat int.pem root.pem > chain.pem

# leaves and signers, issued by the intermediate through the database
issue() { # NAME CN EXTENSIONS [CA] [extra openssl ca args...]
    name=$1 cn=$2 ext=$3 ca=${4:-int}
    shift 4 2>/dev/null || shift $#
    newkey "$name.key"
    OA_SAN=$cn openssl req -new -key "$name.key" -subj "/CN=$cn" -config ca.cnf -out "$name.csr"
    OA_SAN=$cn openssl ca -batch -config ca.cnf -cert "$ca.pem" -keyfile "$ca.key" \
        -extensions "$ext" -in "$name.csr" -out "$name.pem" -notext "$@" 2>/dev/null
    rm -f "$name.csr"
    cat "$name.pem" "$ca.pem" > "$name-fullchain.pem"
}

issue good good.test v3_leaf int
issue noocsp noocsp.test v3_leaf_noocsp int
issue muststaple muststaple.test v3_leaf_muststaple int
issue revoked revoked.test v3_leaf int
issue httpsocsp httpsocsp.test v3_leaf_httpsocsp int
last_year=$(date -u -d '-400 days' +%Y%m%d%H%M%SZ)
expired_at=$(date -u -d '-35 days' +%Y%m%d%H%M%SZ)
issue expired expired.test v3_leaf int -startdate "$last_year" -enddate "$expired_at"
issue soon soon.test v3_leaf int -days 5
issue ancient ancient.test v3_leaf int -startdate 19600101000000Z -enddate 19691231235959Z
issue ocsp-signer "OA OCSP Signer" v3_ocsp int
issue ocsp-signer-expired "OA Expired OCSP Signer" v3_ocsp int -startdate "$last_year" -enddate "$expired_at"

# "other" comes from a second intermediate, outside the database's CA
newkey other.key
OA_SAN=other.test openssl req -new -key other.key -subj "/CN=other.test" -config ca.cnf -out other.csr
OA_SAN=other.test openssl x509 -req -in other.csr -CA other-int.pem -CAkey other-int.key \
    -CAcreateserial -days "$days" -extfile ca.cnf -extensions v3_leaf -out other.pem 2>/dev/null
rm -f other.csr
cat other.pem other-int.pem > other-fullchain.pem

openssl ca -batch -config ca.cnf -cert int.pem -keyfile int.key -revoke revoked.pem \
    -crl_reason keyCompromise 2>/dev/null

# added after the others, so that their serial numbers stay as they were
issue norevinfo norevinfo.test v3_leaf_norevinfo int
issue muststaple-noocsp muststaple-noocsp.test v3_leaf_muststaple_noocsp int

echo "$url" > ocsp-url.txt
if [ -n "$crl_url" ]; then
    echo "$crl_url" > crl-url.txt
fi
echo "test PKI in $dir (OCSP responder URL $url)"
