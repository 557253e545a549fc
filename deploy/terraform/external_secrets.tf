# The External Secrets Operator's identity (var.external_secrets): an IAM user that may read only the
# application's parameters, never write them, and nothing of the cluster's own (token, kubeconfig,
# other keys under ssm_parameter_prefix). Pods never use the node role (IMDS hop limit 1).
data "aws_caller_identity" "current" {}

locals {
  external_secrets_arn_base = "arn:${data.aws_partition.current.partition}:%s:${local.region}:${data.aws_caller_identity.current.account_id}:%s"
}

resource "aws_iam_user" "external_secrets" {
  count = var.external_secrets.enabled ? 1 : 0

  name = "${var.name}-external-secrets"
  path = "/k3s/"

  tags = local.tags
}

data "aws_iam_policy_document" "external_secrets" {
  statement {
    sid     = "ReadApplicationParameters"
    actions = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    resources = [
      format(local.external_secrets_arn_base, "ssm", "parameter${var.external_secrets.parameter_prefix}"),
      format(local.external_secrets_arn_base, "ssm", "parameter${var.external_secrets.parameter_prefix}/*"),
    ]
  }

  dynamic "statement" {
    for_each = var.external_secrets.secrets_manager ? [1] : []

    content {
      sid       = "ReadApplicationSecrets"
      actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      resources = [format(local.external_secrets_arn_base, "secretsmanager", "secret:${var.external_secrets.parameter_prefix}/*")]
    }
  }
}

resource "aws_iam_user_policy" "external_secrets" {
  count = var.external_secrets.enabled ? 1 : 0

  name   = "external-secrets-read"
  user   = aws_iam_user.external_secrets[0].name
  policy = data.aws_iam_policy_document.external_secrets.json
}

resource "aws_iam_access_key" "external_secrets" {
  count = var.external_secrets.enabled ? 1 : 0

  user = aws_iam_user.external_secrets[0].name
}

# {"access-key-id", "secret-access-key"}: the keys of the bootstrap Secret the chart's
# ClusterSecretStore reads. Outside the application prefix, so the operator cannot read its own key.
resource "aws_ssm_parameter" "external_secrets_credentials" {
  count = var.external_secrets.enabled ? 1 : 0

  name        = "${local.ssm_parameter_prefix}/external-secrets-credentials"
  description = "Access key of the External Secrets Operator of ${var.name}"
  type        = "SecureString"
  value = jsonencode({
    "access-key-id"     = aws_iam_access_key.external_secrets[0].id
    "secret-access-key" = aws_iam_access_key.external_secrets[0].secret
  })

  tags = local.tags
}
