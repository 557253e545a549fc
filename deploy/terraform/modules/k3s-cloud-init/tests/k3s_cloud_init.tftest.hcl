# Offline tests of the rendered K3s user_data (no providers, no cloud calls): pinned version,
# role-specific install, and the cluster token only ever read from SSM at boot.

variables {
  k3s_version          = "v1.34.3+k3s1"
  aws_region           = "us-east-1"
  token_parameter_name = "/tokenmeter/k3s/token"
}

run "server_installs_the_pinned_version_as_server" {
  command = plan

  variables {
    role                      = "server"
    kubeconfig_parameter_name = "/tokenmeter/k3s/kubeconfig"
    tls_san                   = ["203.0.113.10", "ec2-203-0-113-10.compute-1.amazonaws.com"]
    disable_components        = ["traefik"]
  }

  assert {
    condition     = startswith(output.user_data, "#cloud-config\n")
    error_message = "user_data must be a #cloud-config document."
  }

  assert {
    condition     = strcontains(output.user_data, "INSTALL_K3S_VERSION='v1.34.3+k3s1'")
    error_message = "user_data does not pin INSTALL_K3S_VERSION to v1.34.3+k3s1."
  }

  assert {
    condition     = output.install_script_url == "https://raw.githubusercontent.com/k3s-io/k3s/v1.34.3%2Bk3s1/install.sh"
    error_message = "The install script is not taken from the pinned K3s tag: ${output.install_script_url}"
  }

  assert {
    condition     = output.install_exec == "server" && strcontains(output.user_data, "INSTALL_K3S_EXEC='server'")
    error_message = "The server must install with INSTALL_K3S_EXEC='server', got '${output.install_exec}'."
  }

  assert {
    condition     = !strcontains(output.user_data, "K3S_URL")
    error_message = "The server must not set K3S_URL (that would make it an agent)."
  }

  assert {
    condition = yamldecode(output.k3s_config_yaml) == {
      "token-file"            = "/etc/rancher/k3s/cluster-token"
      "write-kubeconfig-mode" = "0600"
      "tls-san"               = ["203.0.113.10", "ec2-203-0-113-10.compute-1.amazonaws.com"]
      "disable"               = ["traefik"]
    }
    error_message = "Unexpected server config.yaml:\n${output.k3s_config_yaml}"
  }

  assert {
    condition     = strcontains(output.user_data, "aws ssm put-parameter") && strcontains(output.user_data, "/tokenmeter/k3s/kubeconfig")
    error_message = "The server must publish its kubeconfig to the SSM parameter."
  }
}

run "agent_joins_the_server_with_k3s_url" {
  command = plan

  variables {
    role           = "agent"
    server_address = "10.0.0.10"
    node_labels    = { "tokenmeter.io/pool" = "workers" }
    node_taints    = ["dedicated=gpu:NoSchedule"]
    extra_args     = ["--node-name=worker-0"]
  }

  assert {
    condition     = strcontains(output.user_data, "INSTALL_K3S_VERSION='v1.34.3+k3s1'")
    error_message = "user_data does not pin INSTALL_K3S_VERSION to v1.34.3+k3s1."
  }

  assert {
    condition     = strcontains(output.user_data, "K3S_URL='https://10.0.0.10:6443'")
    error_message = "The agent must join the server through K3S_URL=https://10.0.0.10:6443."
  }

  assert {
    condition     = output.install_exec == "agent --node-name=worker-0"
    error_message = "The agent must install with INSTALL_K3S_EXEC='agent ...', got '${output.install_exec}'."
  }

  assert {
    condition = yamldecode(output.k3s_config_yaml) == {
      "token-file" = "/etc/rancher/k3s/cluster-token"
      "node-label" = ["tokenmeter.io/pool=workers"]
      "node-taint" = ["dedicated=gpu:NoSchedule"]
    }
    error_message = "Unexpected agent config.yaml:\n${output.k3s_config_yaml}"
  }

  assert {
    condition     = !strcontains(output.user_data, "put-parameter")
    error_message = "Agents must not write SSM parameters."
  }
}

run "token_is_read_from_ssm_never_inlined" {
  command = plan

  variables {
    role                      = "server"
    kubeconfig_parameter_name = "/tokenmeter/k3s/kubeconfig"
  }

  assert {
    condition     = strcontains(output.user_data, "aws ssm get-parameter") && strcontains(output.user_data, "--with-decryption")
    error_message = "The token must be read from SSM with --with-decryption at boot."
  }

  assert {
    condition     = strcontains(output.user_data, "TOKEN_PARAMETER='/tokenmeter/k3s/token'")
    error_message = "The token parameter name is not in the bootstrap script."
  }

  # Neither K3S_TOKEN=<value>, nor a token: key in config.yaml, nor a --token flag.
  assert {
    condition = (
      !strcontains(output.user_data, "K3S_TOKEN=") &&
      !can(yamldecode(output.k3s_config_yaml)["token"]) &&
      !strcontains(output.user_data, "--token")
    )
    error_message = "The cluster token must only come from SSM through token-file."
  }

  # The whole document is valid YAML: cloud-init would silently skip a broken one.
  assert {
    condition     = length(yamldecode(output.user_data).write_files) == 2 && yamldecode(output.user_data).runcmd == [["/usr/local/sbin/k3s-bootstrap.sh"]]
    error_message = "user_data is not the expected cloud-config document."
  }

  # 0600 must stay a string: an unquoted YAML 0600 would be read as a number.
  assert {
    condition     = strcontains(output.k3s_config_yaml, "\"0600\"")
    error_message = "write-kubeconfig-mode must be rendered as the string \"0600\":\n${output.k3s_config_yaml}"
  }
}

run "rejects_token_flags_in_extra_args" {
  command = plan

  variables {
    role       = "server"
    extra_args = ["--token=not-in-user-data"]
  }

  expect_failures = [var.extra_args]
}

run "rejects_unpinned_k3s_version" {
  command = plan

  variables {
    role        = "server"
    k3s_version = "stable"
  }

  expect_failures = [var.k3s_version]
}

run "rejects_unknown_role" {
  command = plan

  variables {
    role = "worker"
  }

  expect_failures = [var.role]
}

run "rejects_agent_without_server_address" {
  command = plan

  variables {
    role = "agent"
  }

  expect_failures = [output.user_data]
}

run "rejects_agent_writing_the_kubeconfig" {
  command = plan

  variables {
    role                      = "agent"
    server_address            = "10.0.0.10"
    kubeconfig_parameter_name = "/tokenmeter/k3s/kubeconfig"
  }

  expect_failures = [output.user_data]
}

run "rejects_invalid_taint" {
  command = plan

  variables {
    role           = "agent"
    server_address = "10.0.0.10"
    node_taints    = ["dedicated=gpu:Sometimes"]
  }

  expect_failures = [var.node_taints]
}

run "server_installs_the_ebs_csi_driver_with_an_encrypted_retained_gp3_class" {
  command = plan

  variables {
    role = "server"
    ebs_csi = {
      chart_version              = "2.54.1"
      storage_class_name         = "ebs-gp3"
      credentials_parameter_name = "/tokenmeter/k3s/ebs-csi-credentials"
    }
  }

  assert {
    condition = (
      yamldecode(output.ebs_csi_manifest).kind == "HelmChart" &&
      yamldecode(output.ebs_csi_manifest).spec.chart == "aws-ebs-csi-driver" &&
      yamldecode(output.ebs_csi_manifest).spec.version == "2.54.1"
    )
    error_message = "The server must install the EBS CSI driver chart at the pinned version:\n${output.ebs_csi_manifest}"
  }

  assert {
    condition = yamldecode(yamldecode(output.ebs_csi_manifest).spec.valuesContent).storageClasses == [{
      name                 = "ebs-gp3"
      volumeBindingMode    = "WaitForFirstConsumer"
      reclaimPolicy        = "Retain"
      allowVolumeExpansion = true
      parameters           = { type = "gp3", encrypted = "true", "csi.storage.k8s.io/fstype" = "ext4" }
    }]
    error_message = "The StorageClass must be gp3, encrypted, WaitForFirstConsumer and Retain:\n${output.ebs_csi_manifest}"
  }

  assert {
    condition     = yamldecode(yamldecode(output.ebs_csi_manifest).spec.valuesContent).node.hostNetwork == true
    error_message = "The node plugin must run on the host network to reach IMDS with hop limit 1."
  }

  assert {
    condition = (
      strcontains(output.user_data, "/var/lib/rancher/k3s/server/manifests/aws-ebs-csi-driver.yaml") &&
      strcontains(output.user_data, "/tokenmeter/k3s/ebs-csi-credentials") &&
      !strcontains(output.user_data, "access_key: \"AKIA")
    )
    error_message = "The user_data must write the manifest and read the credentials from SSM at boot, never carry them."
  }
}

run "rejects_ebs_csi_on_an_agent" {
  command = plan

  variables {
    role           = "agent"
    server_address = "10.0.0.10"
    ebs_csi = {
      chart_version              = "2.54.1"
      storage_class_name         = "ebs-gp3"
      credentials_parameter_name = "/tokenmeter/k3s/ebs-csi-credentials"
    }
  }

  expect_failures = [output.user_data]
}

run "rejects_an_unpinned_ebs_csi_chart" {
  command = plan

  variables {
    role = "server"
    ebs_csi = {
      chart_version              = "latest"
      storage_class_name         = "ebs-gp3"
      credentials_parameter_name = "/tokenmeter/k3s/ebs-csi-credentials"
    }
  }

  expect_failures = [var.ebs_csi]
}
