variable "name" {
  description = "Name tag of the peering connection."
  type        = string
}

variable "requester_vpc_id" {
  description = "VPC that requests the peering (in the aws.requester provider's region)."
  type        = string
}

variable "requester_cidr" {
  description = "CIDR block of the requester VPC."
  type        = string
}

variable "requester_route_table_ids" {
  description = "Requester route tables that get a route to the accepter VPC, keyed by a static name (e.g. availability zone)."
  type        = map(string)
}

variable "accepter_region" {
  description = "Region of the accepter VPC (the aws.accepter provider's region)."
  type        = string
}

variable "accepter_vpc_id" {
  description = "VPC that accepts the peering."
  type        = string
}

variable "accepter_cidr" {
  description = "CIDR block of the accepter VPC."
  type        = string
}

variable "accepter_route_table_ids" {
  description = "Accepter route tables that get a route to the requester VPC, keyed by a static name."
  type        = map(string)
}

variable "tags" {
  description = "Tags of the peering connection."
  type        = map(string)
  default     = {}
}
