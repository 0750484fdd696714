# CustomerPortal on AWS: the global pieces (Aurora global database, replicated
# signing-key and database secrets) and one instance of modules/region per
# region. DNS is in dns.tf, Global Accelerator in accelerator.tf, the
# inter-region peering in peering.tf. See docs/AWS.md.

locals {
  # The region where the global database and the secrets are created. After a
  # switchover or failover AWS moves the database primary elsewhere; the
  # secrets stay here and are read from their replicas in every region.
  home_region = "us-east-1"

  optional_regions = var.enable_ap_southeast_2 ? ["ap-southeast-2"] : []
  regions          = concat(["us-east-1", "eu-west-1"], local.optional_regions)

  # Two /24 public and three /20 private subnets per /16 VPC.
  subnets = {
    for region, cidr in var.vpc_cidrs : region => {
      public  = [for i in range(3) : cidrsubnet(cidr, 8, i)]
      private = [for i in range(3) : cidrsubnet(cidr, 4, i + 1)]
    }
  }

  # The other deployed regions' private subnets, per region.
  peer_private_subnet_cidrs = {
    for region in local.regions : region => flatten([
      for other in local.regions : local.subnets[other].private if other != region
    ])
  }

  # A secret's replica has the primary's ARN with the region swapped.
  signing_keys_secret_arns = {
    for region in local.regions : region => replace(aws_secretsmanager_secret.signing_keys.arn, ":${local.home_region}:", ":${region}:")
  }
  database_admin_secret_arns = {
    for region in local.regions : region => replace(aws_secretsmanager_secret.database_admin.arn, ":${local.home_region}:", ":${region}:")
  }
  database_secret_arns = {
    for region in local.regions : region => replace(aws_secretsmanager_secret.database.arn, ":${local.home_region}:", ":${region}:")
  }
  control_token_secret_arns = {
    for region in local.regions : region => replace(aws_secretsmanager_secret.control_token.arn, ":${local.home_region}:", ":${region}:")
  }
  lease_signing_key_secret_arns = {
    for region in local.regions : region => replace(aws_secretsmanager_secret.lease_signing_key.arn, ":${local.home_region}:", ":${region}:")
  }

  # The control plane's etcd cluster: one member per region at a fixed private
  # address (host 10 of the region's first private subnet), so that the
  # initial-cluster string and every client's endpoint list are known before
  # anything exists, and a replaced instance comes back at the same address.
  etcd_private_ips = { for region in local.regions : region => cidrhost(local.subnets[region].private[0], 10) }
  etcd_initial_cluster = join(",", [
    for region in local.regions : "${region}=http://${local.etcd_private_ips[region]}:2380"
  ])
  etcd_client_endpoints = [for region in local.regions : "http://${local.etcd_private_ips[region]}:2379"]
  etcd_peer_ips = {
    for region in local.regions : region => [for other in local.regions : local.etcd_private_ips[other] if other != region]
  }

  # Every region's controller replica (its internal NLB), for the replicas
  # among themselves and for the portals' write-lease requests.
  # (Built from the one output each, not from local.region_modules: a module's
  # inputs may not depend on the whole module.)
  controller_urls = merge(
    {
      "us-east-1" = "http://${module.us_east_1.controller_dns_name}:${var.controller_port}"
      "eu-west-1" = "http://${module.eu_west_1.controller_dns_name}:${var.controller_port}"
    },
    { for region in local.optional_regions : region => "http://${module.ap_southeast_2[0].controller_dns_name}:${var.controller_port}" },
  )

  # Every region's portal as the controller replicas probe it: its ALB over
  # HTTPS (the certificate names domain_name, which the probes ask for).
  portal_urls = merge(
    {
      "us-east-1" = "https://${module.us_east_1.alb_dns_name}"
      "eu-west-1" = "https://${module.eu_west_1.alb_dns_name}"
    },
    { for region in local.optional_regions : region => "https://${module.ap_southeast_2[0].alb_dns_name}" },
  )

  # What DNS and the accelerator need of every deployed region.
  region_modules = merge(
    { "us-east-1" = module.us_east_1, "eu-west-1" = module.eu_west_1 },
    { for m in module.ap_southeast_2 : "ap-southeast-2" => m },
  )
  edges = {
    for region, m in local.region_modules : region => {
      alb_arn      = m.alb_arn
      alb_dns_name = m.alb_dns_name
      alb_zone_id  = m.alb_zone_id
    }
  }
}

check "deployed_regions_are_configured" {
  assert {
    condition     = alltrue([for r in local.regions : contains(keys(var.container_images), r) && contains(keys(var.certificate_arns), r) && contains(keys(var.vpc_cidrs), r)])
    error_message = "container_images, certificate_arns and vpc_cidrs need an entry for every deployed region: ${join(", ", local.regions)}."
  }

  assert {
    condition     = contains(local.regions, var.failover_default_region)
    error_message = "failover_default_region must be one of the deployed regions: ${join(", ", local.regions)}."
  }
}

# ---------------------------------------------------------------- global database

resource "aws_rds_global_cluster" "this" {
  provider = aws.us_east_1

  global_cluster_identifier = var.name
  engine                    = "aurora-postgresql"
  engine_version            = var.engine_version
  database_name             = var.database_name
  storage_encrypted         = true
  deletion_protection       = var.db_deletion_protection

  lifecycle {
    # Minor upgrades of a global database are done by AWS or by hand across
    # all members; the global cluster then reports the new version.
    ignore_changes = [engine_version]
  }
}

# ---------------------------------------------------------------- secrets

# JWT signing keys: one secret in the home region, read-only replicas in every
# other region, so that a token issued in one region is valid everywhere, also
# after the home region is lost (a replica can be promoted). The value is put
# by the operator (docs/AWS.md), never by Terraform, so it is not in the state.
resource "aws_secretsmanager_secret" "signing_keys" {
  provider = aws.us_east_1

  name                    = "${var.name}/signing-keys"
  description             = "CustomerPortal JWT signing keys (PORTAL_SIGNING_KEYS), shared by every region"
  recovery_window_in_days = var.secret_recovery_window_days

  dynamic "replica" {
    for_each = [for r in local.regions : r if r != local.home_region]

    content {
      region = replica.value
    }
  }
}

# The portal's database role (JSON: {"username": ..., "password": ...}),
# replicated the same way; put by the operator before the migration step.
resource "aws_secretsmanager_secret" "database" {
  provider = aws.us_east_1

  name                    = "${var.name}/database"
  description             = "CustomerPortal database credentials of the application role (PORTAL_DATABASE_PASSWORD)"
  recovery_window_in_days = var.secret_recovery_window_days

  dynamic "replica" {
    for_each = [for r in local.regions : r if r != local.home_region]

    content {
      region = replica.value
    }
  }
}

# The control plane's bearer token: every control API call (lease, reports,
# status, failover, ...) must carry it. Replicated like the signing keys; the
# value is put by the operator (docs/AWS.md), never by Terraform.
resource "aws_secretsmanager_secret" "control_token" {
  provider = aws.us_east_1

  name                    = "${var.name}/control-token"
  description             = "CustomerPortal control-plane bearer token (controller replicas, portals, drctl)"
  recovery_window_in_days = var.secret_recovery_window_days

  dynamic "replica" {
    for_each = [for r in local.regions : r if r != local.home_region]

    content {
      region = replica.value
    }
  }
}

# The Ed25519 key that signs every write-lease answer (JSON: {"privateKey":
# base64, "publicKey": base64}). The replicas get the private half, the portals
# only the public half. Put by the operator, never by Terraform.
resource "aws_secretsmanager_secret" "lease_signing_key" {
  provider = aws.us_east_1

  name                    = "${var.name}/lease-signing-key"
  description             = "CustomerPortal write-lease Ed25519 signing key (privateKey for the controller replicas, publicKey for the portals)"
  recovery_window_in_days = var.secret_recovery_window_days

  dynamic "replica" {
    for_each = [for r in local.regions : r if r != local.home_region]

    content {
      region = replica.value
    }
  }
}

# The master credentials, for the one-off admin task (migrations, first
# admin). The password is in the Terraform state anyway (the primary cluster
# is created with it), so Terraform writes this secret's value itself.
resource "aws_secretsmanager_secret" "database_admin" {
  provider = aws.us_east_1

  name                    = "${var.name}/database-admin"
  description             = "CustomerPortal master database credentials, for migrations only"
  recovery_window_in_days = var.secret_recovery_window_days

  dynamic "replica" {
    for_each = [for r in local.regions : r if r != local.home_region]

    content {
      region = replica.value
    }
  }
}

resource "aws_secretsmanager_secret_version" "database_admin" {
  provider = aws.us_east_1

  secret_id = aws_secretsmanager_secret.database_admin.id
  secret_string = jsonencode({
    username = var.db_master_username
    password = var.db_master_password
  })

  lifecycle {
    # Rotated in place after creation (docs/AWS.md); Terraform does not revert it.
    ignore_changes = [secret_string]
  }
}

# ---------------------------------------------------------------- regions

module "us_east_1" {
  source = "./modules/region"
  providers = {
    aws = aws.us_east_1
  }

  region                    = "us-east-1"
  vpc_cidr                  = var.vpc_cidrs["us-east-1"]
  availability_zones        = lookup(var.availability_zones, "us-east-1", [])
  public_subnet_cidrs       = local.subnets["us-east-1"].public
  private_subnet_cidrs      = local.subnets["us-east-1"].private
  peer_private_subnet_cidrs = local.peer_private_subnet_cidrs["us-east-1"]
  container_image           = lookup(var.container_images, "us-east-1", "")
  certificate_arn           = lookup(var.certificate_arns, "us-east-1", "")

  database_role             = "primary"
  global_cluster_identifier = aws_rds_global_cluster.this.id
  global_writer_endpoint    = aws_rds_global_cluster.this.endpoint
  engine_version            = var.engine_version
  database_name             = var.database_name
  database_app_username     = var.database_app_username
  db_master_username        = var.db_master_username
  db_master_password        = var.db_master_password

  signing_keys_secret_arn      = local.signing_keys_secret_arns["us-east-1"]
  database_secret_arn          = local.database_secret_arns["us-east-1"]
  database_admin_secret_arn    = local.database_admin_secret_arns["us-east-1"]
  control_token_secret_arn     = local.control_token_secret_arns["us-east-1"]
  lease_signing_key_secret_arn = local.lease_signing_key_secret_arns["us-east-1"]

  etcd_private_ip            = local.etcd_private_ips["us-east-1"]
  etcd_peer_ips              = local.etcd_peer_ips["us-east-1"]
  etcd_initial_cluster       = local.etcd_initial_cluster
  etcd_client_endpoints      = local.etcd_client_endpoints
  etcd_image                 = var.etcd_image
  etcd_instance_type         = var.etcd_instance_type
  etcd_volume_size_gib       = var.etcd_volume_size_gib
  etcd_heartbeat_interval_ms = var.etcd_heartbeat_interval_ms
  etcd_election_timeout_ms   = var.etcd_election_timeout_ms
  controller_port            = var.controller_port
  controller_urls            = local.controller_urls
  portal_urls                = local.portal_urls
  portal_tls_name            = var.domain_name
  accelerator_listener_arn   = aws_globalaccelerator_listener.https.id
  controller_task_cpu        = var.controller_task_cpu
  controller_task_memory     = var.controller_task_memory
  operator_cidrs             = var.operator_cidrs
  db_global_rpo_seconds      = var.db_global_rpo_seconds

  name                           = var.name
  single_nat_gateway             = var.single_nat_gateway
  cpu_architecture               = var.cpu_architecture
  task_cpu                       = var.task_cpu
  task_memory                    = var.task_memory
  desired_count                  = var.desired_count
  min_capacity                   = var.min_capacity
  max_capacity                   = var.max_capacity
  cpu_target_percent             = var.cpu_target_percent
  log_retention_days             = var.log_retention_days
  alb_deletion_protection        = var.alb_deletion_protection
  db_instance_class              = var.db_instance_class
  db_instance_count              = var.db_instance_count
  db_backup_retention_days       = var.db_backup_retention_days
  db_deletion_protection         = var.db_deletion_protection
  db_skip_final_snapshot         = var.db_skip_final_snapshot
  alarm_email                    = var.alarm_email
  alb_5xx_rate_threshold_percent = var.alb_5xx_rate_threshold_percent
  replication_lag_threshold_ms   = var.replication_lag_threshold_ms
  login_failure_pattern          = var.login_failure_pattern
  login_failure_threshold        = var.login_failure_threshold
}

module "eu_west_1" {
  source = "./modules/region"
  providers = {
    aws = aws.eu_west_1
  }

  region                    = "eu-west-1"
  vpc_cidr                  = var.vpc_cidrs["eu-west-1"]
  availability_zones        = lookup(var.availability_zones, "eu-west-1", [])
  public_subnet_cidrs       = local.subnets["eu-west-1"].public
  private_subnet_cidrs      = local.subnets["eu-west-1"].private
  peer_private_subnet_cidrs = local.peer_private_subnet_cidrs["eu-west-1"]
  container_image           = lookup(var.container_images, "eu-west-1", "")
  certificate_arn           = lookup(var.certificate_arns, "eu-west-1", "")

  database_role             = "secondary"
  primary_cluster_ready     = module.us_east_1.db_instance_ids
  global_cluster_identifier = aws_rds_global_cluster.this.id
  global_writer_endpoint    = aws_rds_global_cluster.this.endpoint
  engine_version            = var.engine_version
  database_name             = var.database_name
  database_app_username     = var.database_app_username
  db_master_username        = var.db_master_username

  signing_keys_secret_arn      = local.signing_keys_secret_arns["eu-west-1"]
  database_secret_arn          = local.database_secret_arns["eu-west-1"]
  database_admin_secret_arn    = local.database_admin_secret_arns["eu-west-1"]
  control_token_secret_arn     = local.control_token_secret_arns["eu-west-1"]
  lease_signing_key_secret_arn = local.lease_signing_key_secret_arns["eu-west-1"]

  etcd_private_ip            = local.etcd_private_ips["eu-west-1"]
  etcd_peer_ips              = local.etcd_peer_ips["eu-west-1"]
  etcd_initial_cluster       = local.etcd_initial_cluster
  etcd_client_endpoints      = local.etcd_client_endpoints
  etcd_image                 = var.etcd_image
  etcd_instance_type         = var.etcd_instance_type
  etcd_volume_size_gib       = var.etcd_volume_size_gib
  etcd_heartbeat_interval_ms = var.etcd_heartbeat_interval_ms
  etcd_election_timeout_ms   = var.etcd_election_timeout_ms
  controller_port            = var.controller_port
  controller_urls            = local.controller_urls
  portal_urls                = local.portal_urls
  portal_tls_name            = var.domain_name
  accelerator_listener_arn   = aws_globalaccelerator_listener.https.id
  controller_task_cpu        = var.controller_task_cpu
  controller_task_memory     = var.controller_task_memory
  operator_cidrs             = var.operator_cidrs
  db_global_rpo_seconds      = var.db_global_rpo_seconds

  name                           = var.name
  single_nat_gateway             = var.single_nat_gateway
  cpu_architecture               = var.cpu_architecture
  task_cpu                       = var.task_cpu
  task_memory                    = var.task_memory
  desired_count                  = var.desired_count
  min_capacity                   = var.min_capacity
  max_capacity                   = var.max_capacity
  cpu_target_percent             = var.cpu_target_percent
  log_retention_days             = var.log_retention_days
  alb_deletion_protection        = var.alb_deletion_protection
  db_instance_class              = var.db_instance_class
  db_instance_count              = var.db_instance_count
  db_backup_retention_days       = var.db_backup_retention_days
  db_deletion_protection         = var.db_deletion_protection
  db_skip_final_snapshot         = var.db_skip_final_snapshot
  alarm_email                    = var.alarm_email
  alb_5xx_rate_threshold_percent = var.alb_5xx_rate_threshold_percent
  replication_lag_threshold_ms   = var.replication_lag_threshold_ms
  login_failure_pattern          = var.login_failure_pattern
  login_failure_threshold        = var.login_failure_threshold
}

# The optional third region.
module "ap_southeast_2" {
  source = "./modules/region"
  count  = var.enable_ap_southeast_2 ? 1 : 0
  providers = {
    aws = aws.ap_southeast_2
  }

  region                    = "ap-southeast-2"
  vpc_cidr                  = var.vpc_cidrs["ap-southeast-2"]
  availability_zones        = lookup(var.availability_zones, "ap-southeast-2", [])
  public_subnet_cidrs       = local.subnets["ap-southeast-2"].public
  private_subnet_cidrs      = local.subnets["ap-southeast-2"].private
  peer_private_subnet_cidrs = local.peer_private_subnet_cidrs["ap-southeast-2"]
  container_image           = lookup(var.container_images, "ap-southeast-2", "")
  certificate_arn           = lookup(var.certificate_arns, "ap-southeast-2", "")

  database_role             = "secondary"
  primary_cluster_ready     = module.us_east_1.db_instance_ids
  global_cluster_identifier = aws_rds_global_cluster.this.id
  global_writer_endpoint    = aws_rds_global_cluster.this.endpoint
  engine_version            = var.engine_version
  database_name             = var.database_name
  database_app_username     = var.database_app_username
  db_master_username        = var.db_master_username

  signing_keys_secret_arn      = local.signing_keys_secret_arns["ap-southeast-2"]
  database_secret_arn          = local.database_secret_arns["ap-southeast-2"]
  database_admin_secret_arn    = local.database_admin_secret_arns["ap-southeast-2"]
  control_token_secret_arn     = local.control_token_secret_arns["ap-southeast-2"]
  lease_signing_key_secret_arn = local.lease_signing_key_secret_arns["ap-southeast-2"]

  etcd_private_ip            = local.etcd_private_ips["ap-southeast-2"]
  etcd_peer_ips              = local.etcd_peer_ips["ap-southeast-2"]
  etcd_initial_cluster       = local.etcd_initial_cluster
  etcd_client_endpoints      = local.etcd_client_endpoints
  etcd_image                 = var.etcd_image
  etcd_instance_type         = var.etcd_instance_type
  etcd_volume_size_gib       = var.etcd_volume_size_gib
  etcd_heartbeat_interval_ms = var.etcd_heartbeat_interval_ms
  etcd_election_timeout_ms   = var.etcd_election_timeout_ms
  controller_port            = var.controller_port
  controller_urls            = local.controller_urls
  portal_urls                = local.portal_urls
  portal_tls_name            = var.domain_name
  accelerator_listener_arn   = aws_globalaccelerator_listener.https.id
  controller_task_cpu        = var.controller_task_cpu
  controller_task_memory     = var.controller_task_memory
  operator_cidrs             = var.operator_cidrs
  db_global_rpo_seconds      = var.db_global_rpo_seconds

  name                           = var.name
  single_nat_gateway             = var.single_nat_gateway
  cpu_architecture               = var.cpu_architecture
  task_cpu                       = var.task_cpu
  task_memory                    = var.task_memory
  desired_count                  = var.desired_count
  min_capacity                   = var.min_capacity
  max_capacity                   = var.max_capacity
  cpu_target_percent             = var.cpu_target_percent
  log_retention_days             = var.log_retention_days
  alb_deletion_protection        = var.alb_deletion_protection
  db_instance_class              = var.db_instance_class
  db_instance_count              = var.db_instance_count
  db_backup_retention_days       = var.db_backup_retention_days
  db_deletion_protection         = var.db_deletion_protection
  db_skip_final_snapshot         = var.db_skip_final_snapshot
  alarm_email                    = var.alarm_email
  alb_5xx_rate_threshold_percent = var.alb_5xx_rate_threshold_percent
  replication_lag_threshold_ms   = var.replication_lag_threshold_ms
  login_failure_pattern          = var.login_failure_pattern
  login_failure_threshold        = var.login_failure_threshold
}
