# Inter-region VPC peering, one connection per pair of deployed regions, so
# that every region's tasks reach the global writer endpoint (the primary
# cluster lives in a private subnet of another region). The Aurora security
# groups admit the peers' private subnets on 5432 only.

module "peering_us_east_1_eu_west_1" {
  source = "./modules/peering"
  providers = {
    aws.requester = aws.us_east_1
    aws.accepter  = aws.eu_west_1
  }

  name                      = "${var.name}-us-east-1-eu-west-1"
  requester_vpc_id          = module.us_east_1.vpc_id
  requester_cidr            = module.us_east_1.vpc_cidr
  requester_route_table_ids = module.us_east_1.private_route_table_ids
  accepter_region           = "eu-west-1"
  accepter_vpc_id           = module.eu_west_1.vpc_id
  accepter_cidr             = module.eu_west_1.vpc_cidr
  accepter_route_table_ids  = module.eu_west_1.private_route_table_ids
}

module "peering_us_east_1_ap_southeast_2" {
  source = "./modules/peering"
  count  = var.enable_ap_southeast_2 ? 1 : 0
  providers = {
    aws.requester = aws.us_east_1
    aws.accepter  = aws.ap_southeast_2
  }

  name                      = "${var.name}-us-east-1-ap-southeast-2"
  requester_vpc_id          = module.us_east_1.vpc_id
  requester_cidr            = module.us_east_1.vpc_cidr
  requester_route_table_ids = module.us_east_1.private_route_table_ids
  accepter_region           = "ap-southeast-2"
  accepter_vpc_id           = module.ap_southeast_2[0].vpc_id
  accepter_cidr             = module.ap_southeast_2[0].vpc_cidr
  accepter_route_table_ids  = module.ap_southeast_2[0].private_route_table_ids
}

module "peering_eu_west_1_ap_southeast_2" {
  source = "./modules/peering"
  count  = var.enable_ap_southeast_2 ? 1 : 0
  providers = {
    aws.requester = aws.eu_west_1
    aws.accepter  = aws.ap_southeast_2
  }

  name                      = "${var.name}-eu-west-1-ap-southeast-2"
  requester_vpc_id          = module.eu_west_1.vpc_id
  requester_cidr            = module.eu_west_1.vpc_cidr
  requester_route_table_ids = module.eu_west_1.private_route_table_ids
  accepter_region           = "ap-southeast-2"
  accepter_vpc_id           = module.ap_southeast_2[0].vpc_id
  accepter_cidr             = module.ap_southeast_2[0].vpc_cidr
  accepter_route_table_ids  = module.ap_southeast_2[0].private_route_table_ids
}
