# The K3s server and agents. Every node: no key pair (Session Manager instead of SSH), IMDSv2
# only, encrypted gp3 root volume, K3s installed by cloud-init from the k3s-cloud-init module.

# The server's public address exists before the instance, so it is baked into the API
# certificate (--tls-san) without a dependency cycle, and survives stop/start.
resource "aws_eip" "server" {
  domain = "vpc"

  tags = merge(local.tags, { Name = "${var.name}-k3s-server" })

  depends_on = [aws_internet_gateway.this]
}

module "server_cloud_init" {
  source = "./modules/k3s-cloud-init"

  role                      = "server"
  k3s_version               = var.k3s_version
  aws_region                = local.region
  token_parameter_name      = aws_ssm_parameter.token.name
  kubeconfig_parameter_name = aws_ssm_parameter.kubeconfig.name
  tls_san                   = [aws_eip.server.public_ip, aws_eip.server.public_dns]
  disable_components        = var.disable_traefik && !var.ingress.enabled ? ["traefik"] : []
  node_labels               = var.server_node.labels
  node_taints               = var.server_node.taints
  extra_args                = var.server_node.extra_args
  ebs_csi = var.ebs_csi.enabled ? {
    chart_version              = var.ebs_csi.chart_version
    storage_class_name         = var.ebs_csi.storage_class_name
    credentials_parameter_name = local.ebs_csi_parameter_name
    kms_key_arn                = var.ebs_csi.kms_key_arn
  } : null
}

locals {
  # Shared by server and agents. Hop limit 1 keeps pods (one hop further) away from the instance
  # role, which can read the cluster token.
  metadata_options = {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}

resource "aws_instance" "server" {
  ami                         = local.ami_id
  instance_type               = var.server_instance_type
  subnet_id                   = aws_subnet.public[local.azs[0]].id
  vpc_security_group_ids      = concat([aws_security_group.cluster.id, aws_security_group.api.id], aws_security_group.ingress[*].id)
  iam_instance_profile        = aws_iam_instance_profile.node["server"].name
  associate_public_ip_address = false # the Elastic IP below is the public address
  user_data                   = module.server_cloud_init.user_data
  # Replacing the server would wipe the cluster state: K3s upgrades happen in place (system
  # upgrade controller or re-running the install script), not through user_data.
  user_data_replace_on_change = false

  metadata_options {
    http_endpoint               = local.metadata_options.http_endpoint
    http_tokens                 = local.metadata_options.http_tokens
    http_put_response_hop_limit = local.metadata_options.http_put_response_hop_limit
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume.size_gib
    iops                  = var.root_volume.iops
    throughput            = var.root_volume.throughput_mibps
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(local.tags, { Name = "${var.name}-k3s-server" })
  }

  tags = merge(local.tags, { Name = "${var.name}-k3s-server", "k3s-role" = "server" })

  lifecycle {
    # A new AMI release must not replace the server on the next plan; roll the OS on purpose
    # with `tofu apply -replace=...`. Nor may a new k3s_version: updating user_data in place stops
    # and starts the instance, and it only runs at first boot anyway (K3s is upgraded in place,
    # docs/DEPLOY.md "Upgrading K3s").
    ignore_changes = [ami, user_data]
  }

  depends_on = [
    aws_iam_role_policy.parameters,
    aws_iam_role_policy_attachment.ssm_core,
    aws_route.public_internet,
    aws_iam_user_policy.ebs_csi,
  ]
}

resource "aws_eip_association" "server" {
  allocation_id = aws_eip.server.id
  instance_id   = aws_instance.server.id
}

module "agent_cloud_init" {
  source = "./modules/k3s-cloud-init"

  role                 = "agent"
  k3s_version          = var.k3s_version
  aws_region           = local.region
  token_parameter_name = aws_ssm_parameter.token.name
  server_address       = aws_instance.server.private_ip
  node_labels          = var.agent_node.labels
  node_taints          = var.agent_node.taints
  extra_args           = var.agent_node.extra_args
}

resource "aws_instance" "agent" {
  count = var.agent_count

  ami                         = local.ami_id
  instance_type               = var.agent_instance_type
  subnet_id                   = local.agent_subnet_ids[count.index % length(local.agent_subnet_ids)]
  vpc_security_group_ids      = [aws_security_group.cluster.id]
  iam_instance_profile        = aws_iam_instance_profile.node["agent"].name
  associate_public_ip_address = !var.enable_nat_gateway
  user_data                   = module.agent_cloud_init.user_data
  # Never replaced by a plan: a new k3s_version in user_data used to rebuild every agent at once,
  # taking two of three KRaft voters and MongoDB members down together. K3s is upgraded in place,
  # and a node is replaced on purpose, one at a time (docs/DEPLOY.md, "Upgrading K3s").
  user_data_replace_on_change = false

  metadata_options {
    http_endpoint               = local.metadata_options.http_endpoint
    http_tokens                 = local.metadata_options.http_tokens
    http_put_response_hop_limit = local.metadata_options.http_put_response_hop_limit
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume.size_gib
    iops                  = var.root_volume.iops
    throughput            = var.root_volume.throughput_mibps
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(local.tags, { Name = "${var.name}-k3s-agent-${count.index}" })
  }

  tags = merge(local.tags, { Name = "${var.name}-k3s-agent-${count.index}", "k3s-role" = "agent" })

  lifecycle {
    # user_data only runs at first boot: a changed one (new k3s_version) means nothing to a running
    # node, and must not replace it either. `tofu apply -replace='aws_instance.agent[N]'` does, for
    # one node, after it is drained.
    ignore_changes = [ami, user_data]
  }

  depends_on = [
    aws_iam_role_policy.parameters,
    aws_iam_role_policy_attachment.ssm_core,
    aws_route.private_nat,
    aws_route.public_internet,
  ]
}
