#!/usr/bin/env bash
# The cluster lifecycle behind the Makefile targets, in the order of docs/DEPLOY.md:
#
#   up                bootstrap, kubeconfig, monitoring, deploy and validate in one go, with one TOPOLOGY
#   bootstrap         tofu apply deploy/terraform (VPC, K3s server and agents on EC2)
#   kubeconfig        fetch the kubeconfig through SSM into .local/cluster/kubeconfig, wait for the nodes
#   monitoring        kube-prometheus-stack, Loki and Grafana Alloy (+ KEDA when TOPOLOGY=ha or KEDA=1)
#   deploy            Kafka, MongoDB and tokenmeter with the values of TOPOLOGY (single | ha; ha first installs
#                     cert-manager and the in-cluster CA of deploy/helm/tokenmeter-edge for TLS hops)
#   validate          smoke test through port-forwards: post events, read each one back
#   verify-scale-hpa  drive load from an in-cluster Job through the producer's Service; print HPA replicas
#                     and the consumer lag from Prometheus as they change
#   destroy           tofu destroy (asks first unless AUTO_APPROVE=1)
#
# Needs on the machine that runs it: kubectl, the AWS CLI with the session-manager plugin (for
# bootstrap / kubeconfig), openssl, curl; helm and OpenTofu come from scripts/deploy/tools.sh.
# None of this runs in CI: it needs an AWS account and a cluster (CI validates the artifacts offline).
#
# Env: TF_DIR (the Terraform root: deploy/terraform/examples/single-node for TOPOLOGY=single,
#      examples/three-nodes for ha), TF_VAR_FILE (optional .tfvars; or TF_VAR_api_allowed_cidrs='["1.2.3.4/32"]'),
#      TOFU (OpenTofu from .cache/bin; `terraform` works too), KUBECONFIG (.local/cluster/kubeconfig), NAMESPACE (tokenmeter), TOPOLOGY (single),
#      IMAGE_REGISTRY (required by deploy), IMAGE_TAG (the chart's appVersion), LOAD_RATE (2000 events/s), LOAD_PODS (2),
#      LOAD_SECONDS (300), COOLDOWN_SECONDS (180), WAIT_SECONDS (900), ALERT_WEBHOOK_URL (monitoring: where
#      Alertmanager posts alerts; kept in Secret monitoring/alertmanager-receiver), BACKUPS (deploy: 1 turns
#      on the mongodb chart's nightly dump to the bucket of Terraform's `backups`), SECRETS (cluster: generated
#      into Secrets; aws: generated into SSM parameters and synced by the External Secrets Operator), LONG_TERM
#      (monitoring: 1 keeps metrics (Thanos sidecar) and logs (Loki) in the buckets of Terraform's `long_term_storage`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../../deploy/cluster/versions.env
source deploy/cluster/versions.env

state="$root/.local/cluster"
TF_VAR_FILE="${TF_VAR_FILE:-}"
export KUBECONFIG="${KUBECONFIG:-$state/kubeconfig}"
NAMESPACE="${NAMESPACE:-tokenmeter}"
TOPOLOGY="${TOPOLOGY:-single}"
WAIT_SECONDS="${WAIT_SECONDS:-900}"
helm_bin="$root/.cache/bin/helm"

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: ERROR: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is not installed; $2"; }

tofu_cmd() {
  if [[ -n "${TOFU:-}" ]]; then
    "$TOFU" "$@"
  else
    scripts/deploy/tools.sh tofu
    "$root/.cache/bin/tofu" "$@"
  fi
}

helm_cmd() {
  [[ -x "$helm_bin" ]] || scripts/deploy/tools.sh helm
  "$helm_bin" "$@"
}

case "$TOPOLOGY" in
  single) tf_dir="${TF_DIR:-deploy/terraform/examples/single-node}" ;;
  ha) tf_dir="${TF_DIR:-deploy/terraform/examples/three-nodes}" ;;
  *) die "TOPOLOGY must be single (1 broker, standalone MongoDB) or ha (3 brokers, replica set, KEDA), not '$TOPOLOGY'" ;;
esac

# -var-file when TF_VAR_FILE is set; otherwise variables come from TF_VAR_* in the environment.
var_args=()
if [[ -n "$TF_VAR_FILE" ]]; then
  [[ -f "$TF_VAR_FILE" ]] || die "TF_VAR_FILE=$TF_VAR_FILE does not exist"
  var_args=("-var-file=$(realpath "$TF_VAR_FILE")")
fi

bootstrap() {
  require_api_cidrs
  log "Terraform root: $tf_dir"
  tofu_cmd -chdir="$tf_dir" init -input=false
  tofu_cmd -chdir="$tf_dir" apply -input=false "${var_args[@]}"
  log "applied; next: make kubeconfig (K3s takes a few minutes to install on first boot)"
}

kubeconfig() {
  need aws "install the AWS CLI v2 and the session-manager plugin"
  need kubectl "install kubectl matching the cluster's minor version"
  mkdir -p "$state"
  chmod 700 "$state"
  local command deadline=$((SECONDS + WAIT_SECONDS))
  command="$(tofu_cmd -chdir="$tf_dir" output -raw kubeconfig_command)"
  # The server publishes its kubeconfig to SSM once K3s is up; until then the parameter is missing.
  until bash -c "$command" >"$KUBECONFIG.tmp" 2>/dev/null && [[ -s "$KUBECONFIG.tmp" ]]; do
    ((SECONDS < deadline)) || die "no kubeconfig in SSM after ${WAIT_SECONDS}s; check the server's cloud-init log through 'tofu output ssm_session_command'"
    log "waiting for the K3s server to publish its kubeconfig..."
    sleep 15
  done
  chmod 600 "$KUBECONFIG.tmp"
  mv "$KUBECONFIG.tmp" "$KUBECONFIG"
  local expected
  expected=$(($(tofu_cmd -chdir="$tf_dir" output -json agent_private_ips | tr -cd ',' | wc -c) + 2))
  [[ "$(tofu_cmd -chdir="$tf_dir" output -json agent_private_ips)" == "[]" ]] && expected=1
  until [[ "$(kubectl get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)" -ge "$expected" ]]; do
    ((SECONDS < deadline)) || die "fewer than $expected nodes Ready after ${WAIT_SECONDS}s: $(kubectl get nodes --no-headers 2>&1 | tr '\n' ';')"
    log "waiting for $expected nodes to be Ready..."
    sleep 10
  done
  kubectl get nodes -o wide
  log "kubeconfig in $KUBECONFIG; use it with: export KUBECONFIG=$KUBECONFIG"
}

# The in-cluster connection string of USER (PASSWORD) for DATABASE, authenticated against AUTH_DB:
# the three replica-set members in ha, the single Service otherwise.
mongodb_uri() {
  local user="$1" password="$2" database="$3" auth_db="$4"
  local domain="$NAMESPACE.svc.cluster.local" hosts query="authSource=$auth_db"
  if [[ "$TOPOLOGY" == ha ]]; then
    hosts="mongodb-0.mongodb-headless.$domain:27017,mongodb-1.mongodb-headless.$domain:27017,mongodb-2.mongodb-headless.$domain:27017"
    query+="&replicaSet=rs0"
  else
    hosts="mongodb.$domain:27017"
  fi
  echo "mongodb://$user:$password@$hosts/$database?$query"
}

ensure_secret() { # ensure_secret <namespace> <name> <key=value>...: created once, never rotated here
  local ns="$1" name="$2"
  shift 2
  if secret_exists "$ns" "$name"; then
    return 0
  fi
  if managed_by_aws "$name"; then
    put_parameters "$name" "" "$@"
    return 0
  fi
  local args=()
  for pair in "$@"; do args+=("--from-literal=$pair"); done
  kubectl -n "$ns" create secret generic "$name" "${args[@]}" >/dev/null
  log "created Secret $ns/$name"
}

# SECRETS=aws: the Secrets the tokenmeter-secrets chart lists live as SSM parameters
# <prefix>/<name>/<key> and reach the cluster through the External Secrets Operator.
aws_secret_names=" mongodb-auth mongodb-keyfile mongodb-app mongodb-metrics tokenmeter-api-keys tokenmeter-query-api-keys grafana-admin grafana-tokenmeter-api-key "
managed_by_aws() { [[ "${SECRETS:-cluster}" == aws && "$aws_secret_names" == *" $1 "* ]]; }

# external_secrets_settings: region, parameter prefix and key parameter from Terraform's output (once).
external_secrets_settings() {
  [[ -n "${eso_region:-}" ]] && return 0
  need aws "install the AWS CLI v2"
  need jq "install jq"
  local output
  output="$(tofu_cmd -chdir="$tf_dir" output -json external_secrets)"
  eso_region="$(jq -r '.region // empty' <<<"$output")"
  [[ -n "$eso_region" ]] || die "SECRETS=aws needs external_secrets = { enabled = true } in the Terraform root ($tf_dir)"
  eso_prefix="$(jq -r .parameter_prefix <<<"$output")"
  eso_credentials_parameter="$(jq -r .credentials_parameter <<<"$output")"
}

secret_exists() { # secret_exists <namespace> <name>: in the cluster, or (SECRETS=aws) as parameters
  if managed_by_aws "$2"; then
    external_secrets_settings
    [[ "$(aws ssm get-parameters-by-path --region "$eso_region" --path "$eso_prefix/$2" \
      --query 'length(Parameters)' --output text)" != 0 ]]
  else
    kubectl -n "$1" get secret "$2" >/dev/null 2>&1
  fi
}

put_parameters() { # put_parameters <name> <--overwrite or ""> <key=value>...
  local name="$1" overwrite="$2"
  shift 2
  external_secrets_settings
  for pair in "$@"; do
    aws ssm put-parameter --region "$eso_region" --type SecureString --name "$eso_prefix/$name/${pair%%=*}" \
      --value "${pair#*=}" ${overwrite:+"$overwrite"} >/dev/null
  done
  log "put parameters $eso_prefix/$name/*"
}

# sync_external_secrets <namespace> <name>...: the operator (pinned chart), its bootstrap Secret with
# the IAM user's key, the tokenmeter-secrets chart, then waits until the named Secrets are written.
sync_external_secrets() {
  [[ "${SECRETS:-cluster}" == aws ]] || return 0
  local ns="$1"
  shift
  external_secrets_settings
  local credentials
  credentials="$(aws ssm get-parameter --region "$eso_region" --name "$eso_credentials_parameter" \
    --with-decryption --query Parameter.Value --output text)"
  kubectl create namespace external-secrets --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  apply_secret external-secrets external-secrets-aws \
    "access-key-id=$(jq -r '."access-key-id"' <<<"$credentials")" \
    "secret-access-key=$(jq -r '."secret-access-key"' <<<"$credentials")"
  helm_cmd repo add external-secrets https://charts.external-secrets.io --force-update >/dev/null
  helm_cmd upgrade --install external-secrets external-secrets/external-secrets -n external-secrets \
    --version "$EXTERNAL_SECRETS_CHART_VERSION" --wait --timeout "${WAIT_SECONDS}s"
  helm_cmd upgrade --install tokenmeter-secrets deploy/helm/tokenmeter-secrets -n "$NAMESPACE" \
    --set store.region="$eso_region" --set remotePrefix="$eso_prefix" --wait --timeout "${WAIT_SECONDS}s"
  for name in "$@"; do
    # A parameter put after the ExternalSecret first failed is read now, not at the next refresh.
    kubectl -n "$ns" annotate externalsecret "$name" "force-sync=$(date +%s)" --overwrite >/dev/null
    kubectl -n "$ns" wait --for=condition=Ready "externalsecret/$name" --timeout="${WAIT_SECONDS}s" >/dev/null
  done
  log "Secrets $ns/{$(IFS=,; echo "$*")} synced from $eso_prefix"
}

random() { openssl rand -hex "${1:-24}"; }

# apply_secret <namespace> <name> <key=value>...: created or replaced (for values the operator changes).
apply_secret() {
  local ns="$1" name="$2"
  shift 2
  if managed_by_aws "$name"; then
    put_parameters "$name" --overwrite "$@"
    return 0
  fi
  local args=()
  for pair in "$@"; do args+=("--from-literal=$pair"); done
  kubectl -n "$ns" create secret generic "$name" "${args[@]}" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  log "applied Secret $ns/$name"
}

# Alertmanager's receiver URL (kube-prometheus-stack-values.yaml reads it through url_file). Without
# ALERT_WEBHOOK_URL a first install gets a URL that goes nowhere, and a warning; set it and re-run.
alert_receiver() {
  if [[ -n "${ALERT_WEBHOOK_URL:-}" ]]; then
    apply_secret monitoring alertmanager-receiver "url=$ALERT_WEBHOOK_URL"
  else
    ensure_secret monitoring alertmanager-receiver "url=http://127.0.0.1:9/no-receiver-configured"
    log "WARNING: alerts go nowhere until you set ALERT_WEBHOOK_URL and run 'make monitoring' again (docs/DEPLOY.md, 'Alerts')"
  fi
}

# A read-only API key for Grafana's Infinity data source: the key in the monitoring namespace, its
# hash in tokenmeter-query-api-keys, which only the query API reads (the producer never accepts it).
grafana_api_key() {
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  if ! secret_exists monitoring grafana-tokenmeter-api-key; then
    local key
    key="$(random)"
    apply_secret "$NAMESPACE" tokenmeter-query-api-keys \
      "api-keys=sha256:$(printf '%s' "$key" | openssl dgst -sha256 -r | cut -d' ' -f1)=*"
    ensure_secret monitoring grafana-tokenmeter-api-key "api-key=$key"
  fi
}

monitoring() {
  need kubectl "install kubectl"
  need openssl "install openssl"
  kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  ensure_secret monitoring grafana-admin admin-user=admin "admin-password=$(random 16)"
  alert_receiver
  grafana_api_key
  sync_external_secrets monitoring grafana-admin grafana-tokenmeter-api-key
  helm_cmd repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update >/dev/null
  helm_cmd repo add grafana https://grafana.github.io/helm-charts --force-update >/dev/null
  helm_cmd repo update prometheus-community grafana >/dev/null
  # Per-topology overlays (deploy/cluster/monitoring/<topology>/): ha keeps Prometheus and Loki on EBS.
  local overlay=deploy/cluster/monitoring/$TOPOLOGY kps_values=() loki_values=()
  [[ -f "$overlay/kube-prometheus-stack-values.yaml" ]] && kps_values=(-f "$overlay/kube-prometheus-stack-values.yaml")
  [[ -f "$overlay/loki-values.yaml" ]] && loki_values=(-f "$overlay/loki-values.yaml")
  long_term_storage
  helm_cmd upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack -n monitoring \
    --version "$KUBE_PROMETHEUS_STACK_VERSION" -f deploy/cluster/monitoring/kube-prometheus-stack-values.yaml \
    "${kps_values[@]}" --wait --timeout "${WAIT_SECONDS}s"
  helm_cmd upgrade --install loki grafana/loki -n monitoring --version "$LOKI_CHART_VERSION" \
    -f deploy/cluster/monitoring/loki-values.yaml "${loki_values[@]}" --wait --timeout "${WAIT_SECONDS}s"
  helm_cmd upgrade --install alloy grafana/alloy -n monitoring --version "$ALLOY_CHART_VERSION" \
    -f deploy/cluster/monitoring/alloy-values.yaml --wait --timeout "${WAIT_SECONDS}s"
  if [[ "$TOPOLOGY" == "ha" || "${KEDA:-0}" == "1" ]]; then
    helm_cmd repo add kedacore https://kedacore.github.io/charts --force-update >/dev/null
    helm_cmd upgrade --install keda kedacore/keda -n keda --create-namespace --version "$KEDA_CHART_VERSION" \
      --wait --timeout "${WAIT_SECONDS}s"
  fi
  log "Grafana: kubectl -n monitoring port-forward svc/kube-prometheus-stack-grafana 3300:80, then http://localhost:3300"
  log "  user admin, password: kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d"
}

require_registry() {
  [[ -n "${IMAGE_REGISTRY:-}" ]] || die "IMAGE_REGISTRY is required: the registry the images were pushed to (docs/DEPLOY.md, 'Images')"
}

require_api_cidrs() {
  if [[ -z "$TF_VAR_FILE" && -z "${TF_VAR_api_allowed_cidrs:-}" ]]; then
    die "say who may reach the Kubernetes API: TF_VAR_api_allowed_cidrs='[\"<your egress IP>/32\"]' (or TF_VAR_FILE=<file.tfvars>)"
  fi
}

# The charts leave out ServiceMonitors, PrometheusRules and the ScaledObject where their CRDs are
# missing (a bare cluster installs cleanly); for a topology that needs them, missing CRDs mean
# `make monitoring` ran with another TOPOLOGY, so say so instead of deploying without them.
require_crds() {
  local crds=(servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com)
  [[ "$TOPOLOGY" == ha ]] && crds+=(scaledobjects.keda.sh)
  local crd
  for crd in "${crds[@]}"; do
    kubectl get crd "$crd" >/dev/null 2>&1 ||
      die "CRD $crd is missing: run 'make monitoring TOPOLOGY=$TOPOLOGY' first (or 'make up TOPOLOGY=$TOPOLOGY' for the whole sequence)"
  done
}

# internal_tls: TOPOLOGY=ha encrypts the in-cluster hops: cert-manager (pinned chart) and the
# tokenmeter-edge chart's in-cluster CA, which issues kafka-tls and mongodb-tls for the charts' TLS
# listeners. Other tokenmeter-edge values (ACME, Ingresses) set by hand are kept.
internal_tls() {
  [[ "$TOPOLOGY" == ha ]] || return 0
  helm_cmd repo add jetstack https://charts.jetstack.io --force-update >/dev/null
  helm_cmd upgrade --install cert-manager jetstack/cert-manager -n cert-manager --create-namespace \
    --version "$CERT_MANAGER_CHART_VERSION" --set crds.enabled=true --wait --timeout "${WAIT_SECONDS}s"
  helm_cmd upgrade --install tokenmeter-edge deploy/helm/tokenmeter-edge -n "$NAMESPACE" --reuse-values \
    --set internalTls.enabled=true --wait --timeout "${WAIT_SECONDS}s"
  kubectl -n "$NAMESPACE" wait --for=condition=Ready certificate/kafka-tls certificate/mongodb-tls \
    --timeout="${WAIT_SECONDS}s" >/dev/null
  log "in-cluster TLS: Secrets kafka-tls and mongodb-tls issued by the tokenmeter-internal-ca Issuer"
}

# long_term_storage: with LONG_TERM=1, the Thanos sidecar's and Loki's buckets from Terraform's
# `long_term_storage` output, their key from SSM into Secrets monitoring/thanos-objstore and
# monitoring/loki-s3, and the long-term overlays appended to monitoring()'s kps_values and loki_values.
long_term_storage() {
  [[ "${LONG_TERM:-0}" == 1 ]] || return 0
  need aws "install the AWS CLI v2"
  need jq "install jq"
  local output region metrics logs credentials key_id secret
  output="$(tofu_cmd -chdir="$tf_dir" output -json long_term_storage)"
  region="$(jq -r '.region // empty' <<<"$output")"
  [[ -n "$region" ]] || die "LONG_TERM=1 needs long_term_storage = { enabled = true } in the Terraform root ($tf_dir)"
  metrics="$(jq -r .metrics_bucket <<<"$output")"
  logs="$(jq -r .logs_bucket <<<"$output")"
  credentials="$(aws ssm get-parameter --region "$region" --name "$(jq -r .credentials_parameter <<<"$output")" \
    --with-decryption --query Parameter.Value --output text)"
  key_id="$(jq -r .AWS_ACCESS_KEY_ID <<<"$credentials")"
  secret="$(jq -r .AWS_SECRET_ACCESS_KEY <<<"$credentials")"
  apply_secret monitoring loki-s3 "AWS_ACCESS_KEY_ID=$key_id" "AWS_SECRET_ACCESS_KEY=$secret"
  apply_secret monitoring thanos-objstore "objstore.yml=$(printf 'type: S3\nconfig:\n  bucket: %s\n  endpoint: s3.%s.amazonaws.com\n  region: %s\n  access_key: %s\n  secret_key: %s\n' \
    "$metrics" "$region" "$region" "$key_id" "$secret")"
  kps_values+=(-f deploy/cluster/monitoring/long-term/kube-prometheus-stack-values.yaml)
  loki_values+=(-f deploy/cluster/monitoring/long-term/loki-values.yaml
    --set "loki.storage.bucketNames.chunks=$logs" --set "loki.storage.bucketNames.ruler=$logs"
    --set "loki.storage.bucketNames.admin=$logs" --set "loki.storage.s3.region=$region"
    --set "loki.limits_config.retention_period=$(jq -r .logs_retention_hours <<<"$output")h")
}

# mongodb_backup_args: with BACKUPS=1, the writer's key from SSM into Secret mongodb-backup-aws and the
# chart values that point the backup CronJob at the bucket of Terraform's `backups` output.
mongodb_backup_args() {
  [[ "${BACKUPS:-0}" == 1 ]] || return 0
  need aws "install the AWS CLI v2"
  need jq "install jq"
  local bucket region prefix parameter credentials
  bucket="$(tofu_cmd -chdir="$tf_dir" output -json backups | jq -r '.bucket // empty')"
  [[ -n "$bucket" ]] || die "BACKUPS=1 needs backups = { enabled = true } in the Terraform root ($tf_dir)"
  region="$(tofu_cmd -chdir="$tf_dir" output -json backups | jq -r .region)"
  prefix="$(tofu_cmd -chdir="$tf_dir" output -json backups | jq -r .prefix)"
  parameter="$(tofu_cmd -chdir="$tf_dir" output -json backups | jq -r .writer_credentials_parameter)"
  credentials="$(aws ssm get-parameter --region "$region" --name "$parameter" --with-decryption \
    --query Parameter.Value --output text)"
  apply_secret "$NAMESPACE" mongodb-backup-aws \
    "AWS_ACCESS_KEY_ID=$(jq -r .AWS_ACCESS_KEY_ID <<<"$credentials")" \
    "AWS_SECRET_ACCESS_KEY=$(jq -r .AWS_SECRET_ACCESS_KEY <<<"$credentials")"
  echo --set backup.enabled=true --set "backup.s3.bucket=$bucket" --set "backup.s3.region=$region" \
    --set "backup.s3.prefix=$prefix" --set backup.credentialsSecret=mongodb-backup-aws
}

deploy() {
  require_registry
  need kubectl "install kubectl"
  need openssl "install openssl"
  require_crds
  local values="deploy/cluster/values/$TOPOLOGY"
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  # Credentials are generated once, kept in Secrets and referenced by the charts (existingSecret).
  ensure_secret "$NAMESPACE" mongodb-auth mongodb-root-username=root "mongodb-root-password=$(random)"
  ensure_secret "$NAMESPACE" mongodb-keyfile "keyfile=$(random 48)"
  local password
  if ! secret_exists "$NAMESPACE" mongodb-app; then
    # The application user's password and the connection string the processor and query API read.
    password="$(random)"
    ensure_secret "$NAMESPACE" mongodb-app "mongodb-password=$password" \
      "mongodb-url=$(mongodb_uri tokenmeter "$password" tokenmeter tokenmeter)"
  fi
  if ! secret_exists "$NAMESPACE" mongodb-metrics; then
    # mongodb_exporter's monitoring user (the mongodb chart's auth.metricsUser).
    password="$(random)"
    ensure_secret "$NAMESPACE" mongodb-metrics "mongodb-password=$password" \
      "mongodb-uri=$(mongodb_uri metrics "$password" admin admin)"
  fi
  mkdir -p "$state"
  chmod 700 "$state"
  if ! secret_exists "$NAMESPACE" tokenmeter-api-keys; then
    local key
    key="$(random)"
    (umask 077 && printf '%s\n' "$key" >"$state/api-key")
    ensure_secret "$NAMESPACE" tokenmeter-api-keys \
      "api-keys=sha256:$(printf '%s' "$key" | openssl dgst -sha256 -r | cut -d' ' -f1)=*"
    log "API key (all tenants) saved in $state/api-key; only its hash is in the cluster"
  fi
  sync_external_secrets "$NAMESPACE" mongodb-auth mongodb-keyfile mongodb-app mongodb-metrics \
    tokenmeter-api-keys tokenmeter-query-api-keys
  internal_tls
  helm_cmd upgrade --install kafka deploy/helm/kafka -n "$NAMESPACE" -f "$values/kafka.yaml" \
    --wait --timeout "${WAIT_SECONDS}s"
  local backup_args=()
  read -r -a backup_args <<<"$(mongodb_backup_args)"
  helm_cmd upgrade --install mongodb deploy/helm/mongodb -n "$NAMESPACE" -f "$values/mongodb.yaml" \
    "${backup_args[@]}" --wait --wait-for-jobs --timeout "${WAIT_SECONDS}s"
  helm_cmd upgrade --install tokenmeter deploy/helm/tokenmeter -n "$NAMESPACE" -f "$values/tokenmeter.yaml" \
    --set image.registry="$IMAGE_REGISTRY" --set image.tag="${IMAGE_TAG:-}" \
    --wait --timeout "${WAIT_SECONDS}s"
  # Metrics of the stores themselves, for the alerts in kube-prometheus-stack-values.yaml.
  helm_cmd repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update >/dev/null
  helm_cmd upgrade --install kafka-exporter prometheus-community/prometheus-kafka-exporter -n "$NAMESPACE" \
    --version "$KAFKA_EXPORTER_CHART_VERSION" -f deploy/cluster/monitoring/kafka-exporter-values.yaml \
    --wait --timeout "${WAIT_SECONDS}s"
  helm_cmd upgrade --install mongodb-exporter prometheus-community/prometheus-mongodb-exporter -n "$NAMESPACE" \
    --version "$MONGODB_EXPORTER_CHART_VERSION" -f deploy/cluster/monitoring/mongodb-exporter-values.yaml \
    --wait --timeout "${WAIT_SECONDS}s"
  kubectl -n "$NAMESPACE" get pods -o wide
  log "deployed; next: make validate"
}

# port_forward <service> <port>: starts kubectl port-forward on a free local port, prints the port.
port_forward() {
  local service="$1" port="$2" local_port log_file
  log_file="$(mktemp)"
  kubectl -n "$NAMESPACE" port-forward "svc/$service" ":$port" >"$log_file" 2>&1 &
  forwards+=("$!")
  local deadline=$((SECONDS + 30))
  until local_port="$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) .*/\1/p' "$log_file" | head -n 1)" && [[ -n "$local_port" ]]; do
    ((SECONDS < deadline)) || die "port-forward to $service did not start: $(cat "$log_file")"
    sleep 0.5
  done
  echo "$local_port"
}
forwards=()
stop_forwards() { for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done; }

validate() {
  need kubectl "install kubectl"
  need curl "install curl"
  trap stop_forwards EXIT
  local producer query key auth=()
  producer="$(port_forward tokenmeter-producer 80)"
  query="$(port_forward tokenmeter-query-api 80)"
  if [[ -f "$state/api-key" ]]; then
    key="$(cat "$state/api-key")"
    auth=(-H "authorization: Bearer $key")
  fi
  local run_id now ids=() body=""
  run_id="validate-$(date -u +%Y%m%dT%H%M%SZ)-$RANDOM"
  now="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
  for i in 1 2 3; do
    ids+=("$run_id-$i")
    body+="{\"eventId\":\"$run_id-$i\",\"time\":\"$now\",\"model\":\"smoke-test\",\"tenant\":\"smoke\",\"node\":\"validate\",\"inputTokens\":$((i * 10)),\"outputTokens\":$i,\"durationMs\":100,\"status\":\"ok\"}"$'\n'
  done
  local status
  status="$(curl -sS -o /dev/stderr -w '%{http_code}' -X POST "http://127.0.0.1:$producer/v1/tokens" \
    -H 'content-type: application/x-ndjson' "${auth[@]}" --data-binary "$body")"
  [[ "$status" == 202 || "$status" == 200 ]] || die "POST /v1/tokens answered $status"
  log "posted 3 events ($run_id); reading them back"
  local started=$SECONDS
  for id in "${ids[@]}"; do
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "http://127.0.0.1:$query/v1/events/tokens/$id")" == 200 ]]; do
      ((SECONDS - started < 120)) || die "event $id was not queryable within 120 s"
      sleep 1
    done
    log "  $id stored and queryable after $((SECONDS - started)) s"
  done
  log "validate: OK"
}

# prom_query <PromQL>: the first value of an instant query, through the API server's service proxy to
# kube-prometheus-stack's Prometheus (no port-forward); empty when there is no series.
prom_query() {
  local query="$1" encoded
  encoded="$(printf '%s' "$query" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g')"
  kubectl get --raw \
    "/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:http-web/proxy/api/v1/query?query=$encoded" 2>/dev/null |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}

# The processor groups' lag as the brokers see it (kafka-exporter), independent of how many
# processor pods there are or whether they report.
consumer_lag() {
  local lag
  lag="$(prom_query 'sum(kafka_consumergroup_lag_sum{consumergroup=~"tokenmeter-processor\\..*"})')"
  echo "${lag:-n/a}"
}

# fill_template <file> NAME=value...: the file with each ${NAME} replaced (values without '|' or '&').
fill_template() {
  local file="$1" expr=()
  shift
  for pair in "$@"; do expr+=(-e "s|\${${pair%%=*}}|${pair#*=}|g"); done
  sed "${expr[@]}" "$file"
}

verify_scale_hpa() {
  need kubectl "install kubectl"
  local rate="${LOAD_RATE:-2000}" seconds="${LOAD_SECONDS:-300}" cooldown="${COOLDOWN_SECONDS:-180}"
  local parallelism="${LOAD_PODS:-2}" poll="${POLL_SECONDS:-10}" image
  ((rate >= parallelism)) || die "LOAD_RATE ($rate) must be at least LOAD_PODS ($parallelism)"
  kubectl get crd prometheuses.monitoring.coreos.com >/dev/null 2>&1 ||
    die "no kube-prometheus-stack in the cluster: the lag is read from its Prometheus (make monitoring)"
  # The load generator ships in the producer image: run exactly the one that is deployed.
  image="$(kubectl -n "$NAMESPACE" get deployment tokenmeter-producer -o jsonpath='{.spec.template.spec.containers[0].image}')" ||
    die "no producer Deployment in namespace $NAMESPACE (make deploy)"
  if [[ -f "$state/api-key" ]]; then
    apply_secret "$NAMESPACE" tokenmeter-loadgen-api-key "api-key=$(cat "$state/api-key")"
  fi
  kubectl -n "$NAMESPACE" delete job tokenmeter-loadgen --ignore-not-found --wait=true >/dev/null
  fill_template deploy/cluster/loadgen/job.yaml \
    "NAMESPACE=$NAMESPACE" "PARALLELISM=$parallelism" "RATE_PER_POD=$((rate / parallelism))" \
    "LOAD_SECONDS=$seconds" "DEADLINE_SECONDS=$((seconds + 600))" \
    "IMAGE=$image" | kubectl apply -f - >/dev/null
  log "load: $rate events/s for $seconds s from $parallelism in-cluster pods through Service tokenmeter-producer, then $cooldown s of cooldown"
  local end=$((SECONDS + seconds + cooldown)) previous=""
  printf '%-8s %-44s %s\n' "elapsed" "HPA name replicas/max cpu" "token lag (Prometheus)" >&2
  while ((SECONDS < end)); do
    local hpa lag line
    hpa="$(kubectl -n "$NAMESPACE" get hpa --no-headers \
      -o custom-columns='N:.metadata.name,R:.status.currentReplicas,M:.spec.maxReplicas,C:.status.currentMetrics[0].resource.current.averageUtilization' 2>/dev/null |
      awk '{ sub(/^tokenmeter-/, "", $1); sub(/^keda-hpa-tokenmeter-/, "", $1); printf "%s %s/%s %s%%; ", $1, $2, $3, $4 }')"
    lag="$(consumer_lag)"
    line="$hpa lag=$lag"
    [[ "$line" != "$previous" ]] && printf '%-8s %s\n' "$((SECONDS))s" "$line" >&2
    previous="$line"
    sleep "$poll"
  done
  kubectl -n "$NAMESPACE" wait --for=condition=complete job/tokenmeter-loadgen --timeout=60s >/dev/null 2>&1 ||
    log "the load generator did not complete cleanly: kubectl -n $NAMESPACE logs job/tokenmeter-loadgen"
  kubectl -n "$NAMESPACE" logs job/tokenmeter-loadgen --all-containers --tail=40 2>/dev/null || true
}

# The whole sequence with one TOPOLOGY, so monitoring (KEDA or not) and deploy cannot disagree.
# Every input is checked before anything is created.
up() {
  require_api_cidrs
  require_registry
  need kubectl "install kubectl"
  need aws "install the AWS CLI v2 and the session-manager plugin"
  need openssl "install openssl"
  need curl "install curl"
  log "TOPOLOGY=$TOPOLOGY: bootstrap, kubeconfig, monitoring, deploy, validate"
  bootstrap
  kubeconfig
  monitoring
  deploy
  validate
}

destroy() {
  if [[ "${AUTO_APPROVE:-0}" != "1" ]]; then
    read -r -p "Destroy every resource of $tf_dir (the cluster and its data)? Type 'destroy': " answer
    [[ "$answer" == destroy ]] || die "not confirmed"
  fi
  tofu_cmd -chdir="$tf_dir" destroy -input=false -auto-approve "${var_args[@]}"
  rm -f "$KUBECONFIG" "$state/api-key"
}

case "${1:-}" in
  up) up ;;
  bootstrap) bootstrap ;;
  kubeconfig) kubeconfig ;;
  monitoring) monitoring ;;
  deploy) deploy ;;
  validate) validate ;;
  verify-scale-hpa) verify_scale_hpa ;;
  destroy) destroy ;;
  *) die "usage: $0 up|bootstrap|kubeconfig|monitoring|deploy|validate|verify-scale-hpa|destroy" ;;
esac
