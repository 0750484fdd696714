# The portal as a Fargate service behind the ALB, scaled on CPU.

locals {
  # Namespace of the LoginFailures metric (from the log metric filter) and of
  # the alarms on it; not passed to the container: the service publishes no
  # custom metrics today.
  metric_namespace = "CustomerPortal"
  container_name   = "customer-portal"

  # The passwords are not part of the URLs: PORTAL_DATABASE_PASSWORD (a secret)
  # is filled into both URLs by the service (see docs/AWS.md, container
  # contract). The service connects as the application role; the admin task as
  # the master user.
  reader_url       = "postgres://${var.database_app_username}@${aws_rds_cluster.this.reader_endpoint}:5432/${var.database_name}?sslmode=require"
  writer_url       = "postgres://${var.database_app_username}@${var.global_writer_endpoint}:5432/${var.database_name}?sslmode=require"
  admin_reader_url = "postgres://${var.db_master_username}@${aws_rds_cluster.this.reader_endpoint}:5432/${var.database_name}?sslmode=require"
  admin_writer_url = "postgres://${var.db_master_username}@${var.global_writer_endpoint}:5432/${var.database_name}?sslmode=require"

  # Exactly the settings the service reads (PORTAL_<KEY> → <key>); anything
  # else would be ignored by it.
  common_environment = [
    { name = "PORTAL_HOST", value = "0.0.0.0" },
    { name = "PORTAL_PORT", value = tostring(var.container_port) },
    { name = "PORTAL_REGION", value = var.region },
    # The ALB's subnets: its X-Forwarded-For names the client.
    { name = "PORTAL_TRUSTED_PROXIES", value = join(",", var.public_subnet_cidrs) },
    # The internal listener (/metrics, /health/region, /health/lease, and the admin API) on the task's own
    # loopback: the ALB's target group and security group know only PORTAL_PORT, so nothing from outside reaches it;
    # a sidecar (a metrics agent) or ECS Exec does.
    { name = "PORTAL_INTERNAL_HOST", value = "127.0.0.1" },
    { name = "PORTAL_INTERNAL_PORT", value = "9100" },
    { name = "PORTAL_ADMIN_ON_INTERNAL", value = "true" },
  ]

  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.portal.name
      awslogs-region        = var.region
      awslogs-stream-prefix = "portal"
    }
  }
}

resource "aws_cloudwatch_log_group" "portal" {
  name              = "/ecs/${local.prefix}"
  retention_in_days = var.log_retention_days

  tags = local.tags
}

resource "aws_ecs_cluster" "this" {
  name = local.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = local.tags
}

resource "aws_ecs_task_definition" "portal" {
  family                   = local.prefix
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name      = local.container_name
      image     = var.container_image
      essential = true
      command   = ["serve"]

      portMappings = [
        { containerPort = var.container_port, protocol = "tcp" }
      ]

      # The write lease: the primary region's portals write only while a
      # replica grants it (own region's replica first), with the control
      # token, and accept only answers signed with the lease key.
      environment = concat(local.common_environment, [
        { name = "PORTAL_DATABASE_URL", value = local.reader_url },
        { name = "PORTAL_WRITER_DATABASE_URL", value = local.writer_url },
        { name = "PORTAL_WRITE_LEASE_URL", value = join(",", local.controller_lease_urls) },
      ])

      secrets = [
        { name = "PORTAL_SIGNING_KEYS", valueFrom = var.signing_keys_secret_arn },
        { name = "PORTAL_DATABASE_PASSWORD", valueFrom = "${var.database_secret_arn}:password::" },
        { name = "PORTAL_WRITE_LEASE_TOKEN", valueFrom = var.control_token_secret_arn },
        { name = "PORTAL_WRITE_LEASE_PUBLIC_KEY", valueFrom = "${var.lease_signing_key_secret_arn}:publicKey::" },
      ]

      # Same probe as the image's HEALTHCHECK; ECS ignores Docker's.
      healthCheck = {
        command     = ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:${var.container_port}/health/live"]
        interval    = 10
        timeout     = 3
        retries     = 3
        startPeriod = 30
      }

      linuxParameters = { initProcessEnabled = true }
      stopTimeout     = 30

      logConfiguration = local.log_configuration
    }
  ])

  tags = local.tags
}

# One-off administrative runs as the master user, started by hand with
# `aws ecs run-task` (docs/AWS.md): `migrate` (the default command) and
# `admin create` (the first admin account). Never part of the service.
resource "aws_ecs_task_definition" "admin" {
  family                   = "${local.prefix}-admin"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name      = local.container_name
      image     = var.container_image
      essential = true
      command   = ["migrate"]

      # As the service, but connected as the master user: the URLs carry the
      # master username, the password comes from the admin secret.
      environment = concat(local.common_environment, [
        { name = "PORTAL_DATABASE_URL", value = local.admin_reader_url },
        { name = "PORTAL_WRITER_DATABASE_URL", value = local.admin_writer_url },
      ])

      # The signing keys too: the service validates its whole configuration,
      # keys included, before any command.
      secrets = [
        { name = "PORTAL_SIGNING_KEYS", valueFrom = var.signing_keys_secret_arn },
        { name = "PORTAL_DATABASE_PASSWORD", valueFrom = "${var.database_admin_secret_arn}:password::" },
      ]

      logConfiguration = local.log_configuration
    }
  ])

  tags = local.tags
}

resource "aws_ecs_service" "portal" {
  name                              = var.name
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.portal.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.portal.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  # Auto scaling owns the task count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }

  tags = local.tags

  depends_on = [aws_lb_listener.https, aws_iam_role_policy.execution_secrets]
}

resource "aws_appautoscaling_target" "portal" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.portal.name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity

  tags = local.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.prefix}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.portal.service_namespace
  scalable_dimension = aws_appautoscaling_target.portal.scalable_dimension
  resource_id        = aws_appautoscaling_target.portal.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
