# Security groups: no public ingress except the Kubernetes API from the allow-list; node-to-node
# traffic only between members of the cluster group. Egress is open (images, K3s, SSM, AWS APIs).
resource "aws_security_group" "cluster" {
  name_prefix = "${var.name}-k3s-nodes-"
  description = "K3s nodes: node-to-node traffic between members only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-k3s-nodes" })

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # Single server with embedded SQLite: no etcd peer ports (2379-2380) are needed.
  cluster_ports = {
    flannel_vxlan = { protocol = "udp", port = 8472, description = "flannel VXLAN overlay between nodes" }
    kubelet       = { protocol = "tcp", port = 10250, description = "kubelet API (logs, exec, metrics-server)" }
    api_server    = { protocol = "tcp", port = 6443, description = "Kubernetes API and K3s supervisor from agents" }
  }
}

resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = local.cluster_ports

  security_group_id            = aws_security_group.cluster.id
  referenced_security_group_id = aws_security_group.cluster.id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = each.value.description

  tags = merge(local.tags, { Name = "${var.name}-${replace(each.key, "_", "-")}" })
}

resource "aws_vpc_security_group_egress_rule" "cluster_all" {
  security_group_id = aws_security_group.cluster.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "Images, K3s downloads, SSM and AWS APIs"

  tags = merge(local.tags, { Name = "${var.name}-egress" })
}

resource "aws_security_group" "api" {
  name_prefix = "${var.name}-k3s-api-"
  description = "Kubernetes API of the K3s server from the allow-listed CIDRs"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-k3s-api" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "api" {
  # The network-plan module refuses 0.0.0.0/0 unless allow_public_api = true.
  for_each = toset(module.network_plan.api_allowed_cidrs)

  security_group_id = aws_security_group.api.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
  description       = "Kubernetes API from an allow-listed CIDR"

  tags = merge(local.tags, { Name = "${var.name}-api-${each.value}" })
}
