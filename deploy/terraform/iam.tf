# One role per node kind: Session Manager access (AmazonSSMManagedInstanceCore) plus the least
# SSM Parameter Store access each needs. Only the server may write the kubeconfig parameter.
data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "server_parameters" {
  statement {
    sid       = "ReadClusterToken"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.token.arn]
  }

  statement {
    sid       = "PublishKubeconfig"
    actions   = ["ssm:PutParameter"]
    resources = [aws_ssm_parameter.kubeconfig.arn]
  }
}

data "aws_iam_policy_document" "agent_parameters" {
  statement {
    sid       = "ReadClusterToken"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.token.arn]
  }

  # AmazonSSMManagedInstanceCore allows ssm:GetParameter(s) on "*"; an explicit deny keeps the
  # admin kubeconfig away from agents (and from any pod that escapes onto one).
  statement {
    sid       = "DenyAdminKubeconfig"
    effect    = "Deny"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"]
    resources = [aws_ssm_parameter.kubeconfig.arn]
  }
}

locals {
  ssm_managed_instance_core_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"

  node_roles = {
    server = data.aws_iam_policy_document.server_parameters.json
    agent  = data.aws_iam_policy_document.agent_parameters.json
  }
}

resource "aws_iam_role" "node" {
  for_each = local.node_roles

  name_prefix        = "${var.name}-k3s-${each.key}-"
  description        = "K3s ${each.key} nodes of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  for_each = local.node_roles

  role       = aws_iam_role.node[each.key].name
  policy_arn = local.ssm_managed_instance_core_arn
}

resource "aws_iam_role_policy" "parameters" {
  for_each = local.node_roles

  name   = "k3s-parameters"
  role   = aws_iam_role.node[each.key].id
  policy = each.value
}

resource "aws_iam_instance_profile" "node" {
  for_each = local.node_roles

  name_prefix = "${var.name}-k3s-${each.key}-"
  role        = aws_iam_role.node[each.key].name

  tags = local.tags
}
