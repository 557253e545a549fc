# Pure computation of the VPC layout: which CIDR each subnet gets and which CIDRs may reach the
# Kubernetes API. Kept apart from the AWS resources so the invariants are tested offline.
locals {
  vpc_prefix_length = tonumber(split("/", var.vpc_cidr)[1])
  subnet_prefix     = local.vpc_prefix_length + var.subnet_newbits

  # Private subnets start in the upper half of the VPC: adding an AZ never renumbers a subnet.
  private_netnum_offset = pow(2, var.subnet_newbits - 1)

  public_subnet_cidrs = {
    for index, az in var.azs : az => cidrsubnet(var.vpc_cidr, var.subnet_newbits, index)
  }
  private_subnet_cidrs = {
    for index, az in var.azs : az => cidrsubnet(var.vpc_cidr, var.subnet_newbits, local.private_netnum_offset + index)
  }

  public_api_requested = contains(var.api_allowed_cidrs, "0.0.0.0/0")
}
