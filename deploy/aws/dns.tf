# Route 53: the DNS path to the service.
#
#   domain_name (failover)
#     PRIMARY   -> latency.<domain_name>: one latency record per region, alias
#                  to the region's ALB, each with its own fast health check
#     SECONDARY -> failover_default_region's ALB, when no region is healthy
#
# Route 53 cannot mix routing policies on one name, hence the two levels.

locals {
  latency_name = "latency.${var.domain_name}"
}

resource "aws_route53_health_check" "region" {
  provider = aws.global
  for_each = local.edges

  type              = "HTTPS"
  fqdn              = each.value.alb_dns_name
  port              = 443
  resource_path     = "/health/ready"
  enable_sni        = true
  request_interval  = 10
  failure_threshold = var.health_check_failure_threshold
  measure_latency   = true

  tags = { Name = "${var.name}-${each.key}-ready" }
}

resource "aws_route53_record" "latency" {
  provider = aws.global
  for_each = local.edges

  zone_id         = var.route53_zone_id
  name            = local.latency_name
  type            = "A"
  set_identifier  = each.key
  health_check_id = aws_route53_health_check.region[each.key].id

  latency_routing_policy {
    region = each.key
  }

  alias {
    name                   = each.value.alb_dns_name
    zone_id                = each.value.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "primary" {
  provider = aws.global

  zone_id        = var.route53_zone_id
  name           = var.domain_name
  type           = "A"
  set_identifier = "latency"

  failover_routing_policy {
    type = "PRIMARY"
  }

  alias {
    name                   = local.latency_name
    zone_id                = var.route53_zone_id
    evaluate_target_health = true
  }

  depends_on = [aws_route53_record.latency]
}

resource "aws_route53_record" "default" {
  provider = aws.global

  zone_id        = var.route53_zone_id
  name           = var.domain_name
  type           = "A"
  set_identifier = "default-${var.failover_default_region}"

  failover_routing_policy {
    type = "SECONDARY"
  }

  alias {
    name                   = local.edges[var.failover_default_region].alb_dns_name
    zone_id                = local.edges[var.failover_default_region].alb_zone_id
    evaluate_target_health = false
  }
}

resource "aws_route53_record" "accelerator" {
  provider = aws.global
  count    = var.accelerator_domain_name == "" ? 0 : 1

  zone_id = var.route53_zone_id
  name    = var.accelerator_domain_name
  type    = "A"

  alias {
    name                   = aws_globalaccelerator_accelerator.this.dns_name
    zone_id                = aws_globalaccelerator_accelerator.this.hosted_zone_id
    evaluate_target_health = true
  }
}
