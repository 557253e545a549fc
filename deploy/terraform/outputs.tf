output "kubeconfig_command" {
  description = "Prints the admin kubeconfig with the server's public address; pipe it to a file, e.g. `eval \"$(tofu output -raw kubeconfig_command)\" > ~/.kube/tokenmeter`."
  value       = "aws ssm get-parameter --region ${local.region} --name ${aws_ssm_parameter.kubeconfig.name} --with-decryption --query Parameter.Value --output text | sed 's#https://127.0.0.1:6443#https://${aws_eip.server.public_ip}:6443#'"
}

output "ssm_session_command" {
  description = "Opens a shell on the K3s server through Session Manager (needs the session-manager-plugin)."
  value       = "aws ssm start-session --region ${local.region} --target ${aws_instance.server.id}"
}

output "server_public_ip" {
  description = "Elastic IP of the K3s server; the Kubernetes API listens on 6443 for api_allowed_cidrs."
  value       = aws_eip.server.public_ip
}

output "server_private_ip" {
  description = "Private IP of the K3s server, which agents join."
  value       = aws_instance.server.private_ip
}

output "server_instance_id" {
  description = "Instance ID of the K3s server."
  value       = aws_instance.server.id
}

output "agent_private_ips" {
  description = "Private IPs of the K3s agents."
  value       = aws_instance.agent[*].private_ip
}

output "agent_instance_ids" {
  description = "Instance IDs of the K3s agents (for aws ssm start-session --target)."
  value       = aws_instance.agent[*].id
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Map of availability zone to public subnet ID."
  value       = { for az, subnet in aws_subnet.public : az => subnet.id }
}

output "private_subnet_ids" {
  description = "Map of availability zone to private subnet ID."
  value       = { for az, subnet in aws_subnet.private : az => subnet.id }
}

output "cluster_security_group_id" {
  description = "Security group of all K3s nodes (node-to-node traffic between members)."
  value       = aws_security_group.cluster.id
}

output "token_parameter_name" {
  description = "SSM SecureString parameter holding the K3s cluster token."
  value       = aws_ssm_parameter.token.name
}

output "kubeconfig_parameter_name" {
  description = "SSM SecureString parameter the server writes its admin kubeconfig to."
  value       = aws_ssm_parameter.kubeconfig.name
}

output "storage_class_name" {
  description = "The encrypted gp3 StorageClass (EBS CSI, Retain) for stateful workloads, or null when ebs_csi is off."
  value       = var.ebs_csi.enabled ? var.ebs_csi.storage_class_name : null
}

output "backups" {
  description = "The MongoDB backup bucket, its region and prefix, and the SSM parameters holding the writer's (CronJob) and reader's (restore) keys; null when backups are off."
  value = var.backups.enabled ? {
    bucket                       = aws_s3_bucket.backups[0].id
    region                       = local.region
    prefix                       = var.backups.prefix
    retention_days               = var.backups.retention_days
    writer_credentials_parameter = aws_ssm_parameter.backups_credentials["writer"].name
    reader_credentials_parameter = aws_ssm_parameter.backups_credentials["reader"].name
  } : null
}

output "external_secrets" {
  description = "Region, the application's parameter prefix and the SSM parameter holding the External Secrets Operator's key; null when external_secrets is off."
  value = var.external_secrets.enabled ? {
    region                = local.region
    parameter_prefix      = var.external_secrets.parameter_prefix
    credentials_parameter = aws_ssm_parameter.external_secrets_credentials[0].name
  } : null
}

output "ingress_address" {
  description = "Public IP to point the query API's and Grafana's DNS names at (A records), or null when ingress is off."
  value       = var.ingress.enabled ? aws_eip.server.public_ip : null
}

output "long_term_storage" {
  description = "Region, the metrics and logs buckets, Loki's retention and the SSM parameter of the key; null when long_term_storage is off."
  value = var.long_term_storage.enabled ? {
    region                = local.region
    metrics_bucket        = aws_s3_bucket.long_term["metrics"].id
    logs_bucket           = aws_s3_bucket.long_term["logs"].id
    logs_retention_hours  = var.long_term_storage.logs_retention_days * 24
    credentials_parameter = aws_ssm_parameter.long_term_credentials[0].name
  } : null
}
