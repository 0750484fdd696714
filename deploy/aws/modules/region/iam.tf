# Two roles per region (IAM is global, so names carry the region):
# - the execution role lets ECS pull the image, write logs and resolve the
#   `secrets` of the task definition;
# - the task role is what the portal itself runs as: it may re-read the
#   signing keys (key rotation) and publish its own metrics.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.prefix}-execution"
  description        = "ECS task execution role of CustomerPortal in ${var.region}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "execution_managed" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# The execution role is used by the ECS agent only, never by the containers;
# the admin task definition (migrations) shares it and so may resolve the
# master credentials.
data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid     = "ReadPortalSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      var.signing_keys_secret_arn, var.database_secret_arn, var.database_admin_secret_arn,
      var.control_token_secret_arn, var.lease_signing_key_secret_arn,
    ]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-portal-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_iam_role" "task" {
  name               = "${local.prefix}-task"
  description        = "Role the CustomerPortal containers run as in ${var.region}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = local.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ReadSigningKeys"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.signing_keys_secret_arn]
  }

  statement {
    sid       = "PublishPortalMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.metric_namespace]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "customer-portal"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# What the controller replica runs as: the calls of the AWS providers
# (Sources/AWS: Aurora global database, Global Accelerator dials, Route 53
# health checks, CloudWatch lag and alarms). The global cluster and the
# accelerator are named in the ARNs where the API allows it.
resource "aws_iam_role" "controller" {
  name               = "${local.prefix}-controller"
  description        = "Role the CustomerPortal control-plane replica runs as in ${var.region}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = local.tags
}

data "aws_iam_policy_document" "controller" {
  statement {
    sid       = "ReadGlobalDatabase"
    actions   = ["rds:DescribeGlobalClusters", "rds:DescribeDBClusters"]
    resources = ["*"]
  }

  statement {
    sid     = "MoveGlobalDatabasePrimary"
    actions = ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"]
    resources = [
      "arn:${data.aws_partition.current.partition}:rds::*:global-cluster:${var.global_cluster_identifier}",
      "arn:${data.aws_partition.current.partition}:rds:*:*:cluster:${var.name}-*",
    ]
  }

  statement {
    sid = "TrafficDials"
    actions = [
      "globalaccelerator:DescribeEndpointGroup", "globalaccelerator:ListEndpointGroups",
      "globalaccelerator:UpdateEndpointGroup",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "HealthChecksAndMetrics"
    actions   = ["route53:GetHealthCheckStatus", "route53:ListHealthChecks", "cloudwatch:GetMetricStatistics", "cloudwatch:DescribeAlarms"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "controller" {
  name   = "customer-portal-controller"
  role   = aws_iam_role.controller.id
  policy = data.aws_iam_policy_document.controller.json
}
