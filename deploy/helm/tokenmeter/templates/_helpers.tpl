{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "tokenmeter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name prefix; the release name alone when it already contains the chart name. */}}
{{- define "tokenmeter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tokenmeter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tokenmeter.labels" -}}
helm.sh/chart: {{ include "tokenmeter.chart" . }}
{{ include "tokenmeter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tokenmeter
{{- end }}

{{- define "tokenmeter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tokenmeter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The three services: values key -> component name. */}}
{{- define "tokenmeter.components" -}}
producer: producer
processor: processor
queryApi: query-api
{{- end }}

{{/* Per-component helpers take (dict "ctx" . "component" "processor"). */}}
{{- define "tokenmeter.componentFullname" -}}
{{- printf "%s-%s" (include "tokenmeter.fullname" .ctx | trunc 52 | trimSuffix "-") .component }}
{{- end }}

{{- define "tokenmeter.componentLabels" -}}
{{ include "tokenmeter.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tokenmeter.componentSelectorLabels" -}}
{{ include "tokenmeter.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Who talks to what: the kafka and mongodb charts admit pods carrying these labels. */}}
{{- define "tokenmeter.clientLabels" -}}
{{- if has .component (list "producer" "processor") }}
tokenmeter.io/kafka-client: "true"
{{- end }}
{{- if has .component (list "processor" "query-api") }}
tokenmeter.io/mongodb-client: "true"
{{- end }}
{{- end }}

{{- define "tokenmeter.image" -}}
{{- $image := .ctx.Values.image }}
{{- if $image.digest }}
{{- printf "%s/%s@%s" $image.registry .component $image.digest }}
{{- else }}
{{- printf "%s/%s:%s" $image.registry .component (default .ctx.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{- define "tokenmeter.mongodbSecretName" -}}
{{- if .Values.mongodb.existingSecret }}
{{- .Values.mongodb.existingSecret }}
{{- else }}
{{- printf "%s-mongodb" (include "tokenmeter.fullname" .) }}
{{- end }}
{{- end }}

{{- define "tokenmeter.mongodbSecretKey" -}}
{{- if .Values.mongodb.existingSecret }}{{ .Values.mongodb.existingSecretKey }}{{ else }}mongodb-url{{ end }}
{{- end }}

{{- define "tokenmeter.apiKeysSecretName" -}}
{{- if .Values.apiKeys.existingSecret }}
{{- .Values.apiKeys.existingSecret }}
{{- else if .Values.apiKeys.value }}
{{- printf "%s-api-keys" (include "tokenmeter.fullname" .) }}
{{- end }}
{{- end }}

{{- define "tokenmeter.apiKeysSecretKey" -}}
{{- if .Values.apiKeys.existingSecret }}{{ .Values.apiKeys.existingSecretKey }}{{ else }}api-keys{{ end }}
{{- end }}

{{/* The most replicas a component can reach, for the partition check. */}}
{{- define "tokenmeter.processorMaxReplicas" -}}
{{- $p := .Values.processor }}
{{- if include "tokenmeter.kedaActive" . }}{{ $p.keda.maxReplicaCount }}{{ else if $p.autoscaling.enabled }}{{ $p.autoscaling.maxReplicas }}{{ else }}{{ $p.replicaCount }}{{ end }}
{{- end }}

{{/* Does this component talk to Kafka / MongoDB? (dict "ctx" . "component" ...) */}}
{{- define "tokenmeter.usesKafka" -}}
{{- if has .component (list "producer" "processor") }}true{{ end }}
{{- end }}
{{- define "tokenmeter.usesMongodb" -}}
{{- if has .component (list "processor" "query-api") }}true{{ end }}
{{- end }}

{{/*
Transport security: settings as ConfigMap entries, credentials and certificates as files from
Secrets (the apps read *_FILE variables at boot), so no secret value is ever an environment value.
*/}}
{{- define "tokenmeter.transportConfig" -}}
{{- $k := .ctx.Values.kafka.security }}
{{- $m := .ctx.Values.mongodb.tls }}
{{- if include "tokenmeter.usesKafka" . }}
KAFKA_SECURITY_PROTOCOL: {{ $k.protocol | quote }}
{{- if eq $k.protocol "sasl_ssl" }}
KAFKA_SASL_MECHANISM: {{ $k.sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ $k.sasl.username | quote }}
KAFKA_SASL_PASSWORD_FILE: {{ printf "/etc/tokenmeter/kafka-sasl/%s" $k.sasl.passwordKey | quote }}
{{- end }}
{{- if ne $k.protocol "plaintext" }}
{{- with $k.tls.caSecret }}
KAFKA_TLS_CA_FILE: {{ printf "/etc/tokenmeter/kafka-ca/%s" $k.tls.caKey | quote }}
{{- end }}
{{- with $k.tls.clientCertSecret }}
KAFKA_TLS_CERT_FILE: "/etc/tokenmeter/kafka-client/tls.crt"
KAFKA_TLS_KEY_FILE: "/etc/tokenmeter/kafka-client/tls.key"
{{- end }}
{{- with $k.tls.serverName }}
KAFKA_TLS_SERVERNAME: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (include "tokenmeter.usesMongodb" .) $m.enabled }}
MONGO_TLS: "true"
{{- with $m.caSecret }}
MONGO_TLS_CA_FILE: {{ printf "/etc/tokenmeter/mongodb-ca/%s" $m.caKey | quote }}
{{- end }}
{{- with $m.clientCertKeySecret }}
MONGO_TLS_CERT_KEY_FILE: {{ printf "/etc/tokenmeter/mongodb-client/%s" $m.clientCertKeyKey | quote }}
{{- end }}
MONGO_TLS_ALLOW_INVALID_HOSTNAMES: {{ $m.allowInvalidHostnames | quote }}
{{- end }}
{{- end }}

{{/* The Secrets a component mounts for transport security: name -> (secret, mountPath). */}}
{{- define "tokenmeter.transportVolumes" -}}
{{- $k := .ctx.Values.kafka.security }}
{{- $m := .ctx.Values.mongodb.tls }}
{{- $volumes := dict }}
{{- if include "tokenmeter.usesKafka" . }}
{{- if eq $k.protocol "sasl_ssl" }}
{{- $_ := set $volumes "kafka-sasl" (dict "secret" (required "kafka.security.sasl.existingSecret is required when kafka.security.protocol=sasl_ssl (a Secret with the SCRAM password)" $k.sasl.existingSecret)) }}
{{- end }}
{{- if and (ne $k.protocol "plaintext") $k.tls.caSecret }}
{{- $_ := set $volumes "kafka-ca" (dict "secret" $k.tls.caSecret) }}
{{- end }}
{{- if and (ne $k.protocol "plaintext") $k.tls.clientCertSecret }}
{{- $_ := set $volumes "kafka-client" (dict "secret" $k.tls.clientCertSecret) }}
{{- end }}
{{- end }}
{{- if and (include "tokenmeter.usesMongodb" .) $m.enabled }}
{{- with $m.caSecret }}
{{- $_ := set $volumes "mongodb-ca" (dict "secret" .) }}
{{- end }}
{{- with $m.clientCertKeySecret }}
{{- $_ := set $volumes "mongodb-client" (dict "secret" .) }}
{{- end }}
{{- end }}
{{- toYaml $volumes }}
{{- end }}

{{/*
Bootstrap servers as seen from another namespace (KEDA's operator runs in `keda`, where `kafka:9092`
does not resolve): `processor.keda.bootstrapServers` when set, else `kafka.brokers` with each in-cluster
host qualified as `<host>.<namespace>.svc.<clusterDomain>`.
*/}}
{{- define "tokenmeter.kedaBootstrapServers" -}}
{{- $explicit := .Values.processor.keda.bootstrapServers }}
{{- if $explicit }}
{{- $explicit }}
{{- else }}
{{- $suffix := printf "%s.svc.%s" .Release.Namespace .Values.clusterDomain }}
{{- $servers := list }}
{{- range $server := splitList "," .Values.kafka.brokers }}
{{- $host := regexReplaceAll ":[0-9]+$" $server "" }}
{{- $port := regexReplaceAll "^.*:" $server "" }}
{{- $labels := len (splitList "." $host) }}
{{- if regexMatch "^[0-9.]+$" $host }}
{{- $servers = append $servers $server }}
{{- else if hasSuffix ".svc" $host }}
{{- $servers = append $servers (printf "%s.%s:%s" $host $.Values.clusterDomain $port) }}
{{- else if le $labels 2 }}
{{- $servers = append $servers (printf "%s.%s:%s" $host $suffix $port) }}
{{- else }}
{{- $servers = append $servers $server }}
{{- end }}
{{- end }}
{{- join "," $servers }}
{{- end }}
{{- end }}

{{/*
Custom resources render only where their API is served, so `helm install` on a bare K3s (no
kube-prometheus-stack, no KEDA) succeeds instead of failing on an unknown kind. Offline, pass
`--api-versions monitoring.coreos.com/v1/ServiceMonitor` (and the others) to render them.
*/}}
{{- define "tokenmeter.hasServiceMonitor" -}}
{{- if and .Values.monitoring.serviceMonitor.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor") }}true{{ end }}
{{- end }}
{{- define "tokenmeter.hasPrometheusRule" -}}
{{- if and .Values.monitoring.prometheusRules.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PrometheusRule") }}true{{ end }}
{{- end }}
{{/* KEDA scales the processor only where KEDA is installed; elsewhere its CPU HPA stays. */}}
{{- define "tokenmeter.kedaActive" -}}
{{- if and .Values.processor.enabled .Values.processor.keda.enabled (.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject") }}true{{ end }}
{{- end }}

{{/*
The query API's price catalog (queryApi.priceCatalog): a ConfigMap of its own, mounted read-only as
a directory (not subPath, so the file is the ConfigMap's current one) and named by PRICE_CATALOG_FILE.
The app reads it once at boot, so the pods carry its checksum and roll when it changes.
*/}}
{{- define "tokenmeter.priceCatalogEnabled" -}}
{{- if and .Values.queryApi.enabled .Values.queryApi.priceCatalog }}true{{ end }}
{{- end }}
{{- define "tokenmeter.priceCatalogName" -}}
{{- printf "%s-price-catalog" (include "tokenmeter.fullname" . | trunc 49 | trimSuffix "-") }}
{{- end }}
{{- define "tokenmeter.priceCatalogDir" -}}
/etc/tokenmeter/price-catalog
{{- end }}
