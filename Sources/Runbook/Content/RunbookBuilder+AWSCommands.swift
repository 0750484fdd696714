import DRConfiguration
import Failover

/// The AWS CLI and `drctl aws` commands the AWS form of the procedures is made of.
extension RunbookBuilder {
    /// Global Accelerator's API is served from us-west-2 only, whatever the regions of the endpoints.
    static let globalAcceleratorRegion = "us-west-2"

    /// A region's AWS resources; placeholders when the file has none (a loaded file always has them).
    func awsResources(_ region: String) -> Deployment.AWS.RegionResources {
        deployment.aws?.regions[RegionName(region)]
            ?? .init(dbClusterARN: "DB-CLUSTER-ARN-OF-\(region)", endpointGroupARN: "ENDPOINT-GROUP-ARN-OF-\(region)")
    }

    /// The global database's members and which one writes.
    func awsGlobalClusterMembers() -> ShellCommand {
        aws(
            "rds", "describe-global-clusters", "--global-cluster-identifier", deployment.aws?.globalCluster ?? "",
            "--region", deployment.aws?.controlRegion.rawValue ?? primary, "--query",
            "GlobalClusters[0].GlobalClusterMembers[*].[DBClusterArn,IsWriter]", "--output", "table")
    }

    /// Sets a region's Global Accelerator traffic dial.
    func awsSetDial(_ region: String, _ percent: Int) -> ShellCommand {
        aws(
            "globalaccelerator", "update-endpoint-group", "--endpoint-group-arn",
            awsResources(region).endpointGroupARN, "--traffic-dial-percentage", String(percent), "--region",
            Self.globalAcceleratorRegion)
    }

    /// A region's Global Accelerator dial and endpoint health.
    func awsDescribeDial(_ region: String) -> ShellCommand {
        aws(
            "globalaccelerator", "describe-endpoint-group", "--endpoint-group-arn",
            awsResources(region).endpointGroupARN, "--region", Self.globalAcceleratorRegion, "--query",
            "EndpointGroup.[TrafficDialPercentage,EndpointDescriptions[*].HealthState]")
    }

    /// Whether a Route 53 health check is inverted.
    func awsHealthCheckInverted(_ id: String) -> ShellCommand {
        aws("route53", "get-health-check", "--health-check-id", id, "--query", "HealthCheck.HealthCheckConfig.Inverted")
    }

    /// `drctl aws status` for the whole deployment: writer, lag, dials and health in one table.
    func drctlAWSStatus() -> ShellCommand {
        guard let config = deployment.aws else { return ShellCommand("drctl", ["aws", "status"]) }
        var arguments = [
            "aws", "status", "--global-cluster", config.globalCluster, "--control-region",
            config.controlRegion.rawValue,
        ]
        for region in deployment.regions {
            if let group = config.regions[region.name]?.endpointGroupARN {
                arguments += ["--endpoint-group", "\(region.name)=\(group)"]
            }
        }
        return ShellCommand("drctl", arguments)
    }
}
