# Provider-free on purpose: `tofu init` and `tofu test` of this module run offline in CI.
terraform {
  required_version = ">= 1.5.7"
}
