# Every endpoint of the deployment. drctl aws and the runbook read these
# (terraform output -json).

output "regions" {
  description = "The deployed regions, home region first."
  value       = local.regions
}

output "accelerator_dns_name" {
  description = "DNS name of the Global Accelerator."
  value       = aws_globalaccelerator_accelerator.this.dns_name
}

output "accelerator_ip_addresses" {
  description = "The Global Accelerator's static anycast IPv4 addresses."
  value       = flatten(aws_globalaccelerator_accelerator.this.ip_sets[*].ip_addresses)
}

output "accelerator_listener_arn" {
  description = "ARN of the accelerator's TCP 443 listener."
  value       = aws_globalaccelerator_listener.https.id
}

output "accelerator_endpoint_group_arns" {
  description = "Global Accelerator endpoint group ARN per region (their traffic dials are what drctl aws turns)."
  value       = { for region, group in aws_globalaccelerator_endpoint_group.region : region => group.arn }
}

output "route53_name" {
  description = "The DNS name clients use (failover record over the latency-based records)."
  value       = var.domain_name
}

output "route53_latency_name" {
  description = "The name that holds one latency-based record per region."
  value       = local.latency_name
}

output "accelerator_domain_name" {
  description = "The name that aliases the Global Accelerator, or null when not set."
  value       = var.accelerator_domain_name == "" ? null : var.accelerator_domain_name
}

output "route53_health_check_ids" {
  description = "Route 53 health check ID per region."
  value       = { for region, check in aws_route53_health_check.region : region => check.id }
}

output "alb_dns_names" {
  description = "DNS name of each region's ALB."
  value       = { for region, edge in local.edges : region => edge.alb_dns_name }
}

output "global_cluster_id" {
  description = "Identifier of the Aurora global database."
  value       = aws_rds_global_cluster.this.id
}

output "global_writer_endpoint" {
  description = "The Aurora global writer endpoint (always the current primary; PORTAL_WRITER_DATABASE_URL)."
  value       = aws_rds_global_cluster.this.endpoint
}

output "db_cluster_arns" {
  description = "ARN of each region's Aurora cluster (targets of switchover and failover)."
  value       = { for region, m in local.region_modules : region => m.db_cluster_arn }
}

output "db_writer_endpoints" {
  description = "Cluster (writer) endpoint of each region's Aurora cluster; only the current primary's accepts writes."
  value       = { for region, m in local.region_modules : region => m.db_writer_endpoint }
}

output "db_reader_endpoints" {
  description = "Reader endpoint of each region's Aurora cluster (host of PORTAL_DATABASE_URL)."
  value       = { for region, m in local.region_modules : region => m.db_reader_endpoint }
}

output "ecs" {
  description = "Per region: ECS cluster, service, task definition family, private subnets and task security group (for aws ecs run-task of migrations and admin commands)."
  value = {
    for region, m in local.region_modules : region => {
      cluster                = m.ecs_cluster_name
      service                = m.ecs_service_name
      task_definition_family = m.task_definition_family
      admin_task_family      = m.admin_task_definition_family
      subnets                = m.private_subnet_ids
      security_group         = m.task_security_group_id
    }
  }
}

output "alarm_topic_arns" {
  description = "SNS alarm topic ARN per region."
  value       = { for region, m in local.region_modules : region => m.alarm_topic_arn }
}

output "signing_keys_secret_arns" {
  description = "ARN of the signing-keys secret in each region (the home region's secret and its replicas)."
  value       = local.signing_keys_secret_arns
}

output "database_admin_secret_arns" {
  description = "ARN of the master-credentials secret in each region (used by the admin task only)."
  value       = local.database_admin_secret_arns
}

output "database_secret_arns" {
  description = "ARN of the database-credentials secret in each region."
  value       = local.database_secret_arns
}

output "control_plane" {
  description = "Per region: the controller replica (NLB URL, ECS service, command line) and the etcd member (instance, client URL); and the etcd cluster as a whole. drctl and the runbook use the URLs; the token is in the control-token secret."
  value = {
    etcd_initial_cluster  = local.etcd_initial_cluster
    etcd_client_endpoints = local.etcd_client_endpoints
    regions = {
      for region, m in local.region_modules : region => {
        controller_url     = local.controller_urls[region]
        controller_service = m.controller_service_name
        controller_command = m.controller_command
        etcd_instance_id   = m.etcd_instance_id
        etcd_client_url    = m.etcd_client_url
      }
    }
  }
}

output "control_token_secret_arns" {
  description = "ARN of the control-token secret in each region."
  value       = local.control_token_secret_arns
}

output "lease_signing_key_secret_arns" {
  description = "ARN of the write-lease signing-key secret in each region."
  value       = local.lease_signing_key_secret_arns
}

output "db_cluster_parameter_group_names" {
  description = "Cluster parameter group (rds.global_db_rpo) of each region's Aurora cluster."
  value       = { for region, m in local.region_modules : region => m.db_cluster_parameter_group_name }
}
