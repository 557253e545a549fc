variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the Kubernetes API, e.g. [\"198.51.100.7/32\"] for your own egress IP."
  type        = list(string)
}

variable "backups" {
  description = "MongoDB backups to S3 (see the root module's `backups`); off unless enabled, e.g. `{ enabled = true, retention_days = 14 }`."
  type = object({
    enabled        = optional(bool, false)
    prefix         = optional(string, "mongodb")
    retention_days = optional(number, 14)
    force_destroy  = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "external_secrets" {
  description = "The External Secrets Operator's IAM user (see the root module's `external_secrets`); off unless enabled."
  type = object({
    enabled          = optional(bool, false)
    parameter_prefix = optional(string, "/tokenmeter/secrets")
    secrets_manager  = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "ingress" {
  description = "TLS at the edge: Traefik and a 443 rule for allowed_cidrs (see the root module's `ingress`); off unless enabled."
  type = object({
    enabled       = optional(bool, false)
    allowed_cidrs = optional(list(string), [])
    acme_http01   = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "long_term_storage" {
  description = "S3 for Prometheus' Thanos sidecar and Loki (see the root module's `long_term_storage`); off unless enabled."
  type = object({
    enabled                = optional(bool, false)
    metrics_retention_days = optional(number, 395)
    logs_retention_days    = optional(number, 90)
    force_destroy          = optional(bool, false)
  })
  default  = {}
  nullable = false
}
