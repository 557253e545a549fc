output "public_subnet_cidrs" {
  description = "Map of availability zone to public subnet CIDR (server, NAT gateway)."
  value       = local.public_subnet_cidrs

  precondition {
    # AWS rejects subnets smaller than /28.
    condition     = local.subnet_prefix <= 28
    error_message = "vpc_cidr prefix plus subnet_newbits gives /${local.subnet_prefix} subnets; AWS needs /28 or larger."
  }
}

output "private_subnet_cidrs" {
  description = "Map of availability zone to private subnet CIDR (agents)."
  value       = local.private_subnet_cidrs
}

output "all_subnet_cidrs" {
  description = "Every subnet CIDR, public first, in availability zone order."
  value       = concat([for az in var.azs : local.public_subnet_cidrs[az]], [for az in var.azs : local.private_subnet_cidrs[az]])
}

output "subnet_prefix_length" {
  description = "Prefix length shared by all subnets."
  value       = local.subnet_prefix
}

output "api_allowed_cidrs" {
  description = "The validated, de-duplicated CIDRs allowed to reach the Kubernetes API."
  value       = distinct(var.api_allowed_cidrs)

  precondition {
    condition     = !local.public_api_requested || var.allow_public_api
    error_message = "api_allowed_cidrs contains 0.0.0.0/0: set allow_public_api = true to expose the Kubernetes API to the internet on purpose."
  }
}
