# Inputs of one CustomerPortal region. The root module (deploy/aws) fills them;
# every value a region shares with the others (global cluster, secrets) comes in
# from there.

variable "name" {
  description = "Name prefix of every resource (e.g. \"customer-portal\"). At most 17 characters so that ALB and target group names (name-region) stay within AWS's 32-character limit."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,16}$", var.name))
    error_message = "name must be 1-17 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "The AWS region this module deploys into; must match the provider passed to the module. Becomes PORTAL_REGION in the container."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of the region."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- network

variable "vpc_cidr" {
  description = "CIDR block of the region's VPC. Must not overlap the other regions' VPCs (they are peered so that tasks reach the global writer)."
  type        = string
}

variable "availability_zones" {
  description = "Three availability zone names to spread subnets over. Empty: the first three zones of the region that need no opt-in, looked up with the aws_availability_zones data source."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) == 3
    error_message = "availability_zones must be empty (look them up) or name exactly three zones."
  }
}

variable "public_subnet_cidrs" {
  description = "Three CIDR blocks (one per availability zone) for the public subnets that hold the ALB and the NAT gateways."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_cidrs) == 3
    error_message = "public_subnet_cidrs must name exactly three CIDR blocks."
  }
}

variable "private_subnet_cidrs" {
  description = "Three CIDR blocks (one per availability zone) for the private subnets that hold the Fargate tasks and the Aurora instances."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_cidrs) == 3
    error_message = "private_subnet_cidrs must name exactly three CIDR blocks."
  }
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway for the whole VPC (cheaper, but an AZ outage cuts the other AZs' egress). false: one NAT gateway per availability zone."
  type        = bool
  default     = false
}

variable "peer_private_subnet_cidrs" {
  description = "Private subnet CIDR blocks of the other regions (reached over VPC peering). Their tasks may connect to this region's Aurora on 5432, because the global writer endpoint leads here while this region holds the primary."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------- service

variable "container_image" {
  description = "Image URI of customer-portal for this region, normally in this region's ECR (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/customer-portal:1.0.0)."
  type        = string

  validation {
    condition     = length(var.container_image) > 0
    error_message = "container_image is empty: give this region an entry in container_images."
  }
}

variable "container_port" {
  description = "Port the portal listens on inside the container."
  type        = number
  default     = 8080
}

variable "cpu_architecture" {
  description = "CPU architecture of the Fargate task: X86_64 or ARM64. Must match the image."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "task_cpu" {
  description = "CPU units of one Fargate task (1024 = 1 vCPU)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Memory of one Fargate task in MiB; must be a valid combination with task_cpu."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Number of tasks when the service is created. Afterwards application auto scaling owns the count (Terraform ignores changes to it)."
  type        = number
  default     = 2
}

variable "min_capacity" {
  description = "Lowest number of tasks auto scaling may run. Keep at least 2 so a task or AZ loss does not empty the region."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Highest number of tasks auto scaling may run. A standby region must be able to absorb the failed region's traffic."
  type        = number
  default     = 8
}

variable "cpu_target_percent" {
  description = "Average service CPU utilisation that target-tracking auto scaling holds."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the portal's log lines."
  type        = number
  default     = 30
}

# ---------------------------------------------------------------- load balancer

variable "certificate_arn" {
  description = "ARN of the ACM certificate in this region for the HTTPS listener (ACM certificates are regional: one per region)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN in this region: give this region an entry in certificate_arns."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "alb_deletion_protection" {
  description = "Protect the ALB from deletion (turn off only to tear the region down)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- database

variable "database_role" {
  description = "Role of this region's Aurora cluster when it is created: \"primary\" (the writer; created with master credentials and the database) or \"secondary\" (a read-only replica cluster of the global database; no credentials). After a switchover or failover AWS moves the role; Terraform does not fight it."
  type        = string

  validation {
    condition     = contains(["primary", "secondary"], var.database_role)
    error_message = "database_role must be \"primary\" or \"secondary\"."
  }
}

variable "primary_cluster_ready" {
  description = "For a secondary: any value that is known only after the primary cluster and its instances exist (e.g. their ids). A secondary can only join the global database once the primary is there; this orders the two."
  type        = any
  default     = null
}

variable "global_cluster_identifier" {
  description = "Identifier of the aws_rds_global_cluster this region's cluster joins."
  type        = string
}

variable "global_writer_endpoint" {
  description = "The Aurora global writer endpoint: always leads to the current primary cluster. Host of PORTAL_WRITER_DATABASE_URL (service and admin task)."
  type        = string
}

variable "engine_version" {
  description = "Aurora PostgreSQL engine version; the same in every region (the global cluster's)."
  type        = string
}

variable "database_name" {
  description = "Name of the PostgreSQL database the portal uses."
  type        = string
}

variable "database_app_username" {
  description = "PostgreSQL role the portal connects as (created by the migration step, not the master user)."
  type        = string
}

variable "db_master_username" {
  description = "Master user of the global database: the primary cluster is created with it, and the admin task definition of every region connects as it (its URLs carry it)."
  type        = string
  default     = "portal_admin"
}

variable "db_master_password" {
  description = "Master password of the primary cluster (Aurora global databases do not support RDS-managed master secrets). Null for a secondary. Sensitive: it ends up in the Terraform state, so keep the state encrypted and rotate it after creation."
  type        = string
  default     = null
  sensitive   = true
}

variable "db_instance_class" {
  description = "Instance class of the Aurora instances in this region."
  type        = string
  default     = "db.r6g.large"
}

variable "db_instance_count" {
  description = "Number of Aurora instances in this region's cluster. In the primary the first is the writer; more give readers and an in-region failover target."
  type        = number
  default     = 1

  validation {
    condition     = var.db_instance_count >= 1
    error_message = "db_instance_count must be at least 1."
  }
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery) of the cluster."
  type        = number
  default     = 7
}

variable "db_deletion_protection" {
  description = "Protect the Aurora cluster from deletion."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when the cluster is destroyed (only for throw-away environments)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- secrets

variable "signing_keys_secret_arn" {
  description = "ARN of this region's copy (primary or replica) of the Secrets Manager secret with the JWT signing keys. Injected as PORTAL_SIGNING_KEYS."
  type        = string
}

variable "database_admin_secret_arn" {
  description = "ARN of this region's copy of the secret with the master credentials (JSON with \"username\" and \"password\"). Only the admin task definition (migrations, first admin) gets it."
  type        = string
}

variable "database_secret_arn" {
  description = "ARN of this region's copy of the Secrets Manager secret with the portal's database credentials (JSON with a \"password\" key). Injected as PORTAL_DATABASE_PASSWORD."
  type        = string
}

# ---------------------------------------------------------------- alarms

variable "alarm_email" {
  description = "E-mail address subscribed to the region's alarm topic. Empty: no subscription (subscribe a pager or chat integration yourself)."
  type        = string
  default     = ""
}

variable "alb_5xx_rate_threshold_percent" {
  description = "Alarm when more than this percentage of requests get a 5xx (from the targets or the ALB itself) for three minutes."
  type        = number
  default     = 5
}

variable "replication_lag_threshold_ms" {
  description = "Alarm when AuroraGlobalDBReplicationLag of this (secondary) cluster stays above this many milliseconds for five minutes."
  type        = number
  default     = 1000
}

variable "login_failure_pattern" {
  description = "CloudWatch Logs filter pattern that matches one failed login in the portal's log (see docs/AWS.md, container contract)."
  type        = string
  default     = "\"login failed\""
}

variable "login_failure_threshold" {
  description = "Alarm when more than this many logins fail in five minutes in this region (credential stuffing, broken auth)."
  type        = number
  default     = 200
}

# ---------------------------------------------------------------- control plane

variable "control_token_secret_arn" {
  description = "ARN of this region's copy of the secret with the control plane's bearer token. The controller replica gets it as DRCTL_CONTROL_TOKEN, the portals as PORTAL_WRITE_LEASE_TOKEN."
  type        = string
}

variable "lease_signing_key_secret_arn" {
  description = "ARN of this region's copy of the secret with the write-lease Ed25519 key (JSON with \"privateKey\" and \"publicKey\", base64). The replica gets privateKey, the portals only publicKey."
  type        = string
}

variable "etcd_private_ip" {
  description = "Fixed private address of this region's etcd member, inside the first private subnet."
  type        = string
}

variable "etcd_peer_ips" {
  description = "Private addresses of the other regions' etcd members: the only sources admitted on the peer port 2380."
  type        = list(string)
}

variable "etcd_initial_cluster" {
  description = "etcd --initial-cluster of the whole cluster (REGION=http://IP:2380 for every region); used only when a member starts on an empty data volume."
  type        = string
}

variable "etcd_client_endpoints" {
  description = "Client URLs (http://IP:2379) of every region's etcd member, this region's included; passed to the controller replica."
  type        = list(string)
}

variable "etcd_image" {
  description = "etcd 3.4 container image the member runs."
  type        = string
}

variable "etcd_instance_type" {
  description = "EC2 instance type of the etcd member (x86_64)."
  type        = string
  default     = "t3.medium"
}

variable "etcd_volume_size_gib" {
  description = "Size of the etcd member's gp3 data volume in GiB."
  type        = number
  default     = 20
}

variable "etcd_heartbeat_interval_ms" {
  description = "etcd --heartbeat-interval (ms): about the longest round trip between members."
  type        = number
}

variable "etcd_election_timeout_ms" {
  description = "etcd --election-timeout (ms): about 10 x the heartbeat, at least 5 x."
  type        = number
}

variable "controller_port" {
  description = "Port of the controller replica's API in the task and on the internal NLB."
  type        = number
  default     = 8090
}

variable "controller_urls" {
  description = "Every region's controller replica URL (http://NLB:PORT) by region, this region's included: the replica's peers, and the portals' write-lease URLs (own region first)."
  type        = map(string)
}

variable "portal_urls" {
  description = "Every region's portal base URL (https://<ALB DNS name>) by region, this region's included: what the controller replica probes at /health/ready."
  type        = map(string)
}

variable "portal_tls_name" {
  description = "The host name the ALBs' certificates carry (domain_name): the replica's probes connect to each ALB but name this host (TLS server name and Host)."
  type        = string
}

variable "accelerator_listener_arn" {
  description = "The Global Accelerator listener whose endpoint groups (one per region) hold the traffic dials the controller reads and turns."
  type        = string
}

variable "controller_task_cpu" {
  description = "CPU units of the controller replica's Fargate task."
  type        = number
  default     = 512
}

variable "controller_task_memory" {
  description = "Memory of the controller replica's Fargate task in MiB."
  type        = number
  default     = 1024
}

variable "operator_cidrs" {
  description = "CIDR blocks from which operators may call the controller API through the internal NLB."
  type        = list(string)
  default     = []
}

variable "db_global_rpo_seconds" {
  description = "rds.global_db_rpo of this region's Aurora cluster (20 to 2147483647 seconds)."
  type        = number
  default     = 20
}
