# Inputs of the global CustomerPortal deployment. terraform.tfvars.example
# shows a filled-in set; docs/AWS.md explains each step.

# ---------------------------------------------------------------- topology

variable "name" {
  description = "Name prefix of every resource. At most 17 characters (ALB and target group names are name-region, at most 32)."
  type        = string
  default     = "customer-portal"
}

variable "enable_ap_southeast_2" {
  description = "Deploy the third region, ap-southeast-2 (Sydney), next to us-east-1 and eu-west-1. It joins the global database as a secondary, the signing-key secret is replicated to it, and it gets Route 53 records and a Global Accelerator endpoint group."
  type        = bool
  default     = false
}

variable "aws_endpoint_url" {
  description = "Only for the offline check: when set (e.g. http://127.0.0.1:5000), every AWS API the configuration uses is sent to this endpoint (a local moto_server), and credential validation, account-id lookup and the EC2 metadata check are skipped. Leave empty for real deployments."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url is for a local emulator only: empty, or http(s)://127.0.0.1:PORT or localhost."
  }
}

variable "tags" {
  description = "Tags added to every resource (through the providers' default_tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- network

variable "vpc_cidrs" {
  description = "VPC CIDR block of each region (a /16 is expected). They must not overlap: the VPCs are peered so that every region's tasks reach the global writer endpoint."
  type        = map(string)
  default = {
    "us-east-1"      = "10.10.0.0/16"
    "eu-west-1"      = "10.20.0.0/16"
    "ap-southeast-2" = "10.30.0.0/16"
  }
}

variable "availability_zones" {
  description = "Optional: three availability zone names per region (e.g. { \"us-east-1\" = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"] }). A region left out uses its first three zones that need no opt-in (aws_availability_zones data source)."
  type        = map(list(string))
  default     = {}
}

variable "single_nat_gateway" {
  description = "One NAT gateway per region instead of one per availability zone: cheaper, but an AZ outage then also cuts the other AZs' outbound traffic."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- service

variable "container_images" {
  description = "customer-portal image URI per region, normally each region's own ECR repository (e.g. { \"us-east-1\" = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/customer-portal:1.0.0\" }). Every deployed region needs one."
  type        = map(string)
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks and the image: X86_64 or ARM64."
  type        = string
  default     = "X86_64"
}

variable "task_cpu" {
  description = "CPU units per Fargate task (512 = 0.5 vCPU)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Memory per Fargate task in MiB (a valid Fargate combination with task_cpu)."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Tasks per region when the service is created; afterwards auto scaling owns the count."
  type        = number
  default     = 2
}

variable "min_capacity" {
  description = "Minimum tasks per region for auto scaling."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Maximum tasks per region for auto scaling. Size it so that the surviving regions can take a failed region's load."
  type        = number
  default     = 8
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation that target-tracking auto scaling keeps per region."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the portal's logs."
  type        = number
  default     = 30
}

# ---------------------------------------------------------------- TLS and DNS

variable "certificate_arns" {
  description = "ACM certificate ARN per region for the ALB's HTTPS listener (ACM certificates are regional). Each must cover domain_name and, if set, accelerator_domain_name. Issued outside Terraform (DNS validation), so no ACM lookup is needed at plan time."
  type        = map(string)
}

variable "route53_zone_id" {
  description = "ID of the existing public Route 53 hosted zone that holds domain_name."
  type        = string
}

variable "domain_name" {
  description = "The name clients use through DNS (e.g. portal.example.com). It is a failover record: primary = the latency-based records of all regions, secondary = failover_default_region's ALB."
  type        = string
}

variable "accelerator_domain_name" {
  description = "Optional name (e.g. edge.portal.example.com) that aliases the Global Accelerator, for clients that should use its static anycast addresses. Empty: no record."
  type        = string
  default     = ""
}

variable "failover_default_region" {
  description = "Region whose ALB answers domain_name when no latency record is healthy (the secondary of the failover record). Normally the region that holds the database primary."
  type        = string
  default     = "us-east-1"
}

variable "health_check_failure_threshold" {
  description = "Consecutive failed Route 53 health checks (10-second interval) before a region's latency record is taken out."
  type        = number
  default     = 3

  validation {
    condition     = var.health_check_failure_threshold >= 1 && var.health_check_failure_threshold <= 10
    error_message = "health_check_failure_threshold must be between 1 and 10."
  }
}

variable "traffic_dial_percentage" {
  description = "Global Accelerator traffic dial per region, 0-100 (0 drains the region). The provider (drctl aws) moves these during a failover; regions left out get 100."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.traffic_dial_percentage) : v >= 0 && v <= 100])
    error_message = "Every traffic_dial_percentage must be between 0 and 100."
  }
}

variable "accelerator_health_check_interval_seconds" {
  description = "Health check interval of the Global Accelerator endpoint groups: 10 or 30 seconds."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 30], var.accelerator_health_check_interval_seconds)
    error_message = "accelerator_health_check_interval_seconds must be 10 or 30."
  }
}

variable "accelerator_threshold_count" {
  description = "Consecutive health checks that change an endpoint's health in Global Accelerator (1-10)."
  type        = number
  default     = 3
}

variable "alb_deletion_protection" {
  description = "Protect the ALBs from deletion (turn off only to tear the deployment down)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- database

variable "engine_version" {
  description = "Aurora PostgreSQL engine version of the global database (every member runs the same; it must be a version that supports Aurora Global Database and the db_instance_class)."
  type        = string
  default     = "16.6"
}

variable "database_name" {
  description = "PostgreSQL database the portal uses."
  type        = string
  default     = "customer_portal"
}

variable "database_app_username" {
  description = "PostgreSQL role the portal connects as. `customer-portal migrate` does not create it: create it once as the master user (docs/AWS.md, deploying, step 7). Its password lives in the database-credentials secret."
  type        = string
  default     = "portal"
}

variable "db_master_username" {
  description = "Master user of the global database (created with the primary cluster). The admin task definitions connect as it: it is the user part of their PORTAL_DATABASE_URL and PORTAL_WRITER_DATABASE_URL."
  type        = string
  default     = "portal_admin"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.db_master_username))
    error_message = "db_master_username must be a letter followed by up to 62 letters, digits or underscores (it goes into the admin task's database URLs as is)."
  }
}

variable "db_master_password" {
  description = "Master password of the global database. Aurora global databases cannot use RDS-managed master secrets, so it is passed here: set it through TF_VAR_db_master_password, never in a file; it is stored in the Terraform state (keep the state encrypted) and should be rotated after creation."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.db_master_password) >= 16
    error_message = "db_master_password must be at least 16 characters."
  }
}

variable "db_instance_class" {
  description = "Aurora instance class in every region."
  type        = string
  default     = "db.r6g.large"
}

variable "db_instance_count" {
  description = "Aurora instances per region (1 = writer or replica only; 2 adds an in-region failover target)."
  type        = number
  default     = 1
}

variable "db_backup_retention_days" {
  description = "Days of automated Aurora backups (point-in-time recovery)."
  type        = number
  default     = 7
}

variable "db_deletion_protection" {
  description = "Protect the global cluster and every regional cluster from deletion."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when a cluster is destroyed (only for throw-away environments)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- secrets

variable "secret_recovery_window_days" {
  description = "Days a deleted secret (signing keys, database credentials) can still be restored."
  type        = number
  default     = 7
}

# ---------------------------------------------------------------- alarms

variable "alarm_email" {
  description = "E-mail address subscribed to every region's alarm topic (the subscription must be confirmed from the mail). Empty: no subscription."
  type        = string
  default     = ""
}

variable "alb_5xx_rate_threshold_percent" {
  description = "Alarm when more than this percentage of a region's requests end in a 5xx for three minutes."
  type        = number
  default     = 5
}

variable "replication_lag_threshold_ms" {
  description = "Alarm when a secondary's AuroraGlobalDBReplicationLag stays above this many milliseconds for five minutes."
  type        = number
  default     = 1000
}

variable "login_failure_pattern" {
  description = "CloudWatch Logs filter pattern that matches one failed login in the portal's log (docs/AWS.md, container contract)."
  type        = string
  default     = "\"login failed\""
}

variable "login_failure_threshold" {
  description = "Alarm when more than this many logins fail in five minutes in one region."
  type        = number
  default     = 200
}

# ---------------------------------------------------------------- control plane

variable "operator_cidrs" {
  description = "CIDR blocks (VPN, bastion or CI networks) from which operators may call the controller replicas' API (drctl status, failover, ...). The internal NLBs are reachable only through the VPCs, their peerings and whatever you connect to them. Empty: only the portals and the replicas reach it."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.operator_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "operator_cidrs must be IPv4 CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "controller_port" {
  description = "Port of the controller replicas' API (lease, reports, status, failover), inside the task and on each region's internal NLB."
  type        = number
  default     = 8090
}

variable "controller_task_cpu" {
  description = "CPU units of a controller replica's Fargate task (256 = 0.25 vCPU)."
  type        = number
  default     = 512
}

variable "controller_task_memory" {
  description = "Memory of a controller replica's Fargate task in MiB."
  type        = number
  default     = 1024
}

variable "etcd_image" {
  description = "etcd 3.4 container image each region's member runs (the replicas use etcd's v3 JSON gateway as it is in 3.4). Pin a tag or digest; mirror it to your own ECR for production."
  type        = string
  default     = "gcr.io/etcd-development/etcd:v3.4.33"

  validation {
    condition     = can(regex(":v3\\.4\\.[0-9]+$|@sha256:[0-9a-f]{64}$", var.etcd_image))
    error_message = "etcd_image must be an etcd 3.4 image pinned by tag (…:v3.4.N) or by digest (…@sha256:…)."
  }
}

variable "etcd_instance_type" {
  description = "EC2 instance type of each region's etcd member (x86_64)."
  type        = string
  default     = "t3.medium"
}

variable "etcd_volume_size_gib" {
  description = "Size of each etcd member's encrypted gp3 data volume in GiB (etcd's default backend quota is 2 GiB)."
  type        = number
  default     = 20
}

variable "etcd_heartbeat_interval_ms" {
  description = "etcd --heartbeat-interval in milliseconds. etcd's tuning guide: about the longest round trip between members. The default covers eu-west-1 <-> ap-southeast-2 (about 250 ms); with two regions (us-east-1 <-> eu-west-1, about 75 ms) 100 is enough."
  type        = number
  default     = 250

  validation {
    condition     = var.etcd_heartbeat_interval_ms >= 10 && var.etcd_heartbeat_interval_ms <= 5000
    error_message = "etcd_heartbeat_interval_ms must be between 10 and 5000."
  }
}

variable "etcd_election_timeout_ms" {
  description = "etcd --election-timeout in milliseconds: about 10 x etcd_heartbeat_interval_ms (etcd's tuning guide; etcd itself refuses less than 5 x and more than 50000). etcd's shortest lease is 1.5 x this, so it also bounds how fast a dead replica's session ends."
  type        = number
  default     = 2500

  validation {
    # The ratio to the heartbeat is checked by the etcd instance's precondition
    # (a validation may refer to its own variable only in Terraform < 1.9).
    condition     = var.etcd_election_timeout_ms >= 50 && var.etcd_election_timeout_ms <= 50000
    error_message = "etcd_election_timeout_ms must be between 50 and 50000."
  }
}

variable "db_global_rpo_seconds" {
  description = "Aurora PostgreSQL rds.global_db_rpo, in seconds: when every secondary lags more than this, the primary holds commits until one catches up. It bounds what an unplanned failover can lose, at the price of stalled writes when replication stalls. Aurora accepts 20 to 2147483647."
  type        = number
  default     = 20

  validation {
    condition     = var.db_global_rpo_seconds >= 20 && var.db_global_rpo_seconds <= 2147483647 && floor(var.db_global_rpo_seconds) == var.db_global_rpo_seconds
    error_message = "db_global_rpo_seconds must be a whole number of seconds from 20 to 2147483647 (Aurora's range for rds.global_db_rpo)."
  }
}
