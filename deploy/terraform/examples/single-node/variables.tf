variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the Kubernetes API, e.g. [\"198.51.100.7/32\"] for your own egress IP."
  type        = list(string)
}
