#!/usr/bin/env bash
# Makes the local overlay's webhook CA and serving certificate (what cert-manager does on a real cluster).
# Kept while valid, so re-running cluster-up does not churn the Secret and caBundle.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="${1:-$root/manifests/overlays/local/generated}"
svc=etcd-webhook; ns=etcd-operator-system
mkdir -p "$out"
if [ -s "$out/ca.crt" ] && [ -s "$out/tls.key" ] && [ -s "$out/tls.crt" ] && openssl x509 -checkend 86400 -noout -in "$out/tls.crt" >/dev/null 2>&1; then
  exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=etcd-webhook-local-ca" \
  -keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$svc.$ns.svc" -keyout "$tmp/tls.key" -out "$tmp/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
  "$svc" "$svc" "$ns" "$svc" "$ns" "$svc" "$ns" > "$tmp/ext"
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 365 \
  -extfile "$tmp/ext" -out "$tmp/tls.crt" 2>/dev/null
cp "$tmp/ca.crt" "$tmp/tls.crt" "$tmp/tls.key" "$out/"
chmod 600 "$out/tls.key"
echo "webhook-cert: generated $out"
