# Exact provider versions (STYLE: exact versions for providers, modules and K3s). Syntax stays
# within what Terraform >= 1.5.7 and OpenTofu >= 1.8 both accept: no OpenTofu-only features.
terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
  }
}
