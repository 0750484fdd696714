# Least privilege, one rule per resource:
#   internet --443/80--> ALB --8080--> tasks --5432--> Aurora
# plus tasks --443--> AWS APIs and ECR (through NAT), and the other regions'
# private subnets --5432--> Aurora (the global writer endpoint leads here while
# this region is the primary; cross-region peering cannot reference groups).
# The control plane:
#   tasks, controller --2379--> etcd (this region's, and the other regions'
#   members at their fixed addresses over peering)
#   etcd --2380--> the other regions' etcd members only
#   tasks, controller, other regions' private subnets, operator_cidrs
#     --controller_port--> internal NLB --controller_port--> controller

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

# ---------------------------------------------------------------- control plane

resource "aws_security_group" "etcd" {
  name        = "${local.prefix}-etcd"
  description = "CustomerPortal etcd member: clients from the controller replicas and portals, peers from the other members only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-etcd" })
}

resource "aws_security_group" "controller" {
  name        = "${local.prefix}-controller"
  description = "CustomerPortal controller replica: its API from the internal NLB only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-controller" })
}

resource "aws_security_group" "controller_lb" {
  name        = "${local.prefix}-controller-nlb"
  description = "CustomerPortal controller NLB: from the portals, the replicas and the operators' networks"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-controller-nlb" })
}

locals {
  # Private subnets of the other regions, as the portals and replicas there
  # appear over peering; their etcd members by their fixed address.
  etcd_peer_cidrs = [for ip in var.etcd_peer_ips : "${ip}/32"]
}

# etcd client port 2379: this region's replica and portals, and the other
# regions' replicas and portals (they use every region's member).
resource "aws_vpc_security_group_ingress_rule" "etcd_client_from_controller" {
  security_group_id            = aws_security_group.etcd.id
  description                  = "etcd clients: this region's controller replica"
  referenced_security_group_id = aws_security_group.controller.id
  ip_protocol                  = "tcp"
  from_port                    = 2379
  to_port                      = 2379
}

resource "aws_vpc_security_group_ingress_rule" "etcd_client_from_tasks" {
  security_group_id            = aws_security_group.etcd.id
  description                  = "etcd clients: this region's portal tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = 2379
  to_port                      = 2379
}

resource "aws_vpc_security_group_ingress_rule" "etcd_client_from_peers" {
  for_each = toset(var.peer_private_subnet_cidrs)

  security_group_id = aws_security_group.etcd.id
  description       = "etcd clients: another region's controller replica and portals over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 2379
  to_port           = 2379
}

# etcd peer port 2380: only the other members (one per region, /32).
resource "aws_vpc_security_group_ingress_rule" "etcd_peer_from_members" {
  for_each = toset(local.etcd_peer_cidrs)

  security_group_id = aws_security_group.etcd.id
  description       = "etcd raft traffic from another region's member"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 2380
  to_port           = 2380
}

resource "aws_vpc_security_group_egress_rule" "etcd_to_members" {
  for_each = toset(local.etcd_peer_cidrs)

  security_group_id = aws_security_group.etcd.id
  description       = "etcd raft traffic to another region's member"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 2380
  to_port           = 2380
}

resource "aws_vpc_security_group_egress_rule" "etcd_https" {
  security_group_id = aws_security_group.etcd.id
  description       = "Packages, the etcd image and Session Manager through NAT"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The controller replica.
resource "aws_vpc_security_group_ingress_rule" "controller_from_lb" {
  security_group_id            = aws_security_group.controller.id
  description                  = "Control API from the internal NLB (requests and its health checks)"
  referenced_security_group_id = aws_security_group.controller_lb.id
  ip_protocol                  = "tcp"
  from_port                    = var.controller_port
  to_port                      = var.controller_port
}

resource "aws_vpc_security_group_egress_rule" "controller_to_etcd" {
  security_group_id            = aws_security_group.controller.id
  description                  = "etcd in this region"
  referenced_security_group_id = aws_security_group.etcd.id
  ip_protocol                  = "tcp"
  from_port                    = 2379
  to_port                      = 2379
}

resource "aws_vpc_security_group_egress_rule" "controller_to_peer_etcd" {
  for_each = toset(local.etcd_peer_cidrs)

  security_group_id = aws_security_group.controller.id
  description       = "etcd in another region over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 2379
  to_port           = 2379
}

resource "aws_vpc_security_group_egress_rule" "controller_to_lb" {
  security_group_id            = aws_security_group.controller.id
  description                  = "This region's controller NLB"
  referenced_security_group_id = aws_security_group.controller_lb.id
  ip_protocol                  = "tcp"
  from_port                    = var.controller_port
  to_port                      = var.controller_port
}

resource "aws_vpc_security_group_egress_rule" "controller_to_peer_controllers" {
  for_each = toset(var.peer_private_subnet_cidrs)

  security_group_id = aws_security_group.controller.id
  description       = "Another region's controller NLB (reports, forwarded commands) over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.controller_port
  to_port           = var.controller_port
}

resource "aws_vpc_security_group_egress_rule" "controller_https" {
  security_group_id = aws_security_group.controller.id
  description       = "AWS APIs (RDS, Global Accelerator, Route 53, CloudWatch, Secrets Manager, ECR) and the regions' ALBs (probes) through NAT"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The controller NLB: portals and replicas of every region, operators.
resource "aws_vpc_security_group_ingress_rule" "controller_lb_from_tasks" {
  security_group_id            = aws_security_group.controller_lb.id
  description                  = "Write-lease requests from this region's portal tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.controller_port
  to_port                      = var.controller_port
}

resource "aws_vpc_security_group_ingress_rule" "controller_lb_from_controller" {
  security_group_id            = aws_security_group.controller_lb.id
  description                  = "This region's controller replica"
  referenced_security_group_id = aws_security_group.controller.id
  ip_protocol                  = "tcp"
  from_port                    = var.controller_port
  to_port                      = var.controller_port
}

resource "aws_vpc_security_group_ingress_rule" "controller_lb_from_peers" {
  for_each = toset(var.peer_private_subnet_cidrs)

  security_group_id = aws_security_group.controller_lb.id
  description       = "Another region's portals and controller replica over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.controller_port
  to_port           = var.controller_port
}

resource "aws_vpc_security_group_ingress_rule" "controller_lb_from_operators" {
  for_each = toset(var.operator_cidrs)

  security_group_id = aws_security_group.controller_lb.id
  description       = "Operators (drctl) from operator_cidrs"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.controller_port
  to_port           = var.controller_port
}

resource "aws_vpc_security_group_egress_rule" "controller_lb_to_controller" {
  security_group_id            = aws_security_group.controller_lb.id
  description                  = "To the controller replica"
  referenced_security_group_id = aws_security_group.controller.id
  ip_protocol                  = "tcp"
  from_port                    = var.controller_port
  to_port                      = var.controller_port
}

# The portal tasks' side of it.
resource "aws_vpc_security_group_egress_rule" "tasks_to_controller_lb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Write lease from this region's controller replica (NLB)"
  referenced_security_group_id = aws_security_group.controller_lb.id
  ip_protocol                  = "tcp"
  from_port                    = var.controller_port
  to_port                      = var.controller_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_peer_controllers" {
  for_each = toset(var.peer_private_subnet_cidrs)

  security_group_id = aws_security_group.tasks.id
  description       = "Write lease from another region's controller replica over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.controller_port
  to_port           = var.controller_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_etcd" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "etcd in this region"
  referenced_security_group_id = aws_security_group.etcd.id
  ip_protocol                  = "tcp"
  from_port                    = 2379
  to_port                      = 2379
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_peer_etcd" {
  for_each = toset(local.etcd_peer_cidrs)

  security_group_id = aws_security_group.tasks.id
  description       = "etcd in another region over VPC peering"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 2379
  to_port           = 2379
}
