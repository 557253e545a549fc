output "kubeconfig_command" {
  description = "Writes a kubeconfig for the cluster (aws eks update-kubeconfig)."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "external_secrets_role_arn" {
  description = "Pod Identity role of the External Secrets Operator (service account external-secrets/external-secrets)."
  value       = aws_iam_role.external_secrets.arn
}

output "mongodb_backup_role_arn" {
  description = "Pod Identity role of the MongoDB backup CronJob (service account tokenmeter/mongodb-backup), or null."
  value       = one(aws_iam_role.mongodb_backup[*].arn)
}
