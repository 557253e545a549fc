{{/*
Chart name, truncated to 63 characters (DNS label limit).
*/}}
{{- define "mongodb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters. When the release name already
contains the chart name it is used as is: release "mongodb" gives Service "mongodb".
*/}}
{{- define "mongodb.fullname" -}}
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
{{- define "mongodb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "mongodb.labels" -}}
helm.sh/chart: {{ include "mongodb.chart" . }}
{{ include "mongodb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tokenmeter
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "mongodb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mongodb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Per-component labels. Usage: include "mongodb.componentLabels" (dict "ctx" . "component" "broker")
*/}}
{{- define "mongodb.componentLabels" -}}
{{ include "mongodb.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Per-component selector labels. Usage: include "mongodb.componentSelectorLabels" (dict "ctx" . "component" "broker")
*/}}
{{- define "mongodb.componentSelectorLabels" -}}
{{ include "mongodb.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Headless Service name (stable per-member DNS). The fullname is cut to 54 characters
so that the "-headless" suffix still fits in 63.
*/}}
{{- define "mongodb.headlessName" -}}
{{- printf "%s-headless" (include "mongodb.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}


{{/*
Number of mongod pods: 1 standalone, 3 replica set members.
*/}}
{{- define "mongodb.replicas" -}}
{{- if eq .Values.mode "replicaset" }}3{{ else }}1{{ end }}
{{- end }}

{{/*
Comma-separated member addresses <fullname>-<i>.<headless>.<ns>.svc.<domain>:27017.
These exact strings are the replica set member hosts.
*/}}
{{- define "mongodb.memberHosts" -}}
{{- $fullname := include "mongodb.fullname" . }}
{{- $suffix := printf "%s.%s.svc.%s" (include "mongodb.headlessName" .) .Release.Namespace .Values.clusterDomain }}
{{- $hosts := list }}
{{- range $i := until (int (include "mongodb.replicas" .)) }}
{{- $hosts = append $hosts (printf "%s-%d.%s:%d" $fullname $i $suffix (int $.Values.service.port)) }}
{{- end }}
{{- join "," $hosts }}
{{- end }}

{{/*
Hosts for client connection strings: every member for a replica set, the client Service otherwise.
*/}}
{{- define "mongodb.clientHosts" -}}
{{- if eq .Values.mode "replicaset" }}
{{- include "mongodb.memberHosts" . }}
{{- else }}
{{- printf "%s.%s.svc.%s:%d" (include "mongodb.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.service.port) }}
{{- end }}
{{- end }}

{{/*
Root credentials Secret: the existing one, or the one this chart creates (which needs a password).
*/}}
{{- define "mongodb.rootSecretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else }}
{{- printf "%s-root" (include "mongodb.fullname" .) }}
{{- end }}
{{- end }}

{{/*
Keyfile Secret for replica set member authentication.
*/}}
{{- define "mongodb.keyFileSecretName" -}}
{{- if .Values.auth.keyFileSecret }}
{{- .Values.auth.keyFileSecret }}
{{- else }}
{{- printf "%s-keyfile" (include "mongodb.fullname" .) }}
{{- end }}
{{- end }}

{{/*
Application user Secret: the existing one, or <fullname>-app created by this chart.
*/}}
{{- define "mongodb.appSecretName" -}}
{{- if .Values.auth.appUser.existingSecret }}
{{- .Values.auth.appUser.existingSecret }}
{{- else }}
{{- printf "%s-app" (include "mongodb.fullname" .) }}
{{- end }}
{{- end }}

{{/*
True ("true") when a keyFile is needed: authentication on and a replica set.
*/}}
{{- define "mongodb.keyFileEnabled" -}}
{{- if and .Values.auth.enabled (eq .Values.mode "replicaset") }}true{{ end }}
{{- end }}

{{/*
True when the application user is managed by this chart.
*/}}
{{- define "mongodb.appUserEnabled" -}}
{{- if and .Values.auth.enabled .Values.auth.appUser.enabled }}true{{ end }}
{{- end }}

{{/*
Fails early with clear messages for values that cannot be defaulted safely. A random
default password would change on every upgrade, so none is generated.
*/}}
{{- define "mongodb.validate" -}}
{{- if .Values.auth.enabled }}
{{- if not .Values.auth.existingSecret }}
{{- $_ := required "auth.rootPassword is required when auth.enabled=true and auth.existingSecret is not set (or set auth.existingSecret to a Secret with mongodb-root-username and mongodb-root-password)" .Values.auth.rootPassword }}
{{- end }}
{{- if and (eq .Values.mode "replicaset") (not .Values.auth.keyFileSecret) }}
{{- $_ := required "auth.replicaSetKey is required for mode=replicaset with auth (6-1024 base64 characters, e.g. `openssl rand -base64 756`), or set auth.keyFileSecret to a Secret with key keyfile" .Values.auth.replicaSetKey }}
{{- end }}
{{- if and .Values.auth.appUser.enabled (not .Values.auth.appUser.existingSecret) }}
{{- $_ := required "auth.appUser.password is required when auth.appUser.enabled=true and auth.appUser.existingSecret is not set" .Values.auth.appUser.password }}
{{- end }}
{{- end }}
{{- if ne .Values.tls.mode "disabled" }}
{{- $_ := required (printf "tls.existingSecret is required when tls.mode=%s (a Secret with tls.crt, tls.key and ca.crt)" .Values.tls.mode) .Values.tls.existingSecret }}
{{- end }}
{{- end }}

{{/*
mongosh TLS options for in-pod connections (probes, rs-init Job).
*/}}
{{- define "mongodb.mongoshTlsArgs" -}}
{{- if eq .Values.tls.mode "requireTLS" }}--tls --tlsCAFile /etc/mongodb/tls/ca.crt{{ end }}
{{- end }}

{{/*
Pod affinity: the user's value when set, otherwise the anti-affinity preset.
*/}}
{{- define "mongodb.affinity" -}}
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
            {{- include "mongodb.componentSelectorLabels" (dict "ctx" . "component" "mongod") | nindent 12 }}
{{- else if eq .Values.podAntiAffinityPreset "hard" }}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "mongodb.componentSelectorLabels" (dict "ctx" . "component" "mongod") | nindent 10 }}
{{- end }}
{{- end }}
