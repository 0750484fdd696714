# This region's member of the Aurora PostgreSQL global database. The primary
# is created with the master credentials and the database; a secondary is a
# read-only replica cluster that gets everything from the primary through
# storage-level replication, so it takes no credentials and no database name.

resource "aws_kms_key" "database" {
  description             = "Aurora storage encryption of CustomerPortal in ${var.region}"
  deletion_window_in_days = 30
  enable_key_rotation     = true

  tags = local.tags
}

resource "aws_kms_alias" "database" {
  name          = "alias/${local.prefix}-aurora"
  target_key_id = aws_kms_key.database.key_id
}

resource "aws_db_subnet_group" "this" {
  name        = local.prefix
  description = "Private subnets of CustomerPortal in ${var.region}"
  subnet_ids  = aws_subnet.private[*].id

  tags = local.tags
}

# rds.global_db_rpo bounds how far the secondaries may fall behind: when every
# secondary lags more than this, the primary holds commits until one catches
# up. Aurora applies it on the primary only; every member gets it so that it
# holds after a switchover or failover moves the primary.
resource "aws_rds_cluster_parameter_group" "this" {
  name        = "${local.prefix}-aurora-pg${local.engine_major}"
  family      = "aurora-postgresql${local.engine_major}"
  description = "CustomerPortal Aurora PostgreSQL global database member in ${var.region}"

  parameter {
    name         = "rds.global_db_rpo"
    value        = tostring(var.db_global_rpo_seconds)
    apply_method = "immediate"
  }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.db_global_rpo_seconds >= 20 && var.db_global_rpo_seconds <= 2147483647
      error_message = "db_global_rpo_seconds must be from 20 to 2147483647 (Aurora's range for rds.global_db_rpo)."
    }
  }

  tags = local.tags
}

resource "aws_rds_cluster" "this" {
  cluster_identifier        = local.prefix
  engine                    = "aurora-postgresql"
  engine_version            = var.engine_version
  global_cluster_identifier = var.global_cluster_identifier

  # Only the primary is created with credentials and a database.
  database_name   = local.is_primary ? var.database_name : null
  master_username = local.is_primary ? var.db_master_username : null
  master_password = local.is_primary ? var.db_master_password : null

  db_subnet_group_name            = aws_db_subnet_group.this.name
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name
  vpc_security_group_ids          = [aws_security_group.database.id]
  port                            = 5432

  # Encrypted global databases need a key in every member's own region.
  storage_encrypted = true
  kms_key_id        = aws_kms_key.database.arn

  backup_retention_period         = var.db_backup_retention_days
  preferred_backup_window         = "03:00-04:00"
  preferred_maintenance_window    = "sun:05:00-sun:06:00"
  copy_tags_to_snapshot           = true
  deletion_protection             = var.db_deletion_protection
  skip_final_snapshot             = var.db_skip_final_snapshot
  final_snapshot_identifier       = var.db_skip_final_snapshot ? null : "${local.prefix}-final"
  enabled_cloudwatch_logs_exports = ["postgresql"]

  lifecycle {
    # After a switchover or failover AWS changes which cluster replicates from
    # which, and the old primary keeps its master user; Terraform must not try
    # to undo that (see docs/AWS.md, "After a failover").
    ignore_changes = [replication_source_identifier, master_username, master_password, database_name]

    precondition {
      condition     = !local.is_primary || var.db_master_password != null
      error_message = "The primary region's cluster needs db_master_password."
    }
  }

  tags = local.tags

  # A secondary can join the global database only once the primary exists.
  depends_on = [var.primary_cluster_ready]
}

resource "aws_rds_cluster_instance" "this" {
  count = var.db_instance_count

  identifier                   = "${local.prefix}-${count.index + 1}"
  cluster_identifier           = aws_rds_cluster.this.id
  engine                       = aws_rds_cluster.this.engine
  engine_version               = aws_rds_cluster.this.engine_version
  instance_class               = var.db_instance_class
  db_subnet_group_name         = aws_db_subnet_group.this.name
  publicly_accessible          = false
  auto_minor_version_upgrade   = false # upgrades of a global database are coordinated across regions
  performance_insights_enabled = true
  promotion_tier               = count.index

  tags = local.tags
}
