# This region's control-plane replica: `drctl controller --region R` as a
# Fargate service of one task, from the portal's image (it holds drctl too).
# It is the region's probe vantage point, takes part in the leader election on
# etcd, and answers its region's portals' write-lease requests. An internal NLB
# gives it a fixed name for the portals, the other replicas and the operators.

locals {
  controller_container_name = "controller"

  # Own region first: a portal asks its own region's replica before the others.
  controller_lease_urls = concat(
    [var.controller_urls[var.region]],
    [for region, url in var.controller_urls : url if region != var.region],
  )

  # The replica's command line (docs/AWS.md, "Controller replicas"). The
  # token and the signing key come from Secrets Manager as environment
  # variables, never as arguments. Its AWS calls go to this region's APIs
  # (--control-region), so a leader in a surviving region can fail over.
  controller_command = concat(
    [
      "controller",
      "--region", var.region,
      "--host", "0.0.0.0",
      "--port", tostring(var.controller_port),
      "--advertise-url", var.controller_urls[var.region],
      "--etcd-endpoints", join(",", var.etcd_client_endpoints),
      "--peers", join(",", [for region, url in var.controller_urls : "${region}=${url}" if region != var.region]),
      "--global-cluster", var.global_cluster_identifier,
      "--listener", var.accelerator_listener_arn,
      "--control-region", var.region,
      "--portal-tls-name", var.portal_tls_name,
    ],
    flatten([for region, url in var.portal_urls : ["--portal-url", "${region}=${url}"]]),
  )
}

resource "aws_cloudwatch_log_group" "controller" {
  name              = "/ecs/${local.prefix}-controller"
  retention_in_days = var.log_retention_days

  tags = local.tags
}

# name_prefix: "<name>-<region>" already takes the 32 characters a load
# balancer or target group name may have.
resource "aws_lb" "controller" {
  name_prefix        = "ctl-"
  load_balancer_type = "network"
  internal           = true
  security_groups    = [aws_security_group.controller_lb.id]
  subnets            = aws_subnet.private[*].id

  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.alb_deletion_protection

  tags = merge(local.tags, { Name = "${local.prefix}-controller" })
}

resource "aws_lb_target_group" "controller" {
  name_prefix          = "ctl-"
  port                 = var.controller_port
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = aws_vpc.this.id
  deregistration_delay = 10

  # /health is one of the two unauthenticated paths of the control API.
  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = "/health"
    port                = "traffic-port"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  # A name_prefix target group is replaced by a new one before the old goes.
  lifecycle {
    create_before_destroy = true
  }

  tags = merge(local.tags, { Name = "${local.prefix}-controller" })
}

resource "aws_lb_listener" "controller" {
  load_balancer_arn = aws_lb.controller.arn
  port              = var.controller_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.controller.arn
  }

  tags = local.tags
}

resource "aws_ecs_task_definition" "controller" {
  family                   = "${local.prefix}-controller"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.controller_task_cpu
  memory                   = var.controller_task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.controller.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name       = local.controller_container_name
      image      = var.container_image
      essential  = true
      entryPoint = ["/app/drctl"]
      command    = local.controller_command

      portMappings = [
        { containerPort = var.controller_port, protocol = "tcp" }
      ]

      environment = [
        { name = "AWS_REGION", value = var.region },
      ]

      secrets = [
        { name = "DRCTL_CONTROL_TOKEN", valueFrom = var.control_token_secret_arn },
        { name = "DRCTL_LEASE_SIGNING_KEY", valueFrom = "${var.lease_signing_key_secret_arn}:privateKey::" },
      ]

      healthCheck = {
        command     = ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:${var.controller_port}/health"]
        interval    = 10
        timeout     = 3
        retries     = 3
        startPeriod = 30
      }

      linuxParameters = { initProcessEnabled = true }
      stopTimeout     = 30

      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.controller.name
          awslogs-region        = var.region
          awslogs-stream-prefix = "controller"
        }
      }
    }
  ])

  tags = local.tags
}

# One replica per region: a second task in the same region would be a second
# vantage point with the same name. During a deployment the old task stops
# before the new one starts (the election hands leadership over through etcd).
resource "aws_ecs_service" "controller" {
  name                              = "${var.name}-controller"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.controller.arn
  desired_count                     = 1
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"

  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.controller.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.controller.arn
    container_name   = local.controller_container_name
    container_port   = var.controller_port
  }

  tags = local.tags

  depends_on = [aws_lb_listener.controller, aws_iam_role_policy.execution_secrets, aws_instance.etcd]
}
