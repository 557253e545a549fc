output "user_data" {
  description = "The #cloud-config user_data for aws_instance.user_data (under the 16 KiB EC2 limit)."
  value       = local.user_data

  precondition {
    condition     = var.role == "server" || var.server_address != null
    error_message = "role = \"agent\" needs server_address: agents join https://<server_address>:6443."
  }

  precondition {
    condition     = var.role == "server" || (var.kubeconfig_parameter_name == null && length(var.tls_san) == 0 && length(var.disable_components) == 0)
    error_message = "kubeconfig_parameter_name, tls_san and disable_components are server settings; agents do not write the kubeconfig."
  }

  precondition {
    condition     = var.role == "server" || var.ebs_csi == null
    error_message = "ebs_csi is a server setting: the server installs the driver for the whole cluster."
  }

  precondition {
    condition     = length(local.user_data) <= 16384
    error_message = "The rendered user_data exceeds the 16 KiB EC2 limit."
  }
}

output "k3s_config_yaml" {
  description = "The /etc/rancher/k3s/config.yaml the user_data writes."
  value       = local.k3s_config_yaml
}

output "install_exec" {
  description = "INSTALL_K3S_EXEC passed to the install script: the role followed by extra_args."
  value       = local.install_exec
}

output "install_script_url" {
  description = "The K3s install script the node downloads at boot."
  value       = local.install_script_url
}

output "ebs_csi_manifest" {
  description = "The HelmChart manifest of the EBS CSI driver and its StorageClass the server writes, or null."
  value       = local.ebs_csi_manifest
}
