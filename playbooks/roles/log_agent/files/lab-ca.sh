#!/bin/sh
# Lab only: a throwaway CA and one certificate per host (EC P-256), created in
# DIR on the controller if missing. Prints one line per file it creates.
# Usage: lab-ca.sh DIR HOST...
set -eu
dir=$1; shift
mkdir -p "$dir"
chmod 0700 "$dir"
cd "$dir"
if [ ! -f ca.pem ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=govcloud lab log CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem 2>/dev/null
  echo "created ca.pem"
fi
for h in "$@"; do
  [ -f "$h.pem" ] && continue
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$h.key" 2>/dev/null
  openssl req -new -key "$h.key" -subj "/CN=$h" -out "$h.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' "$h" > "$h.ext"
  openssl x509 -req -in "$h.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -sha256 \
    -extfile "$h.ext" -out "$h.pem" 2>/dev/null
  rm -f "$h.csr" "$h.ext"
  chmod 0600 "$h.key"
  echo "created $h.pem"
done
