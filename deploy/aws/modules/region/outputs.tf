output "region" {
  description = "The region of this module."
  value       = var.region
}

output "vpc_id" {
  description = "ID of the region's VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the region's VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_route_table_ids" {
  description = "Private route table IDs by availability zone (for the inter-region peering routes)."
  value       = zipmap(local.azs, aws_route_table.private[*].id)
}

output "availability_zones" {
  description = "The three availability zones used."
  value       = local.azs
}

output "alb_arn" {
  description = "ARN of the ALB (the Global Accelerator endpoint)."
  value       = aws_lb.this.arn
}

output "alb_dns_name" {
  description = "DNS name of the ALB (Route 53 alias target and health-check address)."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the ALB, for alias records."
  value       = aws_lb.this.zone_id
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster (for `aws ecs run-task` of migrations and admin commands)."
  value       = aws_ecs_cluster.this.name
}

output "ecs_service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.portal.name
}

output "task_definition_family" {
  description = "Family of the portal's task definition."
  value       = aws_ecs_task_definition.portal.family
}

output "admin_task_definition_family" {
  description = "Family of the one-off admin task definition (migrations, first admin)."
  value       = aws_ecs_task_definition.admin.family
}

output "private_subnet_ids" {
  description = "Private subnet IDs (for run-task network configuration)."
  value       = aws_subnet.private[*].id
}

output "task_security_group_id" {
  description = "Security group of the portal tasks (for run-task network configuration)."
  value       = aws_security_group.tasks.id
}

output "db_cluster_id" {
  description = "Identifier of this region's Aurora cluster."
  value       = aws_rds_cluster.this.cluster_identifier
}

output "db_cluster_arn" {
  description = "ARN of this region's Aurora cluster (the target of a switchover or failover to this region)."
  value       = aws_rds_cluster.this.arn
}

output "db_writer_endpoint" {
  description = "Cluster (writer) endpoint of this region's Aurora cluster; it accepts writes only while this region is the primary."
  value       = aws_rds_cluster.this.endpoint
}

output "db_reader_endpoint" {
  description = "Reader endpoint of this region's Aurora cluster (host of PORTAL_DATABASE_URL)."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "db_instance_ids" {
  description = "Identifiers of the Aurora instances; known only once they exist (used to order secondaries after the primary)."
  value       = aws_rds_cluster_instance.this[*].id
}

output "alarm_topic_arn" {
  description = "SNS topic that receives the region's alarms."
  value       = aws_sns_topic.alarms.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the portal containers."
  value       = aws_cloudwatch_log_group.portal.name
}

output "controller_dns_name" {
  description = "DNS name of the internal NLB in front of this region's controller replica (resolves to private addresses)."
  value       = aws_lb.controller.dns_name
}

output "controller_service_name" {
  description = "Name of the controller replica's ECS service."
  value       = aws_ecs_service.controller.name
}

output "controller_command" {
  description = "The replica's command line (drctl controller ...); no secret is in it."
  value       = local.controller_command
}

output "etcd_instance_id" {
  description = "EC2 instance of this region's etcd member (Session Manager target)."
  value       = aws_instance.etcd.id
}

output "etcd_client_url" {
  description = "Client URL of this region's etcd member."
  value       = "http://${var.etcd_private_ip}:2379"
}

output "db_cluster_parameter_group_name" {
  description = "The cluster parameter group with rds.global_db_rpo."
  value       = aws_rds_cluster_parameter_group.this.name
}
