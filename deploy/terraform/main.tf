# K3s on EC2 for tokenmeter: one server and var.agent_count agents in a dedicated VPC, reached
# through SSM Session Manager (no SSH, no key pair) and the allow-listed Kubernetes API only.
data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  state = "available"

  # Local Zones and Wavelength Zones need an opt-in and lack most instance types.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_ssm_parameter" "ami" {
  count = var.ami_id == null ? 1 : 0

  name = var.ami_ssm_parameter
}

locals {
  region = data.aws_region.current.region
  azs    = slice(data.aws_availability_zones.available.names, 0, min(var.az_count, length(data.aws_availability_zones.available.names)))
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.ami[0].insecure_value

  ssm_parameter_prefix      = coalesce(var.ssm_parameter_prefix, "/${var.name}/k3s")
  token_parameter_name      = "${local.ssm_parameter_prefix}/token"
  kubeconfig_parameter_name = "${local.ssm_parameter_prefix}/kubeconfig"
  ebs_csi_parameter_name    = "${local.ssm_parameter_prefix}/ebs-csi-credentials"

  # Without a NAT gateway a private subnet has no route out, so agents use the public subnets.
  agent_subnet_ids = var.enable_nat_gateway ? [for az in local.azs : aws_subnet.private[az].id] : [for az in local.azs : aws_subnet.public[az].id]

  tags = merge(
    {
      Project   = var.name
      ManagedBy = "terraform"
    },
    var.tags,
  )
}

module "network_plan" {
  source = "./modules/network-plan"

  vpc_cidr          = var.vpc_cidr
  azs               = local.azs
  api_allowed_cidrs = var.api_allowed_cidrs
  allow_public_api  = var.allow_public_api
}
