variable "name" {
  description = "Name prefix of every resource and of the SSM parameters (/<name>/k3s/...)."
  type        = string
  default     = "tokenmeter"

  validation {
    # 24 characters keep "<name>-k3s-server-" within the 38-character IAM name_prefix limit.
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource, on top of Name, Project and ManagedBy."
  type        = map(string)
  default     = {}
  nullable    = false
}

# vpc_cidr and api_allowed_cidrs are validated once, by modules/network-plan (and its tofu tests),
# which every plan passes them through.
variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (/16 to /24). Public subnets take its lower half, private subnets its upper half."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones with one public and one private subnet each; the server lives in the first, agents round-robin over all."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 4 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number between 1 and 4."
  }
}

variable "enable_nat_gateway" {
  description = "Create one NAT gateway so agents in private subnets can pull images (about $33/month plus $0.045/GB in us-east-1). When false, agents run in the public subnets with a public IPv4 and still no inbound rule."
  type        = bool
  default     = true
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the Kubernetes API on 6443/tcp, the only public ingress. 0.0.0.0/0 is refused unless allow_public_api = true."
  type        = list(string)
}

variable "allow_public_api" {
  description = "Explicit opt-in to accept 0.0.0.0/0 in api_allowed_cidrs (Kubernetes API open to the internet, still behind client certificates)."
  type        = bool
  default     = false
}

variable "k3s_version" {
  description = "Exact K3s release installed on every node; the install script is taken from the same git tag."
  type        = string
  default     = "v1.34.3+k3s1"

  validation {
    condition     = can(regex("^v1\\.[0-9]+\\.[0-9]+(-rc[0-9]+)?\\+k3s[0-9]+$", var.k3s_version))
    error_message = "k3s_version must be an exact K3s release such as v1.34.3+k3s1."
  }
}

variable "disable_traefik" {
  description = "Start the server with --disable traefik. Default true: no security group rule lets ingress traffic reach it, and the charts are reached through the API (port-forward). ingress.enabled keeps Traefik regardless."
  type        = bool
  default     = true
}

variable "server_instance_type" {
  description = "EC2 instance type of the K3s server (control plane plus workloads). Must match the AMI architecture."
  type        = string
  default     = "t3.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.server_instance_type))
    error_message = "server_instance_type must look like t3.large."
  }
}

variable "agent_instance_type" {
  description = "EC2 instance type of the K3s agents. Must match the AMI architecture."
  type        = string
  default     = "t3.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.agent_instance_type))
    error_message = "agent_instance_type must look like t3.large."
  }
}

variable "agent_count" {
  description = "Number of K3s agents (0 runs everything on the server)."
  type        = number
  default     = 2

  validation {
    condition     = var.agent_count >= 0 && var.agent_count <= 20 && floor(var.agent_count) == var.agent_count
    error_message = "agent_count must be a whole number between 0 and 20."
  }
}

variable "root_volume" {
  description = "Root EBS volume of every node: always gp3 and encrypted; size in GiB, baseline IOPS and throughput."
  type = object({
    size_gib         = optional(number, 30)
    iops             = optional(number, 3000)
    throughput_mibps = optional(number, 125)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.root_volume.size_gib >= 20 && var.root_volume.size_gib <= 16384
    error_message = "root_volume.size_gib must be between 20 and 16384 (container images need room)."
  }

  validation {
    condition     = var.root_volume.iops >= 3000 && var.root_volume.iops <= 16000 && var.root_volume.throughput_mibps >= 125 && var.root_volume.throughput_mibps <= 1000
    error_message = "gp3 allows iops 3000-16000 and throughput_mibps 125-1000."
  }
}

variable "server_node" {
  description = "K3s settings of the server: node labels, taints (key=value:Effect) and extra flags (--flag=value)."
  type = object({
    labels     = optional(map(string), {})
    taints     = optional(list(string), [])
    extra_args = optional(list(string), [])
  })
  default  = {}
  nullable = false
}

variable "agent_node" {
  description = "K3s settings shared by all agents: node labels, taints (key=value:Effect) and extra flags (--flag=value)."
  type = object({
    labels     = optional(map(string), {})
    taints     = optional(list(string), [])
    extra_args = optional(list(string), [])
  })
  default  = {}
  nullable = false
}

variable "ami_id" {
  description = "AMI of every node. Null resolves ami_ssm_parameter at plan time; set it to pin the OS image exactly."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like ami-0123456789abcdef0."
  }
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter naming the AMI when ami_id is null. Amazon Linux 2023 ships the SSM agent and AWS CLI v2 the bootstrap needs; use the arm64 parameter for Graviton instance types."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/")
    error_message = "ami_ssm_parameter must be a fully qualified SSM parameter name."
  }
}

variable "ssm_parameter_prefix" {
  description = "Prefix of the token and kubeconfig SSM parameters. Null uses /<name>/k3s."
  type        = string
  default     = null

  validation {
    condition     = var.ssm_parameter_prefix == null || can(regex("^(/[A-Za-z0-9_.-]+)+$", var.ssm_parameter_prefix))
    error_message = "ssm_parameter_prefix must look like /tokenmeter/k3s (no trailing slash)."
  }
}

variable "ebs_csi" {
  description = <<-EOT
    The AWS EBS CSI driver, installed by the server's K3s (helm-controller), with one StorageClass
    that stateful workloads use instead of local-path on the nodes' root disks: gp3, encrypted
    (kms_key_arn, or the account's default EBS key), WaitForFirstConsumer, reclaimPolicy Retain.
    Its volumes outlive the instances, so replacing a node keeps Kafka's and MongoDB's data.
    The driver authenticates as an IAM user limited to EBS volumes whose key is kept in SSM
    Parameter Store (the nodes keep IMDS hop limit 1, so pods never get the instance role).
  EOT
  type = object({
    enabled            = optional(bool, true)
    chart_version      = optional(string, "2.48.0")
    storage_class_name = optional(string, "ebs-gp3")
    kms_key_arn        = optional(string)
  })
  default  = {}
  nullable = false
}

variable "backups" {
  description = <<-EOT
    An S3 bucket for the mongodb chart's scheduled dumps (backup.enabled): private, versioned off,
    encrypted (SSE-S3), TLS-only, archives under `prefix/` expired after retention_days (the
    retention of the backups is this lifecycle rule). The CronJob uploads as an IAM user that may
    only put objects under the prefix; a separate reader may list and get them for a restore.
    Both keys are kept in SSM Parameter Store (in the Terraform state too; keep the state safe).
  EOT
  type = object({
    enabled        = optional(bool, false)
    prefix         = optional(string, "mongodb")
    retention_days = optional(number, 14)
    force_destroy  = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.backups.retention_days >= 1 && var.backups.retention_days <= 3650
    error_message = "backups.retention_days must be between 1 and 3650."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.backups.prefix))
    error_message = "backups.prefix is a key prefix without leading or trailing slash, e.g. mongodb."
  }
}

variable "external_secrets" {
  description = <<-EOT
    An IAM user for the External Secrets Operator (the tokenmeter-secrets chart): it may only read
    the SSM parameters under parameter_prefix (and, with secrets_manager, the Secrets Manager
    secrets named under it). Its key is kept in SSM Parameter Store for `SECRETS=aws make deploy`,
    which puts it in the one bootstrap Secret external-secrets/external-secrets-aws. A key rather
    than the node role (pods cannot reach IMDS: hop limit 1) or a web identity (K3s' service-account
    issuer is not public; on EKS the chart uses a role instead, docs/DEPLOY.md).
  EOT
  type = object({
    enabled          = optional(bool, false)
    parameter_prefix = optional(string, "/tokenmeter/secrets")
    secrets_manager  = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+$", var.external_secrets.parameter_prefix))
    error_message = "external_secrets.parameter_prefix must look like /tokenmeter/secrets (no trailing slash)."
  }
}

variable "ingress" {
  description = <<-EOT
    TLS at the edge: K3s' Traefik on the server (whatever disable_traefik says) and a security group
    on it that lets allowed_cidrs reach 443. ACME HTTP-01 (cert-manager, the tokenmeter-edge chart)
    needs Let's Encrypt to reach port 80 from addresses it does not publish, so with acme_http01
    port 80 is open to everyone (Traefik answers only the challenge path and redirects the rest);
    without it, 80 gets the same allow-list as 443. Only applies to a server created with it: a
    running server keeps its K3s flags (docs/DEPLOY.md).
  EOT
  type = object({
    enabled       = optional(bool, false)
    allowed_cidrs = optional(list(string), [])
    acme_http01   = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !var.ingress.enabled || length(var.ingress.allowed_cidrs) > 0
    error_message = "ingress.allowed_cidrs must list at least one CIDR when ingress.enabled (use [\"0.0.0.0/0\"] for a public API on purpose)."
  }

  validation {
    condition     = alltrue([for cidr in var.ingress.allowed_cidrs : can(cidrnetmask(cidr))])
    error_message = "ingress.allowed_cidrs must be IPv4 CIDRs, e.g. 198.51.100.0/24."
  }
}

variable "long_term_storage" {
  description = <<-EOT
    S3 for metrics and logs beyond the nodes' disks: one bucket for Prometheus' Thanos sidecar (TSDB
    blocks, expired by a lifecycle rule after metrics_retention_days) and one for Loki (chunks and
    index; Loki's compactor deletes what is older than its retention_period, logs_retention_days is
    a lifecycle backstop a week later). Both are private, SSE-S3, TLS-only. One IAM user may list,
    read, write and delete objects in these two buckets only; its key is kept in SSM Parameter Store
    for `LONG_TERM=1 make monitoring`.
  EOT
  type = object({
    enabled                = optional(bool, false)
    metrics_retention_days = optional(number, 395)
    logs_retention_days    = optional(number, 90)
    force_destroy          = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.long_term_storage.metrics_retention_days >= 7 && var.long_term_storage.logs_retention_days >= 7
    error_message = "long_term_storage retention must be at least 7 days."
  }
}
