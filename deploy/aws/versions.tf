terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Configure a remote backend for real use, e.g. an S3 bucket with state
  # locking and encryption, in an account region that is not one of the
  # regions this configuration protects (see docs/AWS.md). Left out so that
  # `terraform init -backend=false` and the offline check need nothing.
}
