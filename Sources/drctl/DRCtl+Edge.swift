import ArgumentParser
import Edge
import Failover
import Foundation
import Logging

/// `drctl edge --config FILE`: runs the edge (entry listeners, health checks, admin API) until SIGTERM/SIGINT.
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Run the edge: one entry address, latency-based routing, health checks and traffic dials.",
        discussion: """
            FILE is JSON; only "regions" is required, e.g.
              {"regions": [{"name": "us-east-1", "endpoints": [{"url": "http://127.0.0.1:8081"}]},
                           {"name": "eu-west-1", "dial": 100, "endpoints": [{"url": "http://127.0.0.1:8082", "weight": 128}]}],
               "primaryRegion": "us-east-1", "port": 8000, "adminPort": 8001, "adminToken": "a long random secret"}
            """)

    @Option(name: .customLong("config"), help: "The edge's JSON configuration file.")
    var configFile: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error")
        }
        do {
            _ = try EdgeConfiguration.load(fromFile: configFile)
        } catch {
            throw ValidationError("--config \(error.message)")
        }
    }

    func run() async throws {
        let configuration = try EdgeConfiguration.load(fromFile: configFile)
        var logger = Logger(label: "drctl.edge")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        try await EdgeServer.run(configuration: configuration, logger: logger)
    }
}

/// `drctl traffic [REGION] [--dial N] [--drain]`: reads or sets the edge's traffic dials through its admin API.
struct TrafficCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Show the edge's endpoint groups, or set a region's traffic dial.")

    @Argument(help: "The region to change; without it, print every endpoint group.")
    var region: String?

    @Option(help: "Set the region's traffic dial, 0–100.")
    var dial: Int?

    @Flag(help: "Set the region's traffic dial to 0.")
    var drain = false

    @Option(name: .customLong("admin-url"), help: "The edge's admin API, e.g. http://127.0.0.1:8001.")
    var adminURL: String

    @Option(help: "The admin API's bearer token (default: $DRCTL_EDGE_TOKEN).")
    var token: String?

    func validate() throws {
        guard let url = URL(string: adminURL), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--admin-url '\(adminURL)' is not a URL like http://127.0.0.1:8001")
        }
        if let dial, !(0...100).contains(dial) {
            throw ValidationError("--dial \(dial) is outside 0–100")
        }
        if dial != nil && drain { throw ValidationError("--dial and --drain exclude each other") }
        if region == nil && (dial != nil || drain) {
            throw ValidationError("--dial and --drain need a REGION")
        }
        if let region, !RegionName(region).isWellFormed {
            throw ValidationError("region '\(region)' is not a region name such as eu-west-1")
        }
        if region != nil && dial == nil && !drain {
            throw ValidationError("give --dial N or --drain for region '\(region!)'")
        }
        guard resolvedToken != nil else {
            throw ValidationError("--token is missing (or set DRCTL_EDGE_TOKEN)")
        }
    }

    private var resolvedToken: String? {
        let value = token ?? ProcessInfo.processInfo.environment["DRCTL_EDGE_TOKEN"]
        return value?.isEmpty == false ? value : nil
    }

    func run() async throws {
        let admin = EdgeAdminClient(baseURL: adminURL, token: resolvedToken ?? "")
        // An EdgeError prints as one line that names what went wrong.
        if let region {
            let name = RegionName(region)
            let group =
                drain
                ? try await admin.drain(name) : try await admin.setDial(TrafficDial(rawValue: dial ?? 0)!, for: name)
            print("\(group.region): dial \(group.dial)%, \(group.healthy ? "healthy" : "unhealthy")")
        } else {
            print(try await admin.endpointGroups().table)
        }
    }
}
