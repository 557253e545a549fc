output "kubeconfig_command" {
  description = "Prints the admin kubeconfig; pipe it to a file."
  value       = module.k3s.kubeconfig_command
}

output "ssm_session_command" {
  description = "Opens a shell on the K3s server through Session Manager."
  value       = module.k3s.ssm_session_command
}

output "server_public_ip" {
  description = "Elastic IP of the K3s server."
  value       = module.k3s.server_public_ip
}

output "agent_private_ips" {
  description = "Private IPs of the K3s agents."
  value       = module.k3s.agent_private_ips
}

output "backups" {
  description = "The MongoDB backup bucket and the SSM parameters of its keys (null when backups are off); BACKUPS=1 make deploy reads it."
  value       = module.k3s.backups
}

output "external_secrets" {
  description = "The External Secrets Operator's region, parameter prefix and key parameter (null when off); SECRETS=aws make deploy reads it."
  value       = module.k3s.external_secrets
}

output "ingress_address" {
  description = "Public IP for the query API's and Grafana's DNS records (null when ingress is off)."
  value       = module.k3s.ingress_address
}

output "long_term_storage" {
  description = "The metrics and logs buckets and the SSM parameter of their key (null when off); LONG_TERM=1 make monitoring reads it."
  value       = module.k3s.long_term_storage
}
