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

data "aws_iam_policy_document" "ebs_csi_credentials" {
  statement {
    sid       = "ReadEbsCsiCredentials"
    actions   = ["ssm:GetParameter"]
    resources = [for p in aws_ssm_parameter.ebs_csi_credentials : p.arn]
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
    server = var.ebs_csi.enabled ? data.aws_iam_policy_document.server_with_ebs_csi.json : data.aws_iam_policy_document.server_parameters.json
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

data "aws_iam_policy_document" "server_with_ebs_csi" {
  source_policy_documents = [
    data.aws_iam_policy_document.server_parameters.json,
    data.aws_iam_policy_document.ebs_csi_credentials.json,
  ]
}

# The EBS CSI driver's identity: an IAM user, because on K3s (no IRSA) the alternative is the node
# role through IMDS, which would need hop limit 2 and hand every pod the role that reads the cluster
# token. It may only manage EBS volumes and snapshots, create only encrypted volumes, and delete or
# detach only volumes the driver tagged (ebs.csi.aws.com/cluster = true).
resource "aws_iam_user" "ebs_csi" {
  count = var.ebs_csi.enabled ? 1 : 0

  name = "${var.name}-ebs-csi"
  path = "/k3s/"

  tags = local.tags
}

resource "aws_iam_access_key" "ebs_csi" {
  count = var.ebs_csi.enabled ? 1 : 0

  user = aws_iam_user.ebs_csi[0].name
}

data "aws_iam_policy_document" "ebs_csi" {
  statement {
    sid = "Describe"
    actions = [
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInstances",
      "ec2:DescribeSnapshots",
      "ec2:DescribeTags",
      "ec2:DescribeVolumes",
      "ec2:DescribeVolumesModifications",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "CreateEncryptedTaggedVolumes"
    actions   = ["ec2:CreateVolume"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:*:*:volume/*"]

    condition {
      test     = "Bool"
      variable = "ec2:Encrypted"
      values   = ["true"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/ebs.csi.aws.com/cluster"
      values   = ["true"]
    }
  }

  statement {
    sid       = "CreateVolumesFromSnapshots"
    actions   = ["ec2:CreateVolume"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:*:*:snapshot/*"]
  }

  statement {
    sid       = "TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:*:*:volume/*", "arn:${data.aws_partition.current.partition}:ec2:*:*:snapshot/*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateVolume", "CreateSnapshot"]
    }
  }

  statement {
    sid       = "ManageOwnVolumes"
    actions   = ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume", "ec2:DeleteVolume", "ec2:CreateSnapshot"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:*:*:volume/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/ebs.csi.aws.com/cluster"
      values   = ["true"]
    }
  }

  statement {
    sid       = "AttachToClusterInstances"
    actions   = ["ec2:AttachVolume", "ec2:DetachVolume"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:*:*:instance/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Project"
      values   = [local.tags.Project]
    }
  }

  dynamic "statement" {
    for_each = var.ebs_csi.kms_key_arn == null ? [] : [var.ebs_csi.kms_key_arn]

    content {
      sid       = "UseTheVolumeKey"
      actions   = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_user_policy" "ebs_csi" {
  count = var.ebs_csi.enabled ? 1 : 0

  name   = "ebs-csi-driver"
  user   = aws_iam_user.ebs_csi[0].name
  policy = data.aws_iam_policy_document.ebs_csi.json
}
