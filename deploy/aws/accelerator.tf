# Global Accelerator: two static anycast addresses, a TCP 443 listener, and one
# endpoint group per region with the region's ALB. The traffic dials are what
# drctl aws turns during a failover (0 drains a region).
#
# For ALB endpoints Global Accelerator uses the ALB's own target health
# (/health/ready through the target group); the endpoint group's health check
# settings below are used for other endpoint types and are kept consistent.

resource "aws_globalaccelerator_accelerator" "this" {
  provider = aws.global

  name            = var.name
  ip_address_type = "IPV4"
  enabled         = true
}

resource "aws_globalaccelerator_listener" "https" {
  provider = aws.global

  accelerator_arn = aws_globalaccelerator_accelerator.this.id
  protocol        = "TCP"
  client_affinity = "NONE"

  port_range {
    from_port = 443
    to_port   = 443
  }
}

resource "aws_globalaccelerator_endpoint_group" "region" {
  provider = aws.global
  for_each = local.edges

  listener_arn                  = aws_globalaccelerator_listener.https.id
  endpoint_group_region         = each.key
  traffic_dial_percentage       = lookup(var.traffic_dial_percentage, each.key, 100)
  health_check_protocol         = "HTTPS"
  health_check_port             = 443
  health_check_path             = "/health/ready"
  health_check_interval_seconds = var.accelerator_health_check_interval_seconds
  threshold_count               = var.accelerator_threshold_count

  endpoint_configuration {
    endpoint_id                    = each.value.alb_arn
    weight                         = 100
    client_ip_preservation_enabled = true
  }
}
