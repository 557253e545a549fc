#!/usr/bin/env bash
# Builds the offline deploy-validation tools from the Go module proxy into .cache/bin, fetches the
# Kubernetes JSON schemas from PyPI into .cache/k8s-schemas and shellcheck from Debian's packages.
# Idempotent: a tool whose stamp (.cache/bin/.<tool>.version) names the pinned version is not rebuilt.
#
#   scripts/deploy/tools.sh all            every tool below
#   scripts/deploy/tools.sh <tool>...      helm kubeconform helm-unittest helm-docs tofu tflint compose shellcheck k8s-schemas crd-schemas
#   scripts/deploy/tools.sh versions       print the pinned versions
#
# Why build from module source rather than `go install mod@version`: `go install` refuses
# modules whose go.mod has replace directives (docker compose, OpenTofu), so every tool is built
# the same way: `go mod download` the module, copy it out of the read-only module cache, and
# `go build` inside it, with the version stamped through -ldflags where the tool reads one.
# GitHub release downloads are not reachable from CI; the Go module proxy and PyPI are.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/.cache/bin"
src_root="$root/.cache/go-src"
# shellcheck source=../dev/lib/debian-package.sh
source "$root/scripts/dev/lib/debian-package.sh"
mkdir -p "$bin" "$src_root"

HELM_VERSION="v3.22.0"
KUBECONFORM_VERSION="v0.7.0"
HELM_UNITTEST_VERSION="v1.1.2"
TOFU_VERSION="v1.10.10"
TFLINT_VERSION="v0.61.0"
COMPOSE_VERSION="v2.40.3"
HELM_DOCS_VERSION="v1.14.2"
# The Kubernetes minor the charts target: K3s v1.34 (deploy/terraform pins the K3s release).
K8S_SCHEMA_VERSION="1.34.0"
# kubernetes-validate 1.34.1 carries the schemas of Kubernetes 1.25.0 ... 1.34.0 (its last minor).
K8S_VALIDATE_VERSION="1.34.1"
# CRDs of the custom resources the charts render, from the operators' own Go modules.
PROMETHEUS_OPERATOR_VERSION="v0.85.0"
KEDA_VERSION="v2.18.0"
# The operators of the optional Secrets-from-AWS and TLS layers (docs/DEPLOY.md), for their CRDs.
EXTERNAL_SECRETS_VERSION="v1.3.2"
CERT_MANAGER_VERSION="v1.21.2"

log() { echo "tools: $*" >&2; }
die() { echo "tools: ERROR: $*" >&2; exit 1; }

command -v go >/dev/null || die "Go is needed to build the deploy tools (go 1.24 or newer)"

# build_go <name> <module> <version> <package dir in module> [ldflags]
build_go() {
  local name="$1" module="$2" version="$3" pkg="$4" ldflags="${5:-}"
  local stamp="$bin/.$name.version"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$module@$version" ]]; then
    return 0
  fi
  log "building $name ($module@$version) from the Go module proxy; takes minutes the first time"
  local started=$SECONDS dir
  dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $module@$version gave no source directory"
  local work="$src_root/$name-$version"
  if [[ ! -f "$work/go.mod" ]]; then
    rm -rf "$work.tmp"
    cp -r "$dir" "$work.tmp"
    chmod -R u+w "$work.tmp"
    mv "$work.tmp" "$work"
  fi
  # -mod=mod: the module zips carry go.sum but not always a vendor tree in sync with it.
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "./$pkg")
  mv -f "$bin/$name.tmp" "$bin/$name"
  echo "$module@$version" >"$stamp"
  log "built $name in $((SECONDS - started)) s"
}

tool_helm() {
  build_go helm helm.sh/helm/v3 "$HELM_VERSION" cmd/helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
}
# helm-docs writes each chart's README values table from the `# --` comments in values.yaml.
tool_helm_docs() { build_go helm-docs github.com/norwoodj/helm-docs "$HELM_DOCS_VERSION" cmd/helm-docs; }
tool_kubeconform() { build_go kubeconform github.com/yannh/kubeconform "$KUBECONFORM_VERSION" cmd/kubeconform; }
# helm-unittest's binary renders charts with Helm's library itself, so it runs without a plugin
# install (whose hook would download from GitHub): `.cache/bin/helm-unittest <chart>`.
tool_helm_unittest() {
  build_go helm-unittest github.com/helm-unittest/helm-unittest "$HELM_UNITTEST_VERSION" cmd/helm-unittest
}
tool_tofu() {
  build_go tofu github.com/opentofu/opentofu "$TOFU_VERSION" cmd/tofu \
    "-X github.com/opentofu/opentofu/version.dev=no"
}
tool_tflint() { build_go tflint github.com/terraform-linters/tflint "$TFLINT_VERSION" .; }
tool_compose() {
  build_go docker-compose github.com/docker/compose/v2 "$COMPOSE_VERSION" cmd \
    "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"
}

# Kubernetes JSON schemas (strict: unknown fields are errors; <kind>-<group>-<version>.json with
# refs into _definitions.json, the layout kubeconform reads) from PyPI's
# kubernetes-validate wheel: a zip, unpacked without installing anything.
tool_k8s_schemas() {
  local dest="$root/.cache/k8s-schemas" want="v$K8S_SCHEMA_VERSION-local-strict"
  # Reused only while its refs still point here (a moved clone refetches).
  grep -qF "file://$dest/$want/_definitions.json#" "$dest/$want/deployment-apps-v1.json" 2>/dev/null && return 0
  command -v python3 >/dev/null || die "python3 is needed to fetch the Kubernetes schemas from PyPI"
  log "fetching Kubernetes $K8S_SCHEMA_VERSION JSON schemas from PyPI (kubernetes-validate)"
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "kubernetes-validate==$K8S_VALIDATE_VERSION" >&2
  local wheel
  wheel="$(find "$tmp" -maxdepth 1 -name 'kubernetes_validate-*.whl' | head -n 1)"
  [[ -n "$wheel" ]] || die "pip download produced no kubernetes_validate wheel"
  # The schemas $ref "/api/_definitions.json#/..."; kubeconform resolves a ref only as a URL,
  # so they are rewritten to this machine's absolute file:// URL while unpacking.
  rm -rf "${dest:?}/$want" "${dest:?}/$want.tmp"
  mkdir -p "$dest/$want.tmp"
  python3 - "$wheel" "$dest/$want.tmp" "$want" <<'PY'
import os, sys, zipfile
wheel, out, want = sys.argv[1:4]
final = "file://" + os.path.abspath(out[: -len(".tmp")]) + "/_definitions.json#"
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if f"/{want}/" in n and n.endswith(".json")]
    if not names:
        sys.exit(f"the wheel has no {want} schemas")
    for name in names:
        text = z.read(name).decode().replace('"/api/_definitions.json#', '"' + final)
        with open(os.path.join(out, os.path.basename(name)), "w") as f:
            f.write(text)
PY
  mv "$dest/$want.tmp" "$dest/$want"
  log "schemas in .cache/k8s-schemas/$want"
}

# JSON schemas of ServiceMonitor, PrometheusRule (prometheus-operator), ScaledObject,
# TriggerAuthentication (KEDA), ClusterSecretStore, ExternalSecret (External Secrets Operator) and
# ClusterIssuer, Certificate (cert-manager), converted from the CRD YAMLs by scripts/deploy/crd-schemas.ts.
tool_crd_schemas() {
  local dest="$root/.cache/crd-schemas"
  local stamp="$dest/.versions"
  local want="prometheus-operator@$PROMETHEUS_OPERATOR_VERSION keda@$KEDA_VERSION external-secrets@$EXTERNAL_SECRETS_VERSION cert-manager@$CERT_MANAGER_VERSION"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  log "converting CRDs ($want) into JSON schemas"
  local promop keda eso certmanager
  promop="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  keda="$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  eso="$(module_dir "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS_VERSION")"
  certmanager="$(module_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")"
  [[ -d "$promop" && -d "$keda" && -d "$eso" && -d "$certmanager" ]] || die "go mod download gave no source for the CRDs"
  rm -rf "$dest"
  "$root/.cache/node/node_modules/.bin/node" -r @swc-node/register "$root/scripts/deploy/crd-schemas.ts" "$dest" \
    "$promop/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
    "$promop/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" \
    "$promop/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
    "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" \
    "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml" \
    "$eso/config/crds/bases/external-secrets.io_clustersecretstores.yaml" \
    "$eso/config/crds/bases/external-secrets.io_secretstores.yaml" \
    "$eso/config/crds/bases/external-secrets.io_externalsecrets.yaml" \
    "$certmanager/deploy/crds/cert-manager.io_clusterissuers.yaml" \
    "$certmanager/deploy/crds/cert-manager.io_issuers.yaml" \
    "$certmanager/deploy/crds/cert-manager.io_certificates.yaml"
  echo "$want" >"$stamp"
}

# module_dir <module@version>: the module's source folder, downloaded from the Go module proxy.
module_dir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# The shellcheck tool, from Debian's package (scripts/dev/lib/debian-package.sh), for the scripts
# that cannot run here (scripts/cluster) and all others.
tool_shellcheck() {
  [[ -x "$bin/shellcheck" ]] && "$bin/shellcheck" --version >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null || die "apt-get is needed to fetch shellcheck from Debian's packages"
  fetch_debian_binary shellcheck usr/bin/shellcheck "$bin/shellcheck" || die "shellcheck could not be installed"
}

versions() {
  cat <<EOF
helm $HELM_VERSION
kubeconform $KUBECONFORM_VERSION
helm-unittest $HELM_UNITTEST_VERSION
tofu $TOFU_VERSION
tflint $TFLINT_VERSION
docker-compose $COMPOSE_VERSION
helm-docs $HELM_DOCS_VERSION
kubernetes schemas $K8S_SCHEMA_VERSION (PyPI kubernetes-validate $K8S_VALIDATE_VERSION)
prometheus-operator CRDs $PROMETHEUS_OPERATOR_VERSION
KEDA CRDs $KEDA_VERSION
External Secrets Operator CRDs $EXTERNAL_SECRETS_VERSION
cert-manager CRDs $CERT_MANAGER_VERSION
shellcheck (Debian's package)
EOF
}

[[ $# -gt 0 ]] || set -- all
for arg in "$@"; do
  case "$arg" in
    all) tool_k8s_schemas; tool_crd_schemas; tool_kubeconform; tool_helm; tool_helm_unittest; tool_helm_docs; tool_tflint; tool_tofu; tool_compose; tool_shellcheck ;;
    helm) tool_helm ;;
    kubeconform) tool_kubeconform ;;
    helm-unittest) tool_helm_unittest ;;
    helm-docs) tool_helm_docs ;;
    tofu) tool_tofu ;;
    tflint) tool_tflint ;;
    compose | docker-compose) tool_compose ;;
    k8s-schemas) tool_k8s_schemas ;;
    crd-schemas) tool_crd_schemas ;;
    shellcheck) tool_shellcheck ;;
    versions) versions ;;
    *) die "unknown tool '$arg' (all, helm, kubeconform, helm-unittest, helm-docs, tofu, tflint, compose, shellcheck, k8s-schemas, crd-schemas, versions)" ;;
  esac
done
