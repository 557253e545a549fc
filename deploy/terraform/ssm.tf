# The cluster token and the admin kubeconfig live in SSM Parameter Store as SecureStrings
# (encrypted with the AWS managed key alias/aws/ssm). Nodes read the token at boot with their
# instance role instead of receiving it in user_data: user_data is readable by anyone with
# ec2:DescribeInstanceAttribute and is kept in the instance metadata for the instance's life.
resource "random_password" "k3s_token" {
  length = 48
  # K3s parses "K10<ca-hash>::<user>:<secret>" tokens; letters and digits keep it unambiguous.
  special = false
}

resource "aws_ssm_parameter" "token" {
  name        = local.token_parameter_name
  description = "K3s cluster token of ${var.name}, read by the nodes at boot"
  type        = "SecureString"
  value       = random_password.k3s_token.result

  tags = local.tags
}

resource "aws_ssm_parameter" "kubeconfig" {
  name        = local.kubeconfig_parameter_name
  description = "Admin kubeconfig of ${var.name}, written by the K3s server at first boot"
  type        = "SecureString"
  # A K3s kubeconfig is about 3 KiB; Intelligent-Tiering moves it to Advanced only past 4 KiB.
  tier  = "Intelligent-Tiering"
  value = "pending: the K3s server overwrites this parameter once the cluster is up"

  tags = local.tags

  lifecycle {
    # The server owns the value (and, through Intelligent-Tiering, the effective tier).
    ignore_changes = [value, tier]
  }
}

# The EBS CSI driver's key ({"key_id", "access_key"}): the server reads it at boot into Secret
# kube-system/aws-secret. Like the token, it is in the Terraform state; keep the state safe.
resource "aws_ssm_parameter" "ebs_csi_credentials" {
  count = var.ebs_csi.enabled ? 1 : 0

  name        = local.ebs_csi_parameter_name
  description = "Access key of the EBS CSI driver of ${var.name}, read by the K3s server at boot"
  type        = "SecureString"
  value = jsonencode({
    key_id     = aws_iam_access_key.ebs_csi[0].id
    access_key = aws_iam_access_key.ebs_csi[0].secret
  })

  tags = local.tags
}
