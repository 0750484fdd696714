# This region's member of the control plane's etcd cluster (one member per
# region, etcd 3.4). An EC2 instance at a fixed private address with its data
# on a separate encrypted EBS volume: the peer URL is the member's identity in
# etcd, so it must survive a replacement, and the data must outlive the
# instance. Fargate tasks change address on every start and have no block
# storage, and EFS is too slow for etcd's fsync-per-commit (docs/AWS.md).

data "aws_ssm_parameter" "etcd_ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  etcd_subnet_index = 0
  etcd_az           = local.azs[local.etcd_subnet_index]
  etcd_device       = "/dev/sdf"
}

resource "aws_ebs_volume" "etcd" {
  availability_zone = local.etcd_az
  size              = var.etcd_volume_size_gib
  type              = "gp3"
  encrypted         = true

  tags = merge(local.tags, { Name = "${local.prefix}-etcd-data" })
}

resource "aws_iam_role" "etcd" {
  name               = "${local.prefix}-etcd"
  description        = "etcd member of CustomerPortal's control plane in ${var.region} (Session Manager access only)"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json

  tags = local.tags
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# Operators reach the member through Session Manager (etcdctl on the host);
# no SSH key, no inbound port for it.
resource "aws_iam_role_policy_attachment" "etcd_ssm" {
  role       = aws_iam_role.etcd.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "etcd" {
  name = "${local.prefix}-etcd"
  role = aws_iam_role.etcd.name

  tags = local.tags
}

resource "aws_instance" "etcd" {
  ami                    = data.aws_ssm_parameter.etcd_ami.insecure_value
  instance_type          = var.etcd_instance_type
  subnet_id              = aws_subnet.private[local.etcd_subnet_index].id
  private_ip             = var.etcd_private_ip
  vpc_security_group_ids = [aws_security_group.etcd.id]
  iam_instance_profile   = aws_iam_instance_profile.etcd.name

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 20
    encrypted   = true
  }

  # Base64 rather than user_data, which the provider keeps only as a hash: the
  # plan shows (and check.sh checks) the member's real start-up.
  user_data_base64 = base64encode(templatefile("${path.module}/etcd-user-data.sh.tftpl", {
    name               = var.region
    private_ip         = var.etcd_private_ip
    initial_cluster    = var.etcd_initial_cluster
    cluster_token      = var.name
    image              = var.etcd_image
    heartbeat_interval = var.etcd_heartbeat_interval_ms
    election_timeout   = var.etcd_election_timeout_ms
    device             = local.etcd_device
  }))

  lifecycle {
    # A new AMI or changed settings must not replace every region's member at
    # once (the cluster would lose its majority): roll them one region at a
    # time with `terraform apply -replace` (docs/AWS.md).
    ignore_changes = [ami, user_data_base64]

    precondition {
      condition     = var.etcd_election_timeout_ms >= 5 * var.etcd_heartbeat_interval_ms
      error_message = "etcd_election_timeout_ms must be at least 5 x etcd_heartbeat_interval_ms (etcd refuses less; its tuning guide suggests 10 x)."
    }

    precondition {
      condition     = contains(var.etcd_client_endpoints, "http://${var.etcd_private_ip}:2379")
      error_message = "etcd_client_endpoints must include this region's member."
    }
  }

  tags = merge(local.tags, { Name = "${local.prefix}-etcd" })
}

resource "aws_volume_attachment" "etcd" {
  device_name = local.etcd_device
  volume_id   = aws_ebs_volume.etcd.id
  instance_id = aws_instance.etcd.id
}
