{{/*
Chart name, truncated to 63 characters (DNS label limit).
*/}}
{{- define "kafka.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters. When the release name already
contains the chart name it is used as is: release "kafka" gives Service "kafka".
*/}}
{{- define "kafka.fullname" -}}
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

{{/*
Chart name and version for the helm.sh/chart label.
*/}}
{{- define "kafka.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "kafka.labels" -}}
helm.sh/chart: {{ include "kafka.chart" . }}
{{ include "kafka.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tokenmeter
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "kafka.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kafka.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Per-component labels. Usage: include "kafka.componentLabels" (dict "ctx" . "component" "broker")
*/}}
{{- define "kafka.componentLabels" -}}
{{ include "kafka.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Per-component selector labels. Usage: include "kafka.componentSelectorLabels" (dict "ctx" . "component" "broker")
*/}}
{{- define "kafka.componentSelectorLabels" -}}
{{ include "kafka.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Headless Service name (quorum and per-broker DNS). The fullname is cut to 54 characters
so that the "-headless" suffix still fits in 63.
*/}}
{{- define "kafka.headlessName" -}}
{{- printf "%s-headless" (include "kafka.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{/*
DNS suffix shared by every broker pod: <headless>.<namespace>.svc.<clusterDomain>
*/}}
{{- define "kafka.podDnsSuffix" -}}
{{- printf "%s.%s.svc.%s" (include "kafka.headlessName" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/*
Static controller quorum: <id>@<fullname>-<id>.<headless>.<ns>.svc.<domain>:9093 for every
broker. node.id is the pod ordinal, so the ids match the pods.
*/}}
{{- define "kafka.quorumVoters" -}}
{{- $fullname := include "kafka.fullname" . }}
{{- $suffix := include "kafka.podDnsSuffix" . }}
{{- $voters := list }}
{{- range $i := until (int .Values.replicas) }}
{{- $voters = append $voters (printf "%d@%s-%d.%s:%d" $i $fullname $i $suffix (int $.Values.ports.controller)) }}
{{- end }}
{{- join "," $voters }}
{{- end }}

{{/*
Replication factor of the internal topics and the default for new topics:
1 with a single broker, 3 with three.
*/}}
{{- define "kafka.replicationFactor" -}}
{{- if eq (int .Values.replicas) 3 }}3{{ else }}1{{ end }}
{{- end }}

{{/*
min.insync.replicas: 2 with three brokers (one broker may be down and acks=all writes
still succeed), 1 with a single broker.
*/}}
{{- define "kafka.minInsyncReplicas" -}}
{{- if eq (int .Values.replicas) 3 }}2{{ else }}1{{ end }}
{{- end }}

{{/*
listeners (bind addresses). TLS is the name of the extra SSL listener: it must not be
called "SSL", because the image's configure script then demands JKS keystore files.
*/}}
{{- define "kafka.listeners" -}}
{{- $l := list (printf "PLAINTEXT://0.0.0.0:%d" (int .Values.ports.client)) (printf "CONTROLLER://0.0.0.0:%d" (int .Values.ports.controller)) }}
{{- if .Values.tls.enabled }}
{{- $l = append $l (printf "TLS://0.0.0.0:%d" (int .Values.ports.tls)) }}
{{- end }}
{{- join "," $l }}
{{- end }}

{{/*
listener.security.protocol.map
*/}}
{{- define "kafka.securityProtocolMap" -}}
CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT{{ if .Values.tls.enabled }},TLS:{{ if .Values.sasl.enabled }}SASL_SSL{{ else }}SSL{{ end }}{{ end }}
{{- end }}

{{/*
Secret with the TLS material (fails with a clear message when TLS is on without one).
*/}}
{{- define "kafka.tlsSecretName" -}}
{{- required "tls.existingSecret is required when tls.enabled=true (a kubernetes.io/tls Secret with tls.crt, tls.key (PKCS#8) and ca.crt)" .Values.tls.existingSecret }}
{{- end }}

{{/*
Secret with the SCRAM users' passwords (fails with a clear message when SASL is on without one).
*/}}
{{- define "kafka.saslUsersSecretName" -}}
{{- required "sasl.users.existingSecret is required when sasl.enabled=true (a Secret with the SCRAM users' passwords: one key per user, or the keys named in sasl.users.entries)" .Values.sasl.users.existingSecret }}
{{- end }}

{{/*
Combinations of values the schema cannot express. Included by the StatefulSet, so every
render checks them.
*/}}
{{- define "kafka.validate" -}}
{{- if and .Values.sasl.enabled (not .Values.tls.enabled) }}
{{- fail "sasl.enabled=true requires tls.enabled=true: SCRAM runs on the TLS listener (SASL_SSL), never in clear text" }}
{{- end }}
{{- if .Values.sasl.enabled }}
{{- $_ := include "kafka.saslUsersSecretName" . }}
{{- if ge (int .Values.sasl.userJob.waitSeconds) (int .Values.sasl.userJob.activeDeadlineSeconds) }}
{{- fail "sasl.userJob.waitSeconds must be lower than sasl.userJob.activeDeadlineSeconds" }}
{{- end }}
{{- end }}
{{- $rf := include "kafka.replicationFactor" . | int }}
{{- range .Values.topics }}
{{- $topicRf := int (default $rf .replicationFactor) }}
{{- if gt $topicRf (int $.Values.replicas) }}
{{- fail (printf "topic %s: replicationFactor %d is above the number of brokers (%d)" .name $topicRf (int $.Values.replicas)) }}
{{- end }}
{{- $minIsr := index (default dict .config) "min.insync.replicas" }}
{{- if and $minIsr (gt $topicRf 1) (ge (int $minIsr) $topicRf) }}
{{- fail (printf "topic %s: min.insync.replicas %d must be below its replication factor %d, or one broker down stops every acks=all write" .name (int $minIsr) $topicRf) }}
{{- end }}
{{- end }}
{{- if ge (int .Values.topicJob.waitSeconds) (int .Values.topicJob.activeDeadlineSeconds) }}
{{- fail "topicJob.waitSeconds must be lower than topicJob.activeDeadlineSeconds" }}
{{- end }}
{{- if and (not .Values.networkPolicy.plaintextClients) (not .Values.tls.enabled) }}
{{- fail "networkPolicy.plaintextClients=false requires tls.enabled=true: clients would have no port left" }}
{{- end }}
{{- end }}

{{/*
Name of the SCRAM user Job (and of its NetworkPolicy): <fullname>-scram-users, within 63 characters.
*/}}
{{- define "kafka.scramUsersName" -}}
{{- printf "%s-scram-users" (include "kafka.fullname" . | trunc 51 | trimSuffix "-") }}
{{- end }}

{{/*
Name of the topics Job (and of its NetworkPolicy): <fullname>-topics, within 63 characters.
*/}}
{{- define "kafka.topicsName" -}}
{{- printf "%s-topics" (include "kafka.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/*
Client Service address on the PLAINTEXT port, used by the SCRAM user Job.
*/}}
{{- define "kafka.plaintextBootstrap" -}}
{{- printf "%s.%s.svc.%s:%d" (include "kafka.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.ports.client) }}
{{- end }}

{{/*
Pod affinity: the user's value when set, otherwise the anti-affinity preset.
*/}}
{{- define "kafka.affinity" -}}
{{- if .Values.affinity }}
{{- toYaml .Values.affinity }}
{{- else if eq .Values.podAntiAffinityPreset "soft" }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "kafka.componentSelectorLabels" (dict "ctx" . "component" "broker") | nindent 12 }}
{{- else if eq .Values.podAntiAffinityPreset "hard" }}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "kafka.componentSelectorLabels" (dict "ctx" . "component" "broker") | nindent 10 }}
{{- end }}
{{- end }}

{{/*
Kafka property name -> environment variable understood by the image
(KAFKA_ prefix, "." -> "_", "_" -> "__", "-" -> "___", upper case).
*/}}
{{- define "kafka.propertyEnvName" -}}
{{- printf "KAFKA_%s" (. | replace "_" "__" | replace "-" "___" | replace "." "_" | upper) }}
{{- end }}

{{/*
KRaft cluster ID: clusterId when set; else the one this release already uses (its cluster-id
ConfigMap, or the CLUSTER_ID of its StatefulSet, for releases from before the ConfigMap); else a
new random one, so no two installs share an ID. 22 base64url characters of 16 bytes: the last
character carries 2 bits, hence one of A Q g w. Generated once per render and kept in .Values,
so the ConfigMap and the StatefulSet get the same value.
*/}}
{{- define "kafka.clusterId" -}}
{{- if .Values.clusterId }}
{{- .Values.clusterId }}
{{- else if hasKey .Values "_resolvedClusterId" }}
{{- index .Values "_resolvedClusterId" }}
{{- else }}
{{- $fullname := include "kafka.fullname" . }}
{{- $id := "" }}
{{- $cm := lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-cluster-id" $fullname) }}
{{- if $cm }}
{{- $id = index (default dict $cm.data) "cluster-id" | default "" }}
{{- end }}
{{- if not $id }}
{{- $sts := lookup "apps/v1" "StatefulSet" .Release.Namespace $fullname }}
{{- if $sts }}
{{- range $container := $sts.spec.template.spec.containers }}
{{- range $env := (default list $container.env) }}
{{- if and (eq $env.name "CLUSTER_ID") $env.value }}
{{- $id = $env.value }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $id }}
{{- $id = printf "%s%s" (randAlphaNum 21) (index (list "A" "Q" "g" "w") (randInt 0 4)) }}
{{- end }}
{{- $_ := set .Values "_resolvedClusterId" $id }}
{{- $id }}
{{- end }}
{{- end }}
