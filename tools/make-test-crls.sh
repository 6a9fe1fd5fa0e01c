#!/bin/sh
# make-test-crls.sh PKIDIR OUTDIR
#
# CRLs of the intermediate of a test PKI (tools/make-test-pki.sh), made by `openssl ca
# -gencrl` from its database (so "revoked" is listed, keyCompromise), one per fault:
#   fresh.der / fresh.pem  current (thisUpdate now, nextUpdate in 7 days), DER and PEM
#   stale.der              nextUpdate two days ago
#   future.der             thisUpdate in two days
#   badsig.der             the intermediate's name, signed by another key
#   garbage.crl            not a CRL
#   toolarge.crl           11 MiB: over the 10 MiB limit (OA_CRL_MAX_SIZE)
set -eu

pki=$(cd "${1:?usage: make-test-crls.sh PKIDIR OUTDIR}" && pwd)
out=${2:?usage: make-test-crls.sh PKIDIR OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$pki"
OA_SAN=crl   # ca.cnf names it
export OA_SAN

gencrl() { # OUT CERT KEY [openssl ca args]
    o=$1 cert=$2 key=$3
    shift 3
    openssl ca -batch -config ca.cnf -gencrl -cert "$cert" -keyfile "$key" -out "$o.pem" \
        "$@" 2>/dev/null
    openssl crl -in "$o.pem" -outform DER -out "$o.der"
}

gencrl "$out/fresh" int.pem int.key -crldays 7
t() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
gencrl "$out/stale" int.pem int.key -crl_lastupdate "$(t '-9 days')" -crl_nextupdate "$(t '-2 days')"
gencrl "$out/future" int.pem int.key -crl_lastupdate "$(t '+2 days')" -crl_nextupdate "$(t '+9 days')"

# a look-alike intermediate: the same name, another key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/impostor.key" 2>/dev/null
openssl req -new -x509 -key "$out/impostor.key" -subj "/CN=OA Test Intermediate" -days 30 \
    -config ca.cnf -extensions v3_root -out "$out/impostor.pem"
gencrl "$out/badsig" "$out/impostor.pem" "$out/impostor.key" -crldays 7

echo "this is not a CRL" > "$out/garbage.crl"
head -c $((11 * 1024 * 1024)) /dev/zero > "$out/toolarge.crl"
rm -f "$out/stale.pem" "$out/future.pem" "$out/badsig.pem"
