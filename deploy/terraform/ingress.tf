# TLS at the edge (var.ingress): HTTPS to K3s' Traefik on the server from the allow-list only; HTTP
# for the ACME HTTP-01 challenge (from anywhere: Let's Encrypt's validation addresses are not
# published) or, without ACME, from the allow-list too.
resource "aws_security_group" "ingress" {
  count = var.ingress.enabled ? 1 : 0

  name_prefix = "${var.name}-k3s-ingress-"
  description = "HTTPS (and ACME HTTP-01) to Traefik on the K3s server"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-k3s-ingress" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = var.ingress.enabled ? toset(var.ingress.allowed_cidrs) : toset([])

  security_group_id = aws_security_group.ingress[0].id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS to Traefik from an allow-listed CIDR"

  tags = merge(local.tags, { Name = "${var.name}-https-${each.value}" })
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  for_each = var.ingress.enabled ? toset(var.ingress.acme_http01 ? ["0.0.0.0/0"] : var.ingress.allowed_cidrs) : toset([])

  security_group_id = aws_security_group.ingress[0].id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  description       = var.ingress.acme_http01 ? "ACME HTTP-01 challenges (and redirects to HTTPS)" : "HTTP to Traefik from an allow-listed CIDR"

  tags = merge(local.tags, { Name = "${var.name}-http-${each.value}" })
}
