# One CustomerPortal region: network, load balancer, Fargate service, the
# region's Aurora cluster of the global database, alarms. See docs/AWS.md.

data "aws_partition" "current" {}

# Only read when availability_zones is empty; no opt-in zones (Local Zones
# need an opt-in and do not offer every service).
data "aws_availability_zones" "available" {
  count = length(var.availability_zones) == 0 ? 1 : 0

  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  azs = length(var.availability_zones) > 0 ? var.availability_zones : slice(data.aws_availability_zones.available[0].names, 0, 3)

  prefix       = "${var.name}-${var.region}"
  engine_major = split(".", var.engine_version)[0]
  is_primary   = var.database_role == "primary"

  tags = merge(var.tags, {
    Service = var.name
    Region  = var.region
  })
}
