import AWS
import ArgumentParser
import Controller
import Etcd
import Failover
import Foundation
import Logging

/// The flags of `drctl controller` on AWS (as `deploy/aws/modules/region/controller.tf` passes them); the secrets
/// come from the environment only.
struct AWSReplicaOptions: ParsableArguments {
    @Option(
        name: .customLong("etcd-endpoints"),
        help: ArgumentHelp("The etcd members' client URLs, this region's first.", valueName: "url,url,…"))
    var etcdEndpoints: String?

    @Option(
        name: .customLong("peers"),
        help: ArgumentHelp("The other regions' replicas (their load balancers).", valueName: "region=url,…"))
    var peers: String?

    @Option(
        name: .customLong("portal-url"),
        help: ArgumentHelp(
            "A region's portal base URL (its load balancer), probed at /health/ready; one per region.",
            valueName: "region=url"))
    var portalURLs: [String] = []

    @Option(
        name: .customLong("portal-tls-name"),
        help: "The host name the portals' certificates carry: probes connect to each --portal-url but name this host.")
    var portalTLSName: String?

    @Option(name: .customLong("host"), help: "The address the control API listens on (default 127.0.0.1).")
    var host: String?

    @Option(name: .customLong("port"), help: "The control API's port (default 8090).")
    var port: Int?

    @Option(name: .customLong("advertise-url"), help: "This replica's API as the others reach it (its load balancer).")
    var advertiseURL: String?

    @Option(
        name: .customLong("settings"),
        help:
            "Controller settings: a JSON object by setting key, e.g. {\"probe-interval\": \"1s\", \"mode\": \"manual\"}."
    )
    var settingsFile: String?

    @Option(
        name: .customLong("work-dir"),
        help: "The replica's own folder, for its alarm file (default /tmp/drctl-controller).")
    var workDirectory: String?

    @OptionGroup var deployment: AWSDeploymentOptions

    /// The AWS-mode flags given on the command line.
    var givenFlags: [String] {
        [
            ("--etcd-endpoints", etcdEndpoints != nil), ("--peers", peers != nil),
            ("--portal-url", !portalURLs.isEmpty),
            ("--portal-tls-name", portalTLSName != nil), ("--host", host != nil), ("--port", port != nil),
            ("--advertise-url", advertiseURL != nil), ("--settings", settingsFile != nil),
            ("--work-dir", workDirectory != nil),
        ].filter(\.1).map(\.0) + deployment.givenFlags
    }

    /// The replica's configuration from these flags and the environment's secrets, validated: a bad value is a
    /// one-line error naming the flag or variable.
    func configuration(region: RegionName, environment: [String: String]) throws -> AWSReplicaConfiguration {
        var configuration = AWSReplicaConfiguration(region: region)
        configuration.deployment = try deployment.deployment()
        do {
            if let etcdEndpoints { try configuration.setEtcdEndpoints(etcdEndpoints) }
            if let peers { try configuration.setPeers(peers) }
            for entry in portalURLs { try configuration.addPortalURL(entry) }
            if let settingsFile { try configuration.loadSettings(fromFile: settingsFile) }
            configuration.readSecrets(from: environment)
            configuration.portalTLSName = portalTLSName
            configuration.advertiseURL = advertiseURL
            if let host { configuration.host = host }
            if let port { configuration.port = port }
            if let workDirectory { configuration.directory = workDirectory }
            try configuration.validate()
        } catch {
            throw ValidationError(error.message)
        }
        return configuration
    }
}

extension ControllerCommand {
    /// A replica on AWS: Aurora for the roles and the promotion, Global Accelerator for the dials, each region's
    /// load balancer for the probes; the initial primary from etcd's state, else from Aurora's writer.
    func runOnAWS(_ wiring: AWSReplicaConfiguration, page: StatusPageSettings, logger: Logger) async throws {
        let session = try aws.deployment.session(for: wiring.deployment)
        let replication = try AuroraGlobalReplication(configuration: wiring.deployment, session: session)
        let store = ControlStore(
            etcd: try EtcdClient(
                configuration: .init(
                    endpoints: wiring.etcdEndpoints, requestTimeout: .seconds(2), firstEndpointFirst: true)))
        let initial = try await AWSInitialPrimary.resolve(
            regions: wiring.regions, stored: { try await store.state()?.primary },
            aurora: { try await replication.primaryRegion() })
        logger.info(
            "initial primary", metadata: ["primary": "\(initial.region)", "from": "\(initial.source.rawValue)"])
        if wiring.leaseSigningKey.isEmpty {
            logger.warning(
                "DRCTL_LEASE_SIGNING_KEY is not set: lease answers are unsigned (portals with a key refuse them)")
        }
        var configuration = ControllerConfiguration(
            directory: wiring.directory, port: wiring.port, region: wiring.region, regions: wiring.regions,
            initialPrimary: initial.region, settings: wiring.settings, peers: wiring.replicaURLs,
            etcdEndpoints: wiring.etcdEndpoints)
        configuration.host = wiring.host
        configuration.token = wiring.token
        configuration.leaseSigningKey = wiring.leaseSigningKey
        configuration.statusPage = page
        let prober = AWSRegionProber(
            portalURLs: wiring.portalURLs, tlsName: wiring.portalTLSName, timeout: wiring.settings.probeTimeout,
            replication: replication, logger: logger)
        let replica = try ControllerReplica(
            configuration: configuration, prober: prober,
            traffic: AWSTrafficManager(configuration: wiring.deployment, session: session), replication: replication,
            actions: AuroraFailoverActions(replication: replication), logger: logger)
        try await ControllerServer.run(replica, host: wiring.host, port: wiring.port, logger: logger)
    }
}
