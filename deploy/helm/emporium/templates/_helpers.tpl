{{/*
The chart's name, for labels.
*/}}
{{- define "emporium.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's base name: every object is named after it, and each service's objects are
"<fullname>-<service>".
*/}}
{{- define "emporium.fullname" -}}
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

{{- define "emporium.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object of the release.
*/}}
{{- define "emporium.labels" -}}
helm.sh/chart: {{ include "emporium.chart" . }}
{{ include "emporium.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: emporium
{{- end }}

{{/*
What selects every pod of the release.
*/}}
{{- define "emporium.selectorLabels" -}}
app.kubernetes.io/name: {{ include "emporium.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The same for one service; these take (dict "root" $ "name" "<service>").
*/}}
{{- define "emporium.service.fullname" -}}
{{- printf "%s-%s" (include "emporium.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of a service's Service: the host the others dial. "<fullname>-<service>", or with
plainServiceNames the service's own name, which mTLS needs (a certificate names its service).
*/}}
{{- define "emporium.service.host" -}}
{{- if .root.Values.plainServiceNames }}
{{- .name }}
{{- else }}
{{- include "emporium.service.fullname" . }}
{{- end }}
{{- end }}

{{/*
Whether a service has a database: "true" or "". The cart has none when its carts are in Redis.
Takes (dict "root" $ "name" "<service>" "service" <its values>).
*/}}
{{- define "emporium.service.database" -}}
{{- if and .service.database (not (and (eq .name "cart") .root.Values.redis.enabled)) }}true{{ end }}
{{- end }}

{{/*
The secret of a client at identity (name: the service, or "admin"): the value, else the one in
the release's Secret (so helm upgrade keeps it), else a new random one.
*/}}
{{- define "emporium.clientSecret" -}}
{{- $key := printf "%s-client-secret" .name }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "emporium.secretName" .root) }}
{{- $kept := "" }}
{{- if $existing }}
{{- $kept = index ($existing.data | default dict) $key | default "" | b64dec }}
{{- end }}
{{- with index .root.Values.secrets.clientSecrets .name }}
{{- . }}
{{- else }}
{{- $kept | default (randAlphaNum 40) }}
{{- end }}
{{- end }}

{{/*
A key of 64 hex digits kept in the chart's Secret under .key: from .value (the values), else the
one installed, else new. Used for the payments vault's key and the storefront's session key.
*/}}
{{- define "emporium.keptKey" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "emporium.secretName" .root) }}
{{- $kept := "" }}
{{- if $existing }}
{{- $kept = index ($existing.data | default dict) .key | default "" | b64dec }}
{{- end }}
{{- .value | default $kept | default (sha256sum (randAlphaNum 64)) }}
{{- end }}

{{/*
Where shoppers reach the storefront: config.storefrontUrl, or the gateway's in-cluster URL.
*/}}
{{- define "emporium.storefrontUrl" -}}
{{- if .Values.config.storefrontUrl }}
{{- .Values.config.storefrontUrl | trimSuffix "/" }}
{{- else }}
{{- printf "http://%s:%v" (include "emporium.service.host" (dict "root" . "name" "gateway")) .Values.ports.http }}
{{- end }}
{{- end }}

{{- define "emporium.service.labels" -}}
{{ include "emporium.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "emporium.service.selectorLabels" -}}
{{ include "emporium.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "emporium.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "emporium.secretName" -}}
{{- default (include "emporium.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "emporium.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "emporium.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The token issuer every service checks: config.issuer, or identity's in-cluster URL.
*/}}
{{- define "emporium.issuer" -}}
{{- if .Values.config.issuer }}
{{- .Values.config.issuer | trimSuffix "/" }}
{{- else }}
{{- printf "http://%s:%v" (include "emporium.service.host" (dict "root" . "name" "identity")) .Values.ports.http }}
{{- end }}
{{- end }}

{{/*
Whether a service gets a HorizontalPodAutoscaler: "true" or "".
*/}}
{{- define "emporium.service.autoscaled" -}}
{{- if and .root.Values.autoscaling.enabled .service.autoscaling.enabled }}true{{ end }}
{{- end }}

{{/*
Refuses values the binary cannot honour. Included by configmap.yaml, so it runs on every render.
*/}}
{{- define "emporium.validateValues" -}}
{{- if .Values.redis.enabled }}
{{- if not (index .Values.services "cart").enabled }}
{{- fail "redis.enabled: keeps the cart's carts in Redis, but services.cart is not enabled" }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) (not (regexMatch "^redis://[^/]+" .Values.redis.url)) }}
{{- fail "redis.url: must be redis://[:PASSWORD@]HOST:PORT[/DB] (the binary has no TLS for Redis)" }}
{{- end }}
{{- end }}
{{- if .Values.mtls.enabled }}
{{- if not .Values.plainServiceNames }}
{{- fail "mtls.enabled: needs plainServiceNames=true: a certificate's DNS name is its service's name (identity, catalog, ...), and callers check it against the host they dial" }}
{{- end }}
{{- if not .Values.mtls.secretName }}
{{- fail "mtls.enabled: set mtls.secretName, the Secret with ca.pem and <service>.pem/.key (see deploy/README.md)" }}
{{- end }}
{{- end }}
{{- if not .Values.secrets.existingSecret }}
{{- range $name, $secret := .Values.secrets.clientSecrets }}
{{- if and $secret (lt (len $secret) 16) }}
{{- fail (printf "secrets.clientSecrets.%s: identity takes client secrets of 16 characters or more" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $service := .Values.services }}
{{- /* A service is a block of values.yaml (`emporium new service` adds one): a key set by hand
     without the block's fields is a typo, not a service. */}}
{{- if not (and (kindIs "map" $service) (hasKey $service "enabled") (hasKey $service "database") (hasKey $service "calls")) }}
{{- fail (printf "services.%s: not an Emporium service (a service's block in values.yaml has enabled, database, calls, ...)" $name) }}
{{- end }}
{{- range $callee := $service.calls }}
{{- if not (hasKey $.Values.services $callee) }}
{{- fail (printf "services.%s.calls: %s is not an Emporium service" $name $callee) }}
{{- end }}
{{- end }}
{{- if and $service.clientId (not (has $service.clientId (list "gateway" "orders" "notifications"))) }}
{{- fail (printf "services.%s.clientId: identity has no client %s (its clients: gateway, orders, notifications)" $name $service.clientId) }}
{{- end }}
{{- if and $service.enabled $service.singleton }}
{{- if or (gt (int $service.replicas) 1) (include "emporium.service.autoscaled" (dict "root" $ "service" $service)) }}
{{- fail (printf "services.%s: must run as one replica without autoscaling (see values.yaml)" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
