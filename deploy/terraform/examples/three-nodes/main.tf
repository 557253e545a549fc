# One server and two agents in private subnets behind a NAT gateway, spread over two AZs
# (about $230/month in us-east-1, see ../../README.md). Agents carry a pool label the Helm
# values can select on.
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Environment = "staging"
    }
  }
}

module "k3s" {
  source = "../.."

  name               = "tokenmeter-staging"
  api_allowed_cidrs  = var.api_allowed_cidrs
  az_count           = 2
  enable_nat_gateway = true
  agent_count        = 2

  server_instance_type = "t3.large"
  agent_instance_type  = "t3.large"

  agent_node = {
    labels = { "tokenmeter.io/pool" = "workers" }
  }

  backups           = var.backups
  external_secrets  = var.external_secrets
  ingress           = var.ingress
  long_term_storage = var.long_term_storage
}
