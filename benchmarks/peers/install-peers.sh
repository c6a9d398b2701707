#!/usr/bin/env bash
# Installs the benchmark's peers (nginx, HAProxy, grpc-gateway with a grpc-go
# upstream) from Debian's packages and builds the two Go programs OFFLINE: a
# GOPATH build against Debian's /usr/share/gocode, no module download.
#
#   npm run bench:peers-setup            install what is missing (as root), then build
#   npm run bench:peers-setup -- --print print the apt-get command for what is missing, change nothing
#
# Output goes to benchmarks/peers/build/ (git-ignored): bin/grpc-gateway-orders, bin/grpc-go-orders.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
# protoc-gen-go (v1.3, with the grpc plugin) comes with golang-goprotobuf-dev; protoc-gen-grpc-gateway with golang-grpc-gateway.
packages=(nginx haproxy golang-go protobuf-compiler golang-goprotobuf-dev golang-google-grpc-dev golang-github-grpc-ecosystem-grpc-gateway-dev golang-grpc-gateway)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then missing+=("$package"); fi
done

command_line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]:-}"
if [[ "${1:-}" == "--print" ]]; then
  if ((${#missing[@]} == 0)); then echo "all peer packages are installed"; else echo "$command_line"; fi
  exit 0
fi

if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" != "0" ]]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them as root with:" >&2
    echo "  $command_line" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# A GOPATH of our own (generated code + our two programs) in front of Debian's.
gocode=/usr/share/gocode
gopath="$out/gopath"
rm -rf "$gopath/src/rosettabench"
mkdir -p "$gopath/src/rosettabench/gateway" "$gopath/src/rosettabench/upstream" "$out/bin"
protoc \
  -I "$here/proto" \
  -I "$gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis" \
  --go_out=plugins=grpc:"$gopath/src" \
  --grpc-gateway_out=logtostderr=true:"$gopath/src" \
  rosetta/bench/v1/orders.proto
cp "$here/gateway/main.go" "$gopath/src/rosettabench/gateway/"
cp "$here/upstream/main.go" "$gopath/src/rosettabench/upstream/"

export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$gopath:$gocode" GOCACHE="$out/go-cache"
go build -o "$out/bin/grpc-gateway-orders" rosettabench/gateway
go build -o "$out/bin/grpc-go-orders" rosettabench/upstream
echo "built: $out/bin/grpc-gateway-orders $out/bin/grpc-go-orders ($(go version))" >&2
