# The way to EKS: the same charts and values on a managed control plane. A VPC over three AZs
# (terraform-aws-modules/vpc), an EKS cluster with one managed node group (terraform-aws-modules/eks)
# and the add-ons that replace what K3s or deploy/terraform did by hand: the EBS CSI driver (an EKS
# add-on whose identity is an EKS Pod Identity role, not an IAM user key), the Pod Identity agent,
# and Pod Identity roles for the External Secrets Operator and the MongoDB backup CronJob. The
# migration, component by component, is README.md.
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "tokenmeter"
      Environment = "eks"
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.0.0"

  name = var.name
  cidr = "10.42.0.0/16"

  azs             = local.azs
  private_subnets = [for i, _ in local.azs : cidrsubnet("10.42.0.0/16", 4, i)]
  public_subnets  = [for i, _ in local.azs : cidrsubnet("10.42.0.0/16", 8, 48 + i)]

  enable_nat_gateway = true
  single_nat_gateway = true

  # Where the AWS Load Balancer Controller (or the in-tree service controller) puts load balancers.
  public_subnet_tags  = { "kubernetes.io/role/elb" = 1 }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = 1 }
}

# Roles for EKS Pod Identity: the agent exchanges a pod's service account for these credentials, so
# no pod uses the node role and no key is kept anywhere.
data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ebs_csi" {
  name_prefix        = "${var.name}-ebs-csi-"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "21.0.0"

  name               = var.name
  kubernetes_version = var.kubernetes_version

  endpoint_public_access       = true
  endpoint_public_access_cidrs = var.api_allowed_cidrs

  # The identity that runs `tofu apply` administers the cluster (as the K3s kubeconfig did).
  enable_cluster_creator_admin_permissions = true

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni = {
      before_compute = true
      # The charts' NetworkPolicies are enforced (K3s did it with kube-router).
      configuration_values = jsonencode({ enableNetworkPolicy = "true" })
    }
    eks-pod-identity-agent = {
      before_compute = true
    }
    aws-ebs-csi-driver = {
      pod_identity_association = [{
        role_arn        = aws_iam_role.ebs_csi.arn
        service_account = "ebs-csi-controller-sa"
      }]
    }
  }

  eks_managed_node_groups = {
    workers = {
      instance_types = var.node_group.instance_types
      min_size       = var.node_group.min_size
      max_size       = var.node_group.max_size
      desired_size   = var.node_group.desired_size

      labels = { "tokenmeter.io/pool" = "workers" }

      # As on K3s: pods cannot reach the instance metadata service, so never the node role.
      metadata_options = {
        http_endpoint               = "enabled"
        http_tokens                 = "required"
        http_put_response_hop_limit = 1
      }
    }
  }
}

# The External Secrets Operator reads the application's parameters only (the tokenmeter-secrets
# chart with store.auth.mode=podIdentity: the operator's own Pod Identity credentials).
data "aws_iam_policy_document" "external_secrets" {
  statement {
    actions = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    resources = [
      "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${var.secrets_parameter_prefix}",
      "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${var.secrets_parameter_prefix}/*",
    ]
  }
}

resource "aws_iam_role" "external_secrets" {
  name_prefix        = "${var.name}-external-secrets-"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy" "external_secrets" {
  name   = "read-application-parameters"
  role   = aws_iam_role.external_secrets.id
  policy = data.aws_iam_policy_document.external_secrets.json
}

resource "aws_eks_pod_identity_association" "external_secrets" {
  cluster_name    = module.eks.cluster_name
  namespace       = "external-secrets"
  service_account = "external-secrets"
  role_arn        = aws_iam_role.external_secrets.arn
}

# The MongoDB backup CronJob (mongodb chart backup.serviceAccountName=mongodb-backup): put-only.
data "aws_iam_policy_document" "mongodb_backup" {
  count = var.backups_bucket_arn == null ? 0 : 1

  statement {
    actions   = ["s3:PutObject"]
    resources = ["${var.backups_bucket_arn}/mongodb/*"]
  }
}

resource "aws_iam_role" "mongodb_backup" {
  count = var.backups_bucket_arn == null ? 0 : 1

  name_prefix        = "${var.name}-mongodb-backup-"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy" "mongodb_backup" {
  count = var.backups_bucket_arn == null ? 0 : 1

  name   = "put-mongodb-archives"
  role   = aws_iam_role.mongodb_backup[0].id
  policy = data.aws_iam_policy_document.mongodb_backup[0].json
}

resource "aws_eks_pod_identity_association" "mongodb_backup" {
  count = var.backups_bucket_arn == null ? 0 : 1

  cluster_name    = module.eks.cluster_name
  namespace       = "tokenmeter"
  service_account = "mongodb-backup"
  role_arn        = aws_iam_role.mongodb_backup[0].arn
}
