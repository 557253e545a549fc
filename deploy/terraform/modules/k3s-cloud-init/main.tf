# Renders the cloud-init user_data that installs K3s on a server or an agent. Provider-free, so
# its invariants (pinned version, role, no inlined token) are tested offline by `tofu test`.
locals {
  token_file = "/etc/rancher/k3s/cluster-token"

  # The install script of the same tag as the binary: get.k3s.io always serves the newest one.
  install_script_url = coalesce(
    var.install_script_url,
    "https://raw.githubusercontent.com/k3s-io/k3s/${replace(var.k3s_version, "+", "%2B")}/install.sh",
  )

  # Empty rather than null for a server, so a missing server_address on an agent reaches the
  # precondition on output.user_data instead of failing inside templatefile().
  server_url   = var.server_address == null ? "" : "https://${var.server_address}:6443"
  install_exec = join(" ", concat([var.role], var.extra_args))

  # /etc/rancher/k3s/config.yaml: flags as config keys; empty lists are left out.
  k3s_config = merge(
    { "token-file" = local.token_file },
    var.role == "server" ? { "write-kubeconfig-mode" = "0600" } : {},
    length(var.tls_san) > 0 ? { "tls-san" = var.tls_san } : {},
    length(var.disable_components) > 0 ? { "disable" = var.disable_components } : {},
    length(var.node_labels) > 0 ? { "node-label" = [for key in sort(keys(var.node_labels)) : "${key}=${var.node_labels[key]}"] } : {},
    length(var.node_taints) > 0 ? { "node-taint" = var.node_taints } : {},
  )
  k3s_config_yaml = yamlencode(local.k3s_config)

  # K3s applies every manifest in this directory on the server, and re-applies it when it changes.
  manifests_dir = "/var/lib/rancher/k3s/server/manifests"

  # The EBS CSI driver as a HelmChart of K3s' helm-controller. The node plugin runs on the host
  # network so it reaches IMDS (hop limit 1) for the instance id and zone; the controller gets the
  # region from here and its credentials from Secret aws-secret (the bootstrap script writes it).
  ebs_csi_manifest = var.ebs_csi == null ? null : yamlencode({
    apiVersion = "helm.cattle.io/v1"
    kind       = "HelmChart"
    metadata   = { name = "aws-ebs-csi-driver", namespace = "kube-system" }
    spec = {
      repo            = "https://kubernetes-sigs.github.io/aws-ebs-csi-driver"
      chart           = "aws-ebs-csi-driver"
      version         = var.ebs_csi.chart_version
      targetNamespace = "kube-system"
      valuesContent = yamlencode({
        awsAccessSecret = { name = "aws-secret", keyId = "key_id", accessKey = "access_key" }
        controller = {
          region          = var.aws_region
          replicaCount    = 1
          extraVolumeTags = { "tokenmeter.io/managed-by" = "ebs-csi" }
        }
        node = { hostNetwork = true }
        storageClasses = [{
          name                 = var.ebs_csi.storage_class_name
          volumeBindingMode    = "WaitForFirstConsumer"
          reclaimPolicy        = "Retain"
          allowVolumeExpansion = true
          parameters = merge(
            { type = "gp3", encrypted = "true", "csi.storage.k8s.io/fstype" = "ext4" },
            var.ebs_csi.kms_key_arn == null ? {} : { kmsKeyId = var.ebs_csi.kms_key_arn },
          )
        }]
      })
    }
  })

  bootstrap_script = templatefile("${path.module}/templates/k3s-bootstrap.sh.tftpl", {
    role                      = var.role
    k3s_version               = var.k3s_version
    install_script_url        = local.install_script_url
    install_exec              = local.install_exec
    aws_region                = var.aws_region
    token_parameter_name      = var.token_parameter_name
    token_file                = local.token_file
    kubeconfig_parameter_name = var.kubeconfig_parameter_name
    server_url                = local.server_url
    ebs_csi_parameter_name    = var.ebs_csi == null ? null : var.ebs_csi.credentials_parameter_name
    manifests_dir             = local.manifests_dir
  })

  user_data = templatefile("${path.module}/templates/cloud-config.yaml.tftpl", {
    role             = var.role
    k3s_version      = var.k3s_version
    k3s_config_yaml  = local.k3s_config_yaml
    bootstrap_script = local.bootstrap_script
    extra_files = local.ebs_csi_manifest == null ? [] : [{
      path        = "${local.manifests_dir}/aws-ebs-csi-driver.yaml"
      owner       = "root:root"
      permissions = "0600"
      content     = local.ebs_csi_manifest
    }]
  })
}
