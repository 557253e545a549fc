# Exact versions (STYLE): the provider as in the K3s root, the terraform-aws-modules in main.tf.
terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
  }
}
