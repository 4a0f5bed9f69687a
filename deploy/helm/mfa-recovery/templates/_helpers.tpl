{{- define "mfa-recovery.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mfa-recovery.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mfa-recovery.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "mfa-recovery.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "mfa-recovery.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mfa-recovery.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mfa-recovery.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag }}
{{- end -}}

{{- define "mfa-recovery.dataClaim" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "mfa-recovery.fullname" .)) -}}
{{- end -}}

{{/* The sidecar's environment: production, its URLs, the secrets (values or _FILE), further settings. */}}
{{- define "mfa-recovery.env" -}}
- name: MFA_RECOVERY_ENV
  value: production
- name: MFA_RECOVERY_PUBLIC_URL
  value: {{ required "publicUrl is required" .Values.publicUrl | quote }}
- name: MFA_RECOVERY_KEYCLOAK_URL
  value: {{ required "keycloak.url is required" .Values.keycloak.url | quote }}
{{- with .Values.keycloak.publicUrl }}
- name: MFA_RECOVERY_KEYCLOAK_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
- name: MFA_RECOVERY_BRIDGE_PORT
  value: {{ .Values.ports.bridge | quote }}
- name: MFA_RECOVERY_DATA_DIR
  value: /data
- name: MFA_RECOVERY_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.existingSecret is required" .Values.secrets.existingSecret }}
      key: {{ required "secrets.databaseUrlKey is required" .Values.secrets.databaseUrlKey }}
{{- $secret := .Values.secrets }}
{{- range $name, $key := $secret.keys }}
{{- if $secret.asFiles }}
- name: MFA_RECOVERY_{{ $name }}_FILE
  value: {{ printf "%s/%s" $secret.mountPath $key | quote }}
{{- else }}
- name: MFA_RECOVERY_{{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- if .Values.keycloak.caSecret.name }}
- name: REQUESTS_CA_BUNDLE
  value: /run/keycloak-ca/{{ .Values.keycloak.caSecret.key }}
{{- end }}
{{- range $name, $value := .Values.config }}
- name: MFA_RECOVERY_{{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every sidecar container needs: temp, the secrets as files, Keycloak's CA. */}}
{{- define "mfa-recovery.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 512Mi  # uploads to the recovery desk are spooled here (up to 10 MiB a document by default)
{{- if .Values.secrets.asFiles }}
- name: secrets
  secret:
    secretName: {{ .Values.secrets.existingSecret }}
    defaultMode: 0440
    items:
{{- range $name, $key := .Values.secrets.keys }}
      - key: {{ $key }}
        path: {{ $key }}
{{- end }}
{{- end }}
{{- if .Values.keycloak.caSecret.name }}
- name: keycloak-ca
  secret:
    secretName: {{ .Values.keycloak.caSecret.name }}
    items:
      - key: {{ .Values.keycloak.caSecret.key }}
        path: {{ .Values.keycloak.caSecret.key }}
{{- end }}
{{- end -}}

{{- define "mfa-recovery.commonMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.secrets.asFiles }}
- name: secrets
  mountPath: {{ .Values.secrets.mountPath }}
  readOnly: true
{{- end }}
{{- if .Values.keycloak.caSecret.name }}
- name: keycloak-ca
  mountPath: /run/keycloak-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "mfa-recovery.dataVolume" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "mfa-recovery.dataClaim" . }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{/* A CronJob running one mfa-recovery command with the sidecar's settings and data volume. */}}
{{- define "mfa-recovery.cronJob" -}}
{{- $root := .root -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ printf "%s-%s" (include "mfa-recovery.fullname" $root) .name | trunc 52 | trimSuffix "-" }}
  labels:
    {{- include "mfa-recovery.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  schedule: {{ .schedule | quote }}
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: {{ $root.Values.cronJobs.successfulJobsHistoryLimit }}
  failedJobsHistoryLimit: {{ $root.Values.cronJobs.failedJobsHistoryLimit }}
  jobTemplate:
    spec:
      backoffLimit: 1
      template:
        metadata:
          labels:
            {{- include "mfa-recovery.selectorLabels" $root | nindent 12 }}
            app.kubernetes.io/component: {{ .name }}
        spec:
          restartPolicy: Never
          automountServiceAccountToken: false
          {{- with $root.Values.imagePullSecrets }}
          imagePullSecrets:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $root.Values.podSecurityContext | nindent 12 }}
          containers:
            - name: {{ .name }}
              image: {{ include "mfa-recovery.image" $root }}
              imagePullPolicy: {{ $root.Values.image.pullPolicy }}
              command: {{ toJson .command }}
              env:
                {{- include "mfa-recovery.env" $root | nindent 16 }}
              securityContext:
                {{- toYaml $root.Values.securityContext | nindent 16 }}
              resources:
                {{- toYaml $root.Values.cronJobs.resources | nindent 16 }}
              volumeMounts:
                {{- include "mfa-recovery.commonMounts" $root | nindent 16 }}
                - name: data
                  mountPath: /data
          volumes:
            {{- include "mfa-recovery.commonVolumes" $root | nindent 12 }}
            {{- include "mfa-recovery.dataVolume" $root | nindent 12 }}
{{- end -}}
