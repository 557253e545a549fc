# tflint for deploy/terraform, run offline in CI: `tflint --chdir=deploy/terraform --recursive`.
#
# Only the bundled "terraform" ruleset is used. The AWS ruleset (tflint-ruleset-aws) is a plugin
# that `tflint --init` downloads from GitHub releases, which CI cannot reach; the AWS-specific
# checks it would add (instance types, AMI ids) are left to `tofu validate`/`plan` where the
# provider registry is reachable.
config {
  # Follow ./modules/* calls from the root and ../.. from the examples (no download needed).
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# Beyond "recommended": the terraform-aws-modules conventions STYLE.md asks for.
rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
}

rule "terraform_standard_module_structure" {
  enabled = true
}

rule "terraform_comment_syntax" {
  enabled = true
}
