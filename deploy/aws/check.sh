#!/usr/bin/env bash
# Offline verification of the Terraform configuration in deploy/aws.
#
#   bash deploy/aws/check.sh
#
# Needs, on PATH:
#   - terraform 1.5 or later (CI uses 1.11.4);
#   - the hashicorp/aws provider 5.100.x in a filesystem mirror, by default
#     /opt/tf-plugins (override with TF_PLUGIN_MIRROR);
#   - moto_server, from `pip install "moto[server]"` (5.x);
#   - python3 (picks a free port and waits for moto).
# Nothing is downloaded: terraform init reads the mirror only, and every AWS
# API call goes to moto_server on 127.0.0.1.
#
# What it checks: terraform fmt; init and validate; a Dockerfile sanity check;
# terraform plan of the two-region and the three-region deployment against
# moto, and that each plan holds the resources of every region: the portal,
# the database (with its rds.global_db_rpo parameter group), and the control
# plane (an etcd member, a controller replica, their security group rules).
# It works on a temporary copy of deploy/aws and leaves nothing behind: no
# files in the repository, no process (moto_server is stopped by its pid on
# every exit path).
#
# Last line: "terraform checks: N passed, 0 failed" and exit 0, or
# "terraform checks: N passed, M failed" and exit 1.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mirror="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"

for tool in terraform moto_server python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        case "$tool" in
            moto_server) hint='install it with: pip install "moto[server]"' ;;
            terraform) hint="install terraform 1.5 or later (CI: 1.11.4)" ;;
            *) hint="install python3" ;;
        esac
        echo "check.sh: $tool not found on PATH; $hint" >&2
        exit 1
    fi
done
if [[ ! -d "$mirror/registry.terraform.io/hashicorp/aws" ]]; then
    echo "check.sh: no hashicorp/aws provider in the mirror $mirror (set TF_PLUGIN_MIRROR)" >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/customer-portal-tf-check.XXXXXX")"
moto_pid=""

cleanup() {
    local status=$?
    if [[ -n "$moto_pid" ]] && kill -0 "$moto_pid" 2>/dev/null; then
        kill "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
log="$work/step.log"

# run NAME COMMAND...: runs one check, prints PASS/FAIL, shows its output on
# failure (and its "summary: " lines on success).
run() {
    local name="$1"
    shift
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS  $name"
        { grep '^summary: ' "$log" || true; } | sed 's/^summary: /      /'
    else
        failed=$((failed + 1))
        echo "FAIL  $name"
        sed 's/^/      /' "$log" | tail -n 60
    fi
}

finish() {
    echo "terraform checks: $passed passed, $failed failed"
    if ((failed > 0)); then
        exit 1
    fi
    exit 0
}

# Offline Terraform: the provider comes from the mirror, nothing from the
# registry, no checkpoint calls, no user configuration.
cat >"$work/terraform.rc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$work/terraform.rc"
export TF_DATA_DIR="$work/tf-data"
export TF_IN_AUTOMATION=1
export TF_INPUT=0
export CHECKPOINT_DISABLE=1
unset TF_LOG TF_WORKSPACE

# Fake credentials; no profile, config file or instance metadata is read.
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_SHARED_CREDENTIALS_FILE="$work/no-credentials"
export AWS_CONFIG_FILE="$work/no-config"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL

# A copy of the configuration, so that init's lock file and plans stay out of
# the repository.
config="$work/config"
mkdir -p "$config"
(cd "$here" && tar --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' \
    --exclude=terraform.tfvars --exclude='*.tfplan' -cf - .) | (cd "$config" && tar -xf -)

run "terraform fmt -check -recursive" terraform -chdir="$here" fmt -check -recursive -diff
run "terraform init -backend=false (offline, provider mirror)" terraform -chdir="$config" init -backend=false -input=false -no-color
run "terraform validate" terraform -chdir="$config" validate -no-color

# Dockerfile: the properties the deployment relies on (it cannot be built here).
dockerfile_ok() {
    local f="$here/Dockerfile" pattern
    for pattern in \
        '^FROM swift:6\.[0-9.]*[a-z-]* AS build' \
        'swift build -c release --product customer-portal --static-swift-stdlib' \
        '^USER [1-9][0-9]*(:[0-9]+)?$' \
        '^EXPOSE 8080$' \
        '^HEALTHCHECK .*/health/live' \
        'swift build -c release --product drctl --static-swift-stdlib' \
        'cp "\$bin/customer-portal" "\$bin/drctl" \./' \
        '^ENTRYPOINT \["/app/customer-portal"\]' \
        '^CMD \["serve"\]'; do
        if ! grep -Eq "$pattern" "$f"; then
            echo "Dockerfile: no line matches: $pattern"
            return 1
        fi
    done
}
run "Dockerfile: multi-stage, non-root, EXPOSE 8080, HEALTHCHECK, customer-portal serve, drctl in the image" dockerfile_ok

if ((failed > 0)); then
    echo "check.sh: skipping the plans, the configuration does not validate" >&2
    finish
fi

# moto_server on a free loopback port, recorded by pid.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
endpoint="http://127.0.0.1:$port"
echo "      moto_server pid $moto_pid on $endpoint (stopped on exit)"

if ! python3 - "$endpoint" "$moto_pid" <<'EOF'; then
import os, sys, time, urllib.error, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("moto_server exited")
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answers
    except OSError:
        time.sleep(0.2)
sys.exit("moto_server did not answer within 30 s")
EOF
    failed=$((failed + 1))
    echo "FAIL  moto_server on $endpoint"
    sed 's/^/      /' "$work/moto.log" | tail -n 20
    finish
fi

# Variables of the offline plans: placeholders only, no real account.
cat >"$work/offline.tfvars" <<'EOF'
container_images = {
  "us-east-1"      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/customer-portal:offline"
  "eu-west-1"      = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/customer-portal:offline"
  "ap-southeast-2" = "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/customer-portal:offline"
}
certificate_arns = {
  "us-east-1"      = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
  "eu-west-1"      = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000002"
  "ap-southeast-2" = "arn:aws:acm:ap-southeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000003"
}
route53_zone_id         = "Z0000000000000OFFLINE"
domain_name             = "portal.example.test"
accelerator_domain_name = "edge.portal.example.test"
alarm_email             = "oncall@example.test"
operator_cidrs          = ["192.0.2.0/24"]
EOF
export TF_VAR_db_master_password="offline-check-not-a-real-password"

# plan_variant NAME REGIONS EXTRA-ARGS...: plans against moto and checks that
# the plan creates the pieces of every region.
plan_variant() {
    local name="$1" regions="$2"
    shift 2
    local plan="$work/$name.tfplan"
    # (called from an `if`, where set -e does not apply: stop explicitly)
    terraform -chdir="$config" plan -input=false -no-color -lock=false \
        -var-file="$work/offline.tfvars" -var "aws_endpoint_url=$endpoint" "$@" -out="$plan" || return 1
    terraform -chdir="$config" show -json "$plan" >"$work/$name.json" || return 1
    python3 - "$work/$name.json" "$regions" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
regions = sys.argv[2].split(",")
changes = plan.get("resource_changes", [])
creates = [c for c in changes if c["change"]["actions"] == ["create"]]
# Data sources whose arguments are only known after apply (policy documents
# with secret ARNs) are read then; anything else must be a create.
others = [c["address"] for c in changes if c not in creates and not (c["mode"] == "data" and c["change"]["actions"] == ["read"])]
if others:
    sys.exit("plan does more than create: %s" % others)
reads = [c["address"] for c in changes if c["mode"] == "data"]

def count(resource_type):
    return sum(1 for c in creates if c["type"] == resource_type)

n = len(regions)
expected = {
    "aws_rds_global_cluster": 1,
    "aws_secretsmanager_secret": 5,
    "aws_ecs_task_definition": 3 * n,  # portal, admin, controller
    "aws_globalaccelerator_accelerator": 1,
    "aws_globalaccelerator_listener": 1,
    "aws_globalaccelerator_endpoint_group": n,
    "aws_route53_health_check": n,
    "aws_route53_record": n + 3,  # latency records, failover pair, accelerator alias
    "aws_vpc": n,
    "aws_subnet": 6 * n,
    "aws_nat_gateway": 3 * n,
    "aws_lb": 2 * n,  # ALB, controller NLB
    "aws_lb_listener": 3 * n,
    "aws_lb_target_group": 2 * n,
    "aws_ecs_service": 2 * n,  # portal, controller
    "aws_security_group": 6 * n,  # alb, tasks, aurora, etcd, controller, controller NLB
    "aws_instance": n,  # etcd members
    "aws_ebs_volume": n,
    "aws_volume_attachment": n,
    "aws_rds_cluster_parameter_group": n,
    "aws_appautoscaling_policy": n,
    "aws_rds_cluster": n,
    "aws_vpc_peering_connection": n * (n - 1) // 2,
    "aws_cloudwatch_metric_alarm": 5 * n,
    "aws_cloudwatch_log_metric_filter": n,
    "aws_sns_topic": n,
}
wrong = {t: (count(t), e) for t, e in expected.items() if count(t) != e}
if wrong:
    sys.exit("unexpected resource counts (planned, expected): %s" % wrong)

secrets = [c for c in creates if c["type"] == "aws_secretsmanager_secret"]
for s in secrets:
    replicas = sorted(r["region"] for r in s["change"]["after"].get("replica", []))
    if replicas != sorted(r for r in regions if r != "us-east-1"):
        sys.exit("%s replicates to %s, expected every region but us-east-1" % (s["address"], replicas))

clusters = {c["address"]: c["change"]["after"] for c in creates if c["type"] == "aws_rds_cluster"}
for address, after in clusters.items():
    primary = address.startswith("module.us_east_1.")
    if primary != (after.get("master_username") is not None):
        sys.exit("%s: only the primary cluster may have master credentials" % address)

# No availability_zones given: the zones come from moto's DescribeAvailabilityZones.
for region in regions:
    zones = sorted({c["change"]["after"]["availability_zone"] for c in creates
                    if c["type"] == "aws_subnet" and c["address"].startswith("module.%s" % region.replace("-", "_"))})
    if len(zones) != 3 or not all(z.startswith(region) for z in zones):
        sys.exit("%s: subnets are not spread over three of its zones: %s" % (region, zones))
    print("summary:   %s zones (from moto): %s" % (region, ", ".join(zones)))

print("summary: %d resources to create, %d data sources read at apply, for %s" % (len(creates), len(reads), ", ".join(regions)))
for address in reads:
    print("summary:   read at apply: " + address)
EOF
}

# control_plane NAME REGIONS: on the plan of plan_variant NAME, every region
# has its etcd member (fixed address, the whole cluster in its start-up), its
# controller service of one replica with every etcd endpoint, the security
# group rules that close etcd and the controller API to anyone else, and the
# rds.global_db_rpo parameter group on its Aurora cluster.
control_plane() {
    local name="$1" regions="$2"
    [[ -s "$work/$name.json" ]] || { echo "no plan of $name (its plan step failed)"; return 1; }
    python3 - "$work/$name.json" "$regions" <<'EOF'
import base64, json, sys
plan = json.load(open(sys.argv[1]))
regions = sys.argv[2].split(",")
n = len(regions)
creates = [c for c in plan.get("resource_changes", []) if c["change"]["actions"] == ["create"]]

# The control plane and the parameter group, region by region.
def in_region(region, resource_type, name=None):
    module = "module.%s" % region.replace("-", "_")  # module.ap_southeast_2[0] has count
    return [c for c in creates if c["type"] == resource_type and c.get("module_address", "").split("[")[0] == module
            and (name is None or c["name"] == name)]

def rules(region, name):
    return [c["change"]["after"] for c in in_region(region, "aws_vpc_security_group_ingress_rule", name)] + \
           [c["change"]["after"] for c in in_region(region, "aws_vpc_security_group_egress_rule", name)]

# (output_changes, not planned_values: the output is partly known at plan
# time, the NLB names are not, and only output_changes keeps the known part.)
control = plan.get("output_changes", {}).get("control_plane", {}).get("after") or {}
cluster_members = control.get("etcd_initial_cluster", "").split(",")
endpoints = control.get("etcd_client_endpoints", [])
if sorted(m.split("=")[0] for m in cluster_members) != sorted(regions) or len(endpoints) != n:
    sys.exit("etcd cluster is not one member per region: %s, %s" % (cluster_members, endpoints))
member_ips = {m.split("=")[0]: m.split("//")[1].split(":")[0] for m in cluster_members}
for region in regions:
    others = sorted(ip for r, ip in member_ips.items() if r != region)
    etcd = in_region(region, "aws_instance", "etcd")
    if len(etcd) != 1 or etcd[0]["change"]["after"]["private_ip"] != member_ips[region]:
        sys.exit("%s: no etcd member at its fixed address %s" % (region, member_ips[region]))
    user_data = base64.b64decode(etcd[0]["change"]["after"].get("user_data_base64") or "").decode()
    for flag in ("--initial-cluster " + ",".join(cluster_members), "--name " + region, ":v3.4.",
                 "--heartbeat-interval 250 ", "--election-timeout 2500 ",
                 "--listen-peer-urls http://%s:2380" % member_ips[region]):
        if flag not in user_data:
            sys.exit("%s: etcd member's start-up lacks %r" % (region, flag))

    services = {c["name"]: c["change"]["after"] for c in in_region(region, "aws_ecs_service")}
    if services.get("controller", {}).get("desired_count") != 1:
        sys.exit("%s: no controller service with one replica: %s" % (region, sorted(services)))
    command = control.get("regions", {}).get(region, {}).get("controller_command") or []
    if command[:3] != ["controller", "--region", region] or \
            "--etcd-endpoints" not in command or command[command.index("--etcd-endpoints") + 1] != ",".join(endpoints):
        sys.exit("%s: controller command is not drctl controller --region %s with every etcd endpoint: %s" % (region, region, command))
    if any(word in " ".join(w for w in command if w).lower() for word in ("token", "secret", "private")):
        sys.exit("%s: the controller command names a secret: %s" % (region, command))

    # etcd: clients 2379 from the replica and the portals (here: by group;
    # other regions: by their private subnets), peers 2380 only from the
    # other members' /32; nothing else reaches etcd.
    etcd_in = [c["change"]["after"] for c in in_region(region, "aws_vpc_security_group_ingress_rule")
               if c["name"].startswith("etcd_")]
    if sorted((r["from_port"], r.get("cidr_ipv4")) for r in etcd_in if r["from_port"] == 2380) != \
            sorted((2380, ip + "/32") for ip in others):
        sys.exit("%s: etcd peer port is not limited to the other members %s" % (region, others))
    if len(rules(region, "etcd_client_from_controller")) != 1 or len(rules(region, "etcd_client_from_tasks")) != 1:
        sys.exit("%s: etcd client port lacks the controller or the portal rule" % region)
    if any(r["from_port"] not in (2379, 2380) or r["to_port"] != r["from_port"] for r in etcd_in) or \
            any(r.get("cidr_ipv4") == "0.0.0.0/0" for r in etcd_in):
        sys.exit("%s: etcd admits more than 2379 and 2380 from its clients and members" % region)
    # The controller API: from the NLB only; the NLB from the portals, the
    # replicas and operator_cidrs, never from anywhere.
    if len(rules(region, "controller_from_lb")) != 1 or len(rules(region, "controller_lb_from_tasks")) != 1:
        sys.exit("%s: the controller API is not reached through its NLB by the portals" % region)
    lb_in = [c["change"]["after"] for c in in_region(region, "aws_vpc_security_group_ingress_rule")
             if c["name"].startswith("controller")]
    if sorted(r["cidr_ipv4"] for r in rules(region, "controller_lb_from_operators")) != ["192.0.2.0/24"] or \
            any(r.get("cidr_ipv4") == "0.0.0.0/0" for r in lb_in):
        sys.exit("%s: controller API is open beyond operator_cidrs" % region)

    groups = in_region(region, "aws_rds_cluster_parameter_group")
    parameters = {p["name"]: p for g in groups for p in g["change"]["after"].get("parameter", [])}
    if len(groups) != 1 or parameters.get("rds.global_db_rpo", {}).get("value") != "20" or \
            not groups[0]["change"]["after"]["family"].startswith("aurora-postgresql"):
        sys.exit("%s: no aurora-postgresql parameter group with rds.global_db_rpo = 20" % region)
    cluster = in_region(region, "aws_rds_cluster")[0]["change"]["after"]
    if cluster.get("db_cluster_parameter_group_name") != groups[0]["change"]["after"]["name"]:
        sys.exit("%s: the Aurora cluster does not use the rds.global_db_rpo parameter group" % region)
    print("summary:   %s: etcd member %s, controller service (1 task), %d etcd peer rule(s), rds.global_db_rpo = 20"
          % (region, member_ips[region], len(others)))

EOF
}

run "terraform plan against moto: us-east-1 + eu-west-1" \
    plan_variant two-regions "us-east-1,eu-west-1"
run "terraform plan against moto: us-east-1 + eu-west-1 + ap-southeast-2" \
    plan_variant three-regions "us-east-1,eu-west-1,ap-southeast-2" -var enable_ap_southeast_2=true
run "control plane and rds.global_db_rpo in the plan: us-east-1 + eu-west-1" \
    control_plane two-regions "us-east-1,eu-west-1"
run "control plane and rds.global_db_rpo in the plan: us-east-1 + eu-west-1 + ap-southeast-2" \
    control_plane three-regions "us-east-1,eu-west-1,ap-southeast-2"

finish
