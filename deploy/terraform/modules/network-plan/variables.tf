variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC, e.g. 10.0.0.0/16. Prefix length /16 to /24 so every subnet stays at /28 or larger."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR such as 10.0.0.0/16."
  }

  validation {
    # AWS accepts VPC CIDRs between /16 and /28; /24 leaves room for 8 subnets of /27.
    condition     = can(regex("/(1[6-9]|2[0-4])$", var.vpc_cidr))
    error_message = "vpc_cidr prefix length must be between /16 and /24."
  }

  validation {
    condition     = can(cidrsubnet(var.vpc_cidr, 0, 0)) && try(cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
    error_message = "vpc_cidr must be a network address (no host bits set), e.g. 10.0.0.0/16 rather than 10.0.1.0/16."
  }
}

variable "azs" {
  description = "Availability zone names to spread subnets over, one public and one private subnet each (1 to 4, unique)."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 1 && length(var.azs) <= 4
    error_message = "azs must list between 1 and 4 availability zones."
  }

  validation {
    condition     = length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must not repeat an availability zone."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each subnet (/16 + 4 = /20, 4096 addresses). Public subnets use the lower half of the VPC, private subnets the upper half."
  type        = number
  default     = 4

  validation {
    # >= 3 guarantees each half of the VPC holds 4 subnets, the maximum of var.azs.
    condition     = var.subnet_newbits >= 3 && var.subnet_newbits <= 8 && floor(var.subnet_newbits) == var.subnet_newbits
    error_message = "subnet_newbits must be a whole number between 3 and 8."
  }
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the Kubernetes API (6443/tcp). Must not be empty; 0.0.0.0/0 only with allow_public_api = true."
  type        = list(string)

  validation {
    condition     = length(var.api_allowed_cidrs) > 0
    error_message = "api_allowed_cidrs must list at least one CIDR: the Kubernetes API is the only public ingress and must be allow-listed."
  }

  validation {
    condition = alltrue([
      for cidr in var.api_allowed_cidrs :
      can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", cidr)) && try(cidrsubnet(cidr, 0, 0) == cidr, false)
    ])
    error_message = "api_allowed_cidrs entries must be IPv4 network CIDRs such as 203.0.113.0/24 or 198.51.100.7/32."
  }
}

variable "allow_public_api" {
  description = "Explicit opt-in to accept 0.0.0.0/0 in api_allowed_cidrs (the Kubernetes API open to the internet, still behind K3s client certificates)."
  type        = bool
  default     = false
}
