variable "role" {
  description = "K3s role of the nodes this user_data boots: \"server\" (control plane, single server with embedded SQLite) or \"agent\"."
  type        = string

  validation {
    condition     = contains(["server", "agent"], var.role)
    error_message = "role must be \"server\" or \"agent\"."
  }
}

variable "k3s_version" {
  description = "Exact K3s release to install, e.g. v1.34.3+k3s1. Also pins the install script to the same git tag."
  type        = string

  validation {
    condition     = can(regex("^v1\\.[0-9]+\\.[0-9]+(-rc[0-9]+)?\\+k3s[0-9]+$", var.k3s_version))
    error_message = "k3s_version must be an exact K3s release such as v1.34.3+k3s1 (no channels like \"stable\")."
  }
}

variable "install_script_url" {
  description = "URL of the K3s install script. Null uses install.sh from the k3s-io/k3s git tag of k3s_version, so the installer is pinned as well as the binary."
  type        = string
  default     = null

  validation {
    condition     = var.install_script_url == null || can(regex("^https://[^'\"\\s]+$", var.install_script_url))
    error_message = "install_script_url must be an https:// URL without quotes or spaces."
  }
}

variable "aws_region" {
  description = "AWS region of the SSM parameters, passed to the AWS CLI on the node."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.aws_region))
    error_message = "aws_region must look like us-east-1."
  }
}

variable "token_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the cluster token; the node reads it at boot with its instance role, so the token never appears in user_data."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]+$", var.token_parameter_name))
    error_message = "token_parameter_name must be a fully qualified SSM parameter name such as /tokenmeter/k3s/token."
  }
}

variable "kubeconfig_parameter_name" {
  description = "Server only: SSM SecureString parameter the server overwrites with its admin kubeconfig once K3s is up. Null skips publishing."
  type        = string
  default     = null

  validation {
    condition     = var.kubeconfig_parameter_name == null || can(regex("^/[A-Za-z0-9_./-]+$", var.kubeconfig_parameter_name))
    error_message = "kubeconfig_parameter_name must be a fully qualified SSM parameter name such as /tokenmeter/k3s/kubeconfig."
  }
}

variable "server_address" {
  description = "Agent only: private IP or DNS name of the K3s server; agents join https://<server_address>:6443 (K3S_URL)."
  type        = string
  default     = null

  validation {
    condition     = var.server_address == null || can(regex("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$", var.server_address))
    error_message = "server_address must be an IPv4 address or a DNS name."
  }
}

variable "tls_san" {
  description = "Server only: extra names and IPs in the API server certificate (e.g. the public IP and DNS name clients use)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for san in var.tls_san : can(regex("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$", san))])
    error_message = "tls_san entries must be IPv4 addresses or DNS names."
  }
}

variable "disable_components" {
  description = "Server only: packaged K3s components to leave out (--disable), e.g. [\"traefik\"]."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for component in var.disable_components :
      contains(["coredns", "servicelb", "traefik", "local-storage", "metrics-server", "runtimes"], component)
    ])
    error_message = "disable_components entries must be K3s packaged components: coredns, servicelb, traefik, local-storage, metrics-server, runtimes."
  }
}

variable "node_labels" {
  description = "Kubernetes labels registered with the node (--node-label)."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for key, value in var.node_labels :
      can(regex("^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$", key)) &&
      can(regex("^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$", value))
    ])
    error_message = "node_labels must be valid Kubernetes label keys and values."
  }
}

variable "node_taints" {
  description = "Kubernetes taints registered with the node (--node-taint), as key=value:Effect or key:Effect."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for taint in var.node_taints :
      can(regex("^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9][A-Za-z0-9._-]*(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$", taint))
    ])
    error_message = "node_taints entries must look like key=value:NoSchedule (effects: NoSchedule, PreferNoSchedule, NoExecute)."
  }
}

variable "extra_args" {
  description = "Extra K3s flags appended to the server/agent command line, each as --flag or --flag=value."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arg in var.extra_args : can(regex("^--[a-z0-9][a-z0-9-]*(=[A-Za-z0-9._:/,=@+-]*)?$", arg))])
    error_message = "extra_args entries must be single --flag or --flag=value words without spaces or quotes."
  }

  validation {
    # The token only ever comes from SSM at boot; a flag would put it into user_data.
    condition     = alltrue([for arg in var.extra_args : !can(regex("^--(agent-)?token", arg))])
    error_message = "extra_args must not set --token, --token-file or --agent-token: the cluster token is read from SSM at boot."
  }
}

variable "ebs_csi" {
  description = <<-EOT
    Server only: install the AWS EBS CSI driver (K3s' helm-controller, from the auto-deploy manifests
    directory) at chart_version with one StorageClass named storage_class_name: gp3, encrypted (with
    kms_key_arn, or the account's default EBS key), WaitForFirstConsumer, reclaimPolicy Retain,
    expandable. The driver's AWS credentials are read at boot from the SSM SecureString
    credentials_parameter_name ({"key_id": ..., "access_key": ...}) into Secret kube-system/aws-secret,
    so the nodes keep IMDS hop limit 1. Null installs nothing.
  EOT
  type = object({
    chart_version              = string
    storage_class_name         = string
    credentials_parameter_name = string
    kms_key_arn                = optional(string)
  })
  default = null

  validation {
    condition     = var.ebs_csi == null || can(regex("^\\d+\\.\\d+\\.\\d+$", var.ebs_csi.chart_version))
    error_message = "ebs_csi.chart_version must be an exact chart version such as 2.54.1."
  }

  validation {
    condition     = var.ebs_csi == null || can(regex("^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$", var.ebs_csi.storage_class_name))
    error_message = "ebs_csi.storage_class_name must be a DNS-1123 name."
  }

  validation {
    condition     = var.ebs_csi == null || can(regex("^/[A-Za-z0-9_./-]+$", var.ebs_csi.credentials_parameter_name))
    error_message = "ebs_csi.credentials_parameter_name must be a fully qualified SSM parameter name."
  }
}
