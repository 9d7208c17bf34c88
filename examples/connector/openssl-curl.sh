#!/bin/sh
# An application's identity from the Connector with openssl and curl only, as
# docs/connector.md shows it: register, one-time token, configuration, key and CSR,
# signing, a Director call with the certificate, renewal and revocation.
# Run it in an empty directory beside a running `compass up`:
#   COMPASS_URL=https://127.0.0.1:3000 COMPASS_DATA_DIR=.compass sh openssl-curl.sh
set -eu
: "${COMPASS_URL:=https://127.0.0.1:3000}"
: "${COMPASS_DATA_DIR:=.compass}"
CA="$COMPASS_DATA_DIR/ca.crt"               # trusts the API's server certificate
ADMIN="$(cat "$COMPASS_DATA_DIR/admin-token")"
TENANT=3e64ebae-38b5-46a0-b1ed-9ccee153a0ae # the default tenant, as `compass up` prints it
# The value of a string field in a GraphQL answer (one line of JSON); an error fails.
field() { answer=$(cat)
  case $answer in *'"errors"'*) echo "$answer" >&2; return 1 ;; esac
  echo "$answer" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# POST a GraphQL query ($2) to a URL ($1), with any further curl arguments.
gql() { url=$1 query=$2; shift 2
  curl -sS --cacert "$CA" -H 'Content-Type: application/json' "$@" "$url" \
    -d "{\"query\":\"$query\"}"; }

# 1. As the admin: register the application and ask for its one-time token.
APP_ID=$(gql "$COMPASS_URL/director/graphql" \
  'mutation { registerApplication(in: {name: \"shop\"}) { id } }' \
  -H "Authorization: Bearer $ADMIN" -H "Tenant: $TENANT" | field id)
TOKEN=$(gql "$COMPASS_URL/director/graphql" \
  "mutation { requestOneTimeTokenForApplication(id: \\\"$APP_ID\\\") { token connectorURL } }" \
  -H "Authorization: Bearer $ADMIN" -H "Tenant: $TENANT" | field token)

# 2. As the application: redeem the token for the CSR's subject and a CSR token.
CONFIG=$(gql "$COMPASS_URL/connector/graphql" \
  '{ configuration { token { token } certificateSigningRequestInfo { subject } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }' \
  -H "Connector-Token: $TOKEN")
CSR_TOKEN=$(echo "$CONFIG" | field token)
SUBJECT=$(echo "$CONFIG" | field subject)     # O=...,OU=...,L=...,ST=...,C=...,CN=<id>
DIRECTOR=$(echo "$CONFIG" | field directorURL)
CONNECTOR=$(echo "$CONFIG" | field certificateSecuredConnectorURL)

# 3. A key that never leaves this machine, and a CSR with exactly that subject.
openssl genrsa -out app.key 2048 2>/dev/null
openssl req -new -key app.key -subj "/$(echo "$SUBJECT" | tr ',' '/')" -out app.csr

# 4. Signing: the answer's fields are base64 of PEM.
CSR=$(openssl base64 -A -in app.csr)
gql "$CONNECTOR" \
  "mutation { signCertificateSigningRequest(csr: \\\"$CSR\\\") { certificateChain } }" \
  -H "Connector-Token: $CSR_TOKEN" | field certificateChain | openssl base64 -A -d > app.crt
openssl x509 -in app.crt -noout -subject -serial

# 5. The Director, as the application: its certificate, no token.
echo "viewer: $(gql "$DIRECTOR" '{ viewer { id type } }' --cert app.crt --key app.key)"

# 6. Renewal: a new key and CSR, signed on the strength of the current certificate.
openssl genrsa -out app2.key 2048 2>/dev/null
openssl req -new -key app2.key -subj "/$(echo "$SUBJECT" | tr ',' '/')" -out app2.csr
CSR=$(openssl base64 -A -in app2.csr)
gql "$CONNECTOR" \
  "mutation { signCertificateSigningRequest(csr: \\\"$CSR\\\") { certificateChain } }" \
  --cert app.crt --key app.key | field certificateChain | openssl base64 -A -d > app2.crt
openssl x509 -in app2.crt -noout -serial

# 7. Revocation of the first certificate, with itself: it opens nothing any more.
echo "revoked: $(gql "$CONNECTOR" 'mutation { revokeCertificate }' --cert app.crt --key app.key)"
echo "first: $(gql "$DIRECTOR" '{ viewer { type } }' --cert app.crt --key app.key)"
echo "renewed: $(gql "$DIRECTOR" '{ viewer { type } }' --cert app2.crt --key app2.key)"
