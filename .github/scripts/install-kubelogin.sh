#!/usr/bin/env bash
# Install the pinned Azure kubelogin release (the Helm provider's exec credential plugin,
# constructs_lib/aks/helm.py) and put it on PATH for the job's later steps.
#
#   bash .github/scripts/install-kubelogin.sh
#
# The only place the version and checksum live: every workflow job that runs `make plan` or
# `make deploy` calls this script (tests/test_workflows.py checks both).
#
# KUBELOGIN_SHA256 is the SHA-256 of kubelogin-linux-amd64.zip of the release, as the release's
# own checksum asset kubelogin-linux-amd64.zip.sha256 publishes it. Looked up (not downloaded and
# hashed here) in Azure's Homebrew tap, which copies that asset: github.com/Azure/homebrew-kubelogin
# Formula/kubelogin.rb (version "0.2.20", the linux amd64 `sha256`) and
# downloads/kubelogin-linux-amd64.zip.sha256. To update: take version and checksum together from
# https://github.com/Azure/kubelogin/releases/download/<version>/kubelogin-linux-amd64.zip.sha256
# (or the release page's asset digest), never from the zip you are about to check.
#
# Fails closed: an empty or malformed checksum, a download error or a checksum mismatch stops the
# job before anything is unpacked. Needs Linux x86_64, curl, sha256sum, and unzip or python3.
set -euo pipefail

KUBELOGIN_VERSION="v0.2.20"
KUBELOGIN_SHA256="2e92450a929dd2aec4da818b40dd4fda97aaeae2d6cd9c1074cc1371210f4ab9"

asset="kubelogin-linux-amd64.zip"
url="https://github.com/Azure/kubelogin/releases/download/${KUBELOGIN_VERSION}/${asset}"

fail() {
  echo "::error::install-kubelogin: $*" >&2
  exit 1
}

[[ "$KUBELOGIN_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "KUBELOGIN_VERSION '${KUBELOGIN_VERSION}' is not a release tag like v0.2.20"
[[ "$KUBELOGIN_SHA256" =~ ^[0-9a-f]{64}$ ]] || fail "KUBELOGIN_SHA256 is empty or not 64 lowercase hex digits: refusing to install an unverified kubelogin"
[[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] || fail "this runner is $(uname -s)/$(uname -m); the pinned asset is ${asset} (Linux x86_64)"
: "${RUNNER_TEMP:?RUNNER_TEMP is not set (run inside GitHub Actions)}"
: "${GITHUB_PATH:?GITHUB_PATH is not set (run inside GitHub Actions)}"

work="$(mktemp -d "${RUNNER_TEMP}/kubelogin-download.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dest="${RUNNER_TEMP}/kubelogin-${KUBELOGIN_VERSION}"

curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --retry 3 \
  --output "${work}/${asset}" "$url" || fail "download of ${url} failed"
(cd "$work" && printf '%s  %s\n' "$KUBELOGIN_SHA256" "$asset" | sha256sum --check --strict --quiet -) \
  || fail "${asset} ${KUBELOGIN_VERSION} does not match the pinned SHA-256: not installing it"

mkdir -p "${work}/unpacked"
if command -v unzip >/dev/null 2>&1; then
  unzip -q "${work}/${asset}" -d "${work}/unpacked"
else
  python3 -m zipfile -e "${work}/${asset}" "${work}/unpacked"
fi
binary="${work}/unpacked/bin/linux_amd64/kubelogin"
[[ -f "$binary" ]] || fail "${asset} has no bin/linux_amd64/kubelogin"

mkdir -p "$dest"
install -m 0755 "$binary" "${dest}/kubelogin"
echo "$dest" >> "$GITHUB_PATH"
echo "kubelogin ${KUBELOGIN_VERSION} (sha256 ${KUBELOGIN_SHA256}) installed in ${dest}"
"${dest}/kubelogin" --version
