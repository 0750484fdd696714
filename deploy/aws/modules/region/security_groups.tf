# Least privilege, one rule per resource:
#   internet --443/80--> ALB --8080--> tasks --5432--> Aurora
# plus tasks --443--> AWS APIs and ECR (through NAT), and the other regions'
# private subnets --5432--> Aurora (the global writer endpoint leads here while
# this region is the primary; cross-region peering cannot reference groups).

resource "aws_security_group" "alb" {
  name        = "${local.prefix}-alb"
  description = "CustomerPortal ALB: HTTPS and HTTP from the internet, to the tasks only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-alb" })
}

resource "aws_security_group" "tasks" {
  name        = "${local.prefix}-tasks"
  description = "CustomerPortal Fargate tasks: from the ALB on the container port only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-tasks" })
}

resource "aws_security_group" "database" {
  name        = "${local.prefix}-aurora"
  description = "CustomerPortal Aurora: PostgreSQL from the portal tasks only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-aurora" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet (redirected to HTTPS)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the portal tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "From the ALB on the container port"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "AWS APIs (Secrets Manager, CloudWatch, ECR) through NAT"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_database" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "PostgreSQL in this region (reader endpoint, and the writer while this region is primary)"
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_peer_databases" {
  for_each = toset(var.peer_private_subnet_cidrs)

  security_group_id = aws_security_group.tasks.id
  description       = "PostgreSQL in another region (global writer endpoint) over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from this region's portal tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_ingress_rule" "database_from_peers" {
  for_each = toset(var.peer_private_subnet_cidrs)

  security_group_id = aws_security_group.database.id
  description       = "PostgreSQL from another region's private subnets (writes through the global writer endpoint)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}
