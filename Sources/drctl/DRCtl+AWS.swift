import AWS
import ArgumentParser
import Failover
import Foundation

/// `drctl aws …`: reads and drives the AWS deployment (Aurora Global Database and Global Accelerator).
struct AWSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Drive the AWS deployment: Aurora Global Database roles and Global Accelerator traffic dials.",
        discussion: """
            Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or from \
            ~/.aws/credentials and ~/.aws/config (profile AWS_PROFILE). The deployment is given by options or by \
            --config FILE, a JSON object with any of these keys (options win over the file):
              {"globalClusterIdentifier": "portal-global",
               "endpointGroupARNs": {"us-east-1": "arn:aws:globalaccelerator::…/endpoint-group/…", "eu-west-1": "…"},
               "listenerARN": "arn:aws:globalaccelerator::…/listener/…",
               "controlRegion": "us-east-1", "endpointURL": "http://127.0.0.1:5000",
               "replicationLagWindowSeconds": 300}
            """,
        subcommands: [Status.self, FailoverCommand.self, Switchover.self, Traffic.self]
    )
}

/// The options every `drctl aws` subcommand shares: where the deployment is and where to send calls.
struct AWSDeploymentOptions: ParsableArguments {
    @Option(
        name: .customLong("endpoint-url"),
        help: "Send every AWS call to this URL (a local emulator), e.g. http://127.0.0.1:5000.")
    var endpointURL: String?

    @Option(name: .customLong("config"), help: "A JSON file with the deployment's keys (see `drctl aws --help`).")
    var configFile: String?

    @Option(name: .customLong("global-cluster"), help: "The Aurora global cluster identifier.")
    var globalCluster: String?

    @Option(
        name: .customLong("endpoint-group"),
        help: ArgumentHelp(
            "A region's Global Accelerator endpoint group, REGION=ARN; repeat per region.", valueName: "region=arn"))
    var endpointGroups: [String] = []

    @Option(name: .customLong("listener"), help: "A Global Accelerator listener ARN whose endpoint groups are used.")
    var listener: String?

    @Option(
        name: .customLong("control-region"),
        help: "The region whose RDS API manages the global cluster (default us-east-1).")
    var controlRegion: String?

    mutating func validate() throws {
        _ = try deployment()
    }

    /// The file's configuration with the options laid over it, validated; a bad value is a one-line error.
    func deployment() throws -> AWSDeploymentConfiguration {
        var configuration = AWSDeploymentConfiguration()
        if let configFile {
            guard let data = FileManager.default.contents(atPath: configFile) else {
                throw ValidationError("--config '\(configFile)' cannot be read")
            }
            do {
                configuration = try JSONDecoder().decode(AWSDeploymentConfiguration.self, from: data)
            } catch let error as FailoverError {
                throw ValidationError("--config '\(configFile)': \(error.message)")
            } catch {
                throw ValidationError("--config '\(configFile)' is not a JSON object of deployment keys")
            }
        }
        if let endpointURL { configuration.endpointURL = endpointURL }
        if let globalCluster { configuration.globalClusterIdentifier = globalCluster }
        if let listener { configuration.listenerARN = listener }
        if let controlRegion { configuration.controlRegion = controlRegion }
        do {
            for entry in endpointGroups {
                let (region, arn) = try RegionAssignment.parse(entry, option: "--endpoint-group", valueName: "ARN")
                configuration.endpointGroupARNs[region] = arn
            }
            try configuration.validate()
        } catch {
            throw ValidationError(error.message)
        }
        return configuration
    }

    /// The options given on the command line, by flag (to refuse them where they do not apply).
    var givenFlags: [String] {
        [
            ("--endpoint-url", endpointURL != nil), ("--config", configFile != nil),
            ("--global-cluster", globalCluster != nil), ("--endpoint-group", !endpointGroups.isEmpty),
            ("--listener", listener != nil), ("--control-region", controlRegion != nil),
        ].filter(\.1).map(\.0)
    }

    /// Clients configured from the environment's credentials and the deployment's endpoint override.
    func session(for configuration: AWSDeploymentConfiguration) throws -> AWSSession {
        AWSSession(
            configuration: try AWSClientConfiguration.fromEnvironment(
                region: configuration.controlRegion, endpointOverride: configuration.endpointOverride))
    }
}

/// A region given on the command line, checked for the shape of an AWS region name.
struct RegionArgument: ExpressibleByArgument {
    let region: RegionName

    init?(argument: String) {
        let region = RegionName(argument)
        guard region.isWellFormed else { return nil }
        self.region = region
    }
}

extension AWSCommand {
    /// `drctl aws status`: each region's database role and lag, traffic dial and health.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each region's database role and lag, and its traffic dial and health.")

        @OptionGroup var options: AWSDeploymentOptions

        func run() async throws {
            let deployment = try options.deployment()
            let session = try options.session(for: deployment)
            let hasTraffic = !deployment.endpointGroupARNs.isEmpty || deployment.listenerARN != nil
            guard deployment.globalClusterIdentifier != nil || hasTraffic else {
                throw ValidationError(
                    "nothing to show: give --global-cluster, --endpoint-group or --listener (or --config)")
            }
            let replication =
                deployment.globalClusterIdentifier == nil
                ? []
                : try await AuroraGlobalReplication(configuration: deployment, session: session).replicationStatus()
            let traffic =
                hasTraffic
                ? try await AWSTrafficManager(configuration: deployment, session: session).endpointGroups() : []
            for line in AWSDeploymentStatus(replication: replication, traffic: traffic).lines { print(line) }
        }
    }

    /// `drctl aws failover --to REGION --force`: unplanned Aurora failover, accepting the loss of unreplicated writes.
    struct FailoverCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "failover",
            abstract: "Make REGION's Aurora cluster the primary now (FailoverGlobalCluster, AllowDataLoss).",
            discussion: """
                Writes not yet replicated to REGION are lost, so --force is required. While the primary is healthy, \
                use `switchover`, which loses nothing.
                """)

        @OptionGroup var options: AWSDeploymentOptions

        @Option(name: .customLong("to"), help: "The region to promote, e.g. eu-west-1.")
        var target: RegionArgument

        @Flag(help: "Accept the loss of writes not yet replicated to REGION (AllowDataLoss).")
        var force = false

        func validate() throws {
            guard force else {
                throw ValidationError(
                    "--force is required: FailoverGlobalCluster with AllowDataLoss loses the writes not yet replicated "
                        + "to \(target.region); `drctl aws switchover --to \(target.region)` loses none")
            }
        }

        func run() async throws {
            let deployment = try options.deployment()
            let replication = try AuroraGlobalReplication(
                configuration: deployment, session: try options.session(for: deployment))
            try await replication.promote(target.region, allowingDataLoss: true)
            print("failover to \(target.region) requested (FailoverGlobalCluster, data loss allowed)")
        }
    }

    /// `drctl aws switchover --to REGION`: planned, zero-loss Aurora switchover.
    struct Switchover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the Aurora primary to REGION without data loss (SwitchoverGlobalCluster).")

        @OptionGroup var options: AWSDeploymentOptions

        @Option(name: .customLong("to"), help: "The region to make primary, e.g. eu-west-1.")
        var target: RegionArgument

        func run() async throws {
            let deployment = try options.deployment()
            let replication = try AuroraGlobalReplication(
                configuration: deployment, session: try options.session(for: deployment))
            try await replication.switchover(to: target.region)
            print("switchover to \(target.region) requested (SwitchoverGlobalCluster)")
        }
    }

    /// `drctl aws traffic REGION --dial N`: sets a region's Global Accelerator traffic dial.
    struct Traffic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set REGION's Global Accelerator traffic dial to N percent (0 drains the region).")

        @OptionGroup var options: AWSDeploymentOptions

        @Argument(help: "The region whose endpoint group to change, e.g. eu-west-1.")
        var region: RegionArgument

        @Option(help: "The share of the region's traffic to accept, 0 to 100.")
        var dial: Int

        func validate() throws {
            guard TrafficDial(rawValue: dial) != nil else {
                throw ValidationError("--dial '\(dial)' must be within 0...100")
            }
        }

        func run() async throws {
            let deployment = try options.deployment()
            guard let dial = TrafficDial(rawValue: dial) else {
                throw ValidationError("--dial '\(dial)' must be within 0...100")
            }
            try await AWSTrafficManager(configuration: deployment, session: try options.session(for: deployment))
                .setTrafficDial(dial, for: region.region)
            print("\(region.region) traffic dial set to \(dial)")
        }
    }
}
