# Smallest cluster: the K3s server runs every workload, no agents and no NAT gateway
# (about $68/month in us-east-1, see ../../README.md).
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Environment = "dev"
    }
  }
}

module "k3s" {
  source = "../.."

  name               = "tokenmeter-dev"
  api_allowed_cidrs  = var.api_allowed_cidrs
  az_count           = 2
  enable_nat_gateway = false
  agent_count        = 0

  server_instance_type = "t3.large"
  root_volume          = { size_gib = 40 }

  backups           = var.backups
  external_secrets  = var.external_secrets
  ingress           = var.ingress
  long_term_storage = var.long_term_storage
}
