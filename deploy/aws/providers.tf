# One provider configuration per region (Terraform 1.x cannot iterate over
# providers), plus "global" for the global services: Global Accelerator's API
# lives only in us-west-2, and Route 53 is global.

locals {
  offline            = var.aws_endpoint_url != ""
  endpoint_overrides = local.offline ? [var.aws_endpoint_url] : []

  default_tags = merge(var.tags, {
    Application = var.name
    ManagedBy   = "terraform"
    Repository  = "CustomerPortal/deploy/aws"
  })
}

provider "aws" {
  alias  = "global"
  region = "us-west-2"

  # Offline check (deploy/aws/check.sh): every API the configuration uses goes
  # to the local emulator, and nothing asks AWS who we are.
  skip_credentials_validation = local.offline
  skip_requesting_account_id  = local.offline
  skip_metadata_api_check     = local.offline ? "true" : null

  dynamic "endpoints" {
    for_each = local.endpoint_overrides

    content {
      appautoscaling    = endpoints.value
      cloudwatch        = endpoints.value
      ec2               = endpoints.value
      ecs               = endpoints.value
      elbv2             = endpoints.value
      globalaccelerator = endpoints.value
      iam               = endpoints.value
      kms               = endpoints.value
      logs              = endpoints.value
      rds               = endpoints.value
      route53           = endpoints.value
      secretsmanager    = endpoints.value
      ssm               = endpoints.value
      sns               = endpoints.value
      sts               = endpoints.value
    }
  }

  default_tags {
    tags = local.default_tags
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  skip_credentials_validation = local.offline
  skip_requesting_account_id  = local.offline
  skip_metadata_api_check     = local.offline ? "true" : null

  dynamic "endpoints" {
    for_each = local.endpoint_overrides

    content {
      appautoscaling    = endpoints.value
      cloudwatch        = endpoints.value
      ec2               = endpoints.value
      ecs               = endpoints.value
      elbv2             = endpoints.value
      globalaccelerator = endpoints.value
      iam               = endpoints.value
      kms               = endpoints.value
      logs              = endpoints.value
      rds               = endpoints.value
      route53           = endpoints.value
      secretsmanager    = endpoints.value
      ssm               = endpoints.value
      sns               = endpoints.value
      sts               = endpoints.value
    }
  }

  default_tags {
    tags = local.default_tags
  }
}

provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"

  skip_credentials_validation = local.offline
  skip_requesting_account_id  = local.offline
  skip_metadata_api_check     = local.offline ? "true" : null

  dynamic "endpoints" {
    for_each = local.endpoint_overrides

    content {
      appautoscaling    = endpoints.value
      cloudwatch        = endpoints.value
      ec2               = endpoints.value
      ecs               = endpoints.value
      elbv2             = endpoints.value
      globalaccelerator = endpoints.value
      iam               = endpoints.value
      kms               = endpoints.value
      logs              = endpoints.value
      rds               = endpoints.value
      route53           = endpoints.value
      secretsmanager    = endpoints.value
      ssm               = endpoints.value
      sns               = endpoints.value
      sts               = endpoints.value
    }
  }

  default_tags {
    tags = local.default_tags
  }
}
# Configured even when enable_ap_southeast_2 is false: a provider configuration
# makes no API call until a resource or data source uses it.
provider "aws" {
  alias  = "ap_southeast_2"
  region = "ap-southeast-2"

  skip_credentials_validation = local.offline
  skip_requesting_account_id  = local.offline
  skip_metadata_api_check     = local.offline ? "true" : null

  dynamic "endpoints" {
    for_each = local.endpoint_overrides

    content {
      appautoscaling    = endpoints.value
      cloudwatch        = endpoints.value
      ec2               = endpoints.value
      ecs               = endpoints.value
      elbv2             = endpoints.value
      globalaccelerator = endpoints.value
      iam               = endpoints.value
      kms               = endpoints.value
      logs              = endpoints.value
      rds               = endpoints.value
      route53           = endpoints.value
      secretsmanager    = endpoints.value
      ssm               = endpoints.value
      sns               = endpoints.value
      sts               = endpoints.value
    }
  }

  default_tags {
    tags = local.default_tags
  }
}
