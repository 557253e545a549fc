variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the cluster, its VPC and IAM roles."
  type        = string
  default     = "tokenmeter-eks"
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version (the charts need >= 1.30)."
  type        = string
  default     = "1.34"
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the public EKS API endpoint, e.g. [\"198.51.100.7/32\"]."
  type        = list(string)

  validation {
    condition     = length(var.api_allowed_cidrs) > 0 && !contains(var.api_allowed_cidrs, "0.0.0.0/0")
    error_message = "api_allowed_cidrs must list your own CIDRs, not 0.0.0.0/0."
  }
}

variable "node_group" {
  description = "The managed node group: instance types and size (three nodes for the ha values: one broker and one member per node)."
  type = object({
    instance_types = optional(list(string), ["t3.large"])
    min_size       = optional(number, 3)
    max_size       = optional(number, 6)
    desired_size   = optional(number, 3)
  })
  default  = {}
  nullable = false
}

variable "secrets_parameter_prefix" {
  description = "SSM parameter prefix the External Secrets Operator may read (the tokenmeter-secrets chart's remotePrefix)."
  type        = string
  default     = "/tokenmeter/secrets"
}

variable "backups_bucket_arn" {
  description = "ARN of the MongoDB backup bucket the backup CronJob writes to (null: no backup role)."
  type        = string
  default     = null
}
