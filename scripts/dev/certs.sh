#!/usr/bin/env bash
# Development TLS material made with openssl: one CA, a server certificate for 127.0.0.1 and
# localhost, and a client certificate (for mTLS), all signed by that CA. Idempotent: files that
# exist are kept, so servers and clients started later trust the same CA.
#
#   scripts/dev/certs.sh [DIR]     default DIR: $DEV_TLS_DIR or .local/tls
#
# Files (PEM; keys are unencrypted PKCS#8, readable by the owner only):
#   ca.pem ca.key                   the development CA (clients: KAFKA_TLS_CA_FILE, MONGO_TLS_CA_FILE)
#   server.pem server.key           server certificate (SAN IP:127.0.0.1, DNS:localhost) and key
#   server-keystore.pem             server key + certificate in one file (Kafka's PEM keystore)
#   client.pem client.key           client certificate (CN=tokenmeter) and key (KAFKA_TLS_CERT_FILE/KEY_FILE)
#   client-cert-key.pem             client certificate + key in one file (MONGO_TLS_CERT_KEY_FILE)
#
# Never use these outside a laptop or CI: the CA key sits next to the certificates.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-${DEV_TLS_DIR:-$root/.local/tls}}"
DEV_TLS_DAYS="${DEV_TLS_DAYS:-825}"

log() { echo "certs: $*" >&2; }
die() { echo "certs: ERROR: $*" >&2; exit 1; }

command -v openssl >/dev/null || die "openssl not found"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

# sign NAME SUBJECT EXTENSIONS: a key and a CA-signed certificate NAME.key / NAME.pem.
sign() {
  local name="$1" subject="$2" ext="$3"
  [[ -s "$dir/$name.pem" && -s "$dir/$name.key" ]] && return 0
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$DEV_TLS_DAYS" -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  log "made $name certificate (${subject}) in ${dir#"$root"/}"
}

if [[ ! -s "$dir/ca.pem" || ! -s "$dir/ca.key" ]]; then
  rm -f "$dir"/*.pem "$dir"/*.key "$dir"/*.srl
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$DEV_TLS_DAYS" \
    -subj "/CN=tokenmeter development CA $(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem" 2>/dev/null
  log "made a development CA in ${dir#"$root"/}"
fi

sign server "/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
sign client "/CN=tokenmeter" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

cat "$dir/server.key" "$dir/server.pem" >"$dir/server-keystore.pem"
cat "$dir/client.pem" "$dir/client.key" >"$dir/client-cert-key.pem"
openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" "$dir/client.pem" >/dev/null || die "verification failed"
echo "$dir"
