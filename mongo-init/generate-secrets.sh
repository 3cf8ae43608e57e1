#!/bin/sh
# Creates the deployment's secrets on the first `docker compose up`, and keeps them afterwards.
# Compose runs it as root (service `secrets`) into a volume that only the services needing a secret
# mount; each file is readable by its consumers' user only. No value is ever printed.
# It runs in the gateway image, from its /app: the token issuer's key pair is made by its node.
# With --rotate NAME (service `tools`) it replaces that one secret, in the order that keeps the
# stack working, and says what to restart; docs/operations.md, "Rotating secrets", has each.
#   usage: generate-secrets.sh [folder] [--rotate NAME]   (default folder /secrets)
set -eu
folder="${1:-/secrets}"
# asked: the rotation asked for; rotate: the secret whose file it replaces (data-key's steps share one).
asked=""
if [ "${2:-}" = "--rotate" ]; then
  asked="${3:-}"
  case "$asked" in
    mongo-keyfile|mongo-root-password|mongo-service-password|internal-token|grafana-admin-password|token-signing-key|data-key|data-key-rewrap|data-key-finish) ;;
    *) echo "--rotate takes one of: mongo-keyfile mongo-root-password mongo-service-password internal-token grafana-admin-password token-signing-key data-key data-key-rewrap data-key-finish" >&2; exit 2 ;;
  esac
elif [ -n "${2:-}" ]; then
  echo "usage: generate-secrets.sh [folder] [--rotate NAME]" >&2
  exit 2
fi
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

# secret NAME OWNER GROUP MODE GENERATOR: creates the file once, then (every time) sets who may read
# it. The secret being rotated is replaced by its NAME.next, made by rotate_to (below).
secret() {
  name="$1"; owner="$2"; group="$3"; mode="$4"; generator="$5"
  file="$folder/$name"
  if [ -s "$file.next" ] && [ "$rotate" = "$name" ]; then
    mv "$file.next" "$file"
    echo "rotated $name"
  elif [ -s "$file" ]; then
    echo "kept $name"
  else
    "$generator" > "$file.new"
    mv "$file.new" "$file"
    echo "generated $name"
  fi
  chown "$owner:$group" "$file"
  chmod "$mode" "$file"
}

# rotate_to NAME GENERATOR: the new value of NAME, in NAME.next, readable by root alone until it
# is put in place. Made once: a rotation that died half-way is finished with the same value.
rotate_to() {
  if [ ! -s "$folder/$1.next" ]; then
    "$2" > "$folder/$1.next.new"
    mv "$folder/$1.next.new" "$folder/$1.next"
  fi
  chown 0:0 "$folder/$1.next"
  chmod 400 "$folder/$1.next"
}

rotate="$asked"
# What the rotation of each secret needs beyond a new file, done before the file is replaced.
case "$asked" in
  mongo-keyfile)
    rotate_to "$rotate" random_keyfile ;;
  internal-token)
    rotate_to "$rotate" random_text ;;
  mongo-service-password)
    rotate_to "$rotate" random_text
    # mongo-init sets the user's password to the new one: until the services restart, their
    # open connections stay logged in, new ones fail.
    MONGO_SERVICE_PASSWORD_FILE="$folder/$rotate.next" node mongo-init/dist/main.js ;;
  mongo-root-password)
    rotate_to "$rotate" random_text
    node mongo-init/dist/rotate-root-password.js "$folder/$rotate.next" ;;
  grafana-admin-password)
    rotate_to "$rotate" random_text
    node mongo-init/dist/rotate-grafana-password.js "$folder/$rotate" "$folder/$rotate.next" ;;
  token-signing-key)
    # The key it replaces stays published (token-jwks.json) until the next rotation: tokens it
    # signed keep working until they expire (an hour at most).
    rotate_to "$rotate" new_signing_key
    cp "$folder/token-signing-key" "$folder/token-signing-key.previous" ;;
  data-key)
    # Step 1 of 3: a new master key first, the ones in use after it, so that every process
    # still opens the data keys wrapped by the old one.
    new_data_key_first() { random_data_key; echo; cat "$folder/data-key"; }
    rotate_to data-key new_data_key_first
    rotate=data-key ;;
  data-key-rewrap)
    # Step 2: every data key wrapped again with the new master key, while the stack serves.
    DATA_KEY_FILE="$folder/data-key" node mongo-init/dist/rotate-data-key.js ;;
  data-key-finish)
    # Step 3: the new master key alone.
    first_data_key() { head -n 1 "$folder/data-key"; }
    rotate_to data-key first_data_key
    rotate=data-key ;;
esac

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
# from the key (and the one it replaced, if any) on every run, so that it always matches them.
node gateway/dist/signing-key-main.js jwks "$folder/token-signing-key" \
  $([ -s "$folder/token-signing-key.previous" ] && echo "$folder/token-signing-key.previous") \
  > "$folder/token-jwks.json.new"
mv "$folder/token-jwks.json.new" "$folder/token-jwks.json"
chmod 444 "$folder/token-jwks.json"
echo "published token-jwks.json"
[ -f "$folder/token-signing-key.previous" ] && chown 0:0 "$folder/token-signing-key.previous" && chmod 400 "$folder/token-signing-key.previous"

# What the rotation leaves to do: the processes that read the secret at start, restarted.
case "$asked" in
  mongo-keyfile) echo "next: docker compose restart mongo1 mongo2 mongo3   (together: members with different keys cannot talk)" ;;
  mongo-service-password|internal-token|data-key-finish) echo "next: docker compose restart gateway aggregator" ;;
  data-key) echo "next: docker compose restart gateway aggregator, then: docker compose run --rm tools --rotate data-key-rewrap" ;;
  data-key-rewrap) echo "next: docker compose run --rm tools --rotate data-key-finish" ;;
  token-signing-key) echo "next: docker compose restart gateway" ;;
esac
exit 0
