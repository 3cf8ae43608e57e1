#!/bin/sh
# Creates the deployment's secrets on the first `docker compose up`, and keeps them afterwards.
# Compose runs it as root (service `secrets`) into a volume that only the services needing a secret
# mount; each file is readable by its consumers' user only. No value is ever printed.
# It runs in the gateway image, from its /app: the token issuer's key pair is made by its node.
#   usage: generate-secrets.sh [folder]   (default /secrets)
set -eu
folder="${1:-/secrets}"
umask 077
mkdir -p "$folder"
# The names are no secret; each file's own mode decides who reads it.
chmod 755 "$folder"

# The users the images run as: mongodb in mongo:8.0, node in node:24, grafana in grafana/grafana;
# and mongo-init's own (Compose's `user:`), so that only it, of the node processes, reads root's;
# and the token tool's (service `token`), the only one that reads the key tokens are signed with.
MONGODB=999
NODE=1000
GRAFANA=472
MONGO_INIT=10001
TOKEN_ISSUER=10002

random_text() {
  # 32 characters from [A-Za-z0-9]: about 190 bits, and safe in a URL or a shell.
  value=""
  while [ "${#value}" -lt 32 ]; do
    value="$value$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  done
  printf '%s' "$value" | head -c 32
}

random_keyfile() {
  # mongod accepts 6 to 1024 characters of the base64 alphabet: 756 bytes make 1008.
  head -c 756 /dev/urandom | base64 | tr -d '\n'
}

new_signing_key() {
  # An ES256 private key as a JWK (the deployment's own small token issuer).
  node gateway/dist/signing-key-main.js new
}

random_data_key() {
  # The master key that wraps the users' data keys (DATA_KEY_FILE): 32 random bytes in base64.
  head -c 32 /dev/urandom | base64 | tr -d '\n'
}

# secret NAME OWNER GROUP MODE GENERATOR: creates the file once, then (every time) sets who may read it.
secret() {
  name="$1"; owner="$2"; group="$3"; mode="$4"; generator="$5"
  file="$folder/$name"
  if [ -s "$file" ]; then
    echo "kept $name"
  else
    "$generator" > "$file.new"
    mv "$file.new" "$file"
    echo "generated $name"
  fi
  chown "$owner:$group" "$file"
  chmod "$mode" "$file"
}

secret mongo-keyfile "$MONGODB" "$MONGODB" 400 random_keyfile
# Read by mongod's entrypoint (as mongodb) to create the root user, and by mongo-init (its group);
# never by the gateway or the aggregators, which run as node.
secret mongo-root-password "$MONGODB" "$MONGO_INIT" 440 random_text
# Read by the services (node), and by mongo-init (its group), which creates their MongoDB user.
secret mongo-service-password "$NODE" "$MONGO_INIT" 440 random_text
secret internal-token "$NODE" "$NODE" 400 random_text
# Losing it loses every user's name and email: back it up apart from the database's backups.
secret data-key "$NODE" "$NODE" 400 random_data_key
secret grafana-admin-password "$GRAFANA" 0 400 random_text
# Signs the access tokens `docker compose run --rm token` prints; the gateway never reads it.
secret token-signing-key "$TOKEN_ISSUER" "$TOKEN_ISSUER" 400 new_signing_key

# The gateway verifies tokens with the key's public half: no secret, so everyone may read it. Made
# from the key on every run, so that it always matches the key that is there.
node gateway/dist/signing-key-main.js jwks "$folder/token-signing-key" > "$folder/token-jwks.json.new"
mv "$folder/token-jwks.json.new" "$folder/token-jwks.json"
chmod 444 "$folder/token-jwks.json"
echo "published token-jwks.json"
