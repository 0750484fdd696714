import Accounts
import Etcd
import Failover
import Foundation
import LocalPostgres
import Logging

extension LabDeployment {
    /// Brings the lab up and returns once every part is healthy. When a lab already runs in the folder, returns
    /// its state untouched (`alreadyRunning` true).
    public func up(_ configuration: LabConfiguration) async throws -> (state: LabState, alreadyRunning: Bool) {
        try configuration.validate()
        if let existing = try LabState.load(from: directory) {
            if existing.processes.contains(where: DetachedProcess.isRunning) { return (existing, true) }
            throw LabError(
                .invalidConfiguration,
                "\(directory) holds a stopped lab; remove it with drctl lab down --purge, or pick another --dir")
        }
        let portal = try Self.executable(configuration.portalExecutable, named: "customer-portal")
        let control = try Self.executable(configuration.controlExecutable, named: "drctl")
        let etcd = try EtcdMemberConfiguration.executable()
        try FileManager.default.createDirectory(atPath: path("logs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path("postgres"), withIntermediateDirectories: true)
        // The database folders must be reachable for the unprivileged postgres user.
        chmod(directory, 0o755)
        chmod(path("postgres"), 0o755)

        // Ports first: the WAN routes lead to them before anything listens.
        let pickPort: () throws -> Int = { try LabPorts.pick() }
        var postgresPorts: [RegionName: Int] = [:]
        var portalPorts: [RegionName: [Int]] = [:]
        // The portals' internal listeners: only the lab's own checks and Prometheus reach them, not through the WAN.
        var internalPorts: [RegionName: [Int]] = [:]
        var etcdPorts: [RegionName: WANPlan.EtcdPorts] = [:]
        var controllerPorts: [RegionName: Int] = [:]
        for region in configuration.regions {
            controllerPorts[region] = try pickPort()
            postgresPorts[region] = try pickPort()
            portalPorts[region] = try (0..<configuration.portalsPerRegion).map { _ in try pickPort() }
            internalPorts[region] = try (0..<configuration.portalsPerRegion).map { _ in try pickPort() }
            etcdPorts[region] = WANPlan.EtcdPorts(client: try pickPort(), peer: try pickPort())
        }
        let (plan, routes) = try WANPlan.make(
            regions: configuration.regions, primary: configuration.primary, postgresPorts: postgresPorts,
            portalPorts: portalPorts, controllerPorts: controllerPorts, etcdPorts: etcdPorts,
            latencyScale: configuration.latencyScale, pickPort: pickPort)

        let keyFile = path("signing-keys.json")
        try SigningKeySet(keys: [.generate()]).encoded().write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)

        var state = LabState(
            directory: directory, createdAt: Date(), durability: configuration.durability,
            primary: configuration.primary, latencyScale: configuration.latencyScale, keyFile: keyFile,
            wan: .init(adminPort: plan.adminPort, process: nil),
            edge: .init(
                port: try pickPort(), adminPort: try pickPort(), adminToken: OpaqueToken.generate().rawValue,
                locationPorts: try Dictionary(uniqueKeysWithValues: ["us", "eu", "ap"].map { ($0, try pickPort()) }),
                process: nil),
            regions: configuration.regions.map { region in
                let ports = routes[region]!
                return LabState.Region(
                    name: region,
                    postgres: .init(
                        port: postgresPorts[region]!, dataDirectory: path("postgres/\(region)"), process: nil),
                    portals: zip(portalPorts[region]!, internalPorts[region]!).map {
                        LabState.Portal(port: $0, internalPort: $1, process: nil)
                    },
                    writerPort: ports.writer, databaseRoutes: ports.databases, ingressPorts: ports.ingress,
                    controlDatabasePort: ports.controlDatabase, probePorts: ports.probes,
                    controller: .init(
                        port: controllerPorts[region]!, routes: ports.controllers,
                        directory: path("controller/\(region)"), process: nil),
                    etcd: LabState.EtcdMember(
                        clientPort: etcdPorts[region]!.client, peerPort: etcdPorts[region]!.peer,
                        peerRoutePort: ports.etcdPeer!, clientRoutes: ports.etcdClients,
                        dataDirectory: path("etcd/\(region)"), process: nil))
            }, controlToken: OpaqueToken.generate().rawValue,
            leaseSigningKey: LeaseSignature.newPrivateKey())
        try state.save()

        do {
            try await startWAN(plan: plan, control: control, state: &state, timeout: configuration.startTimeout)
            try await startEtcd(executable: etcd, state: &state, timeout: configuration.startTimeout)
            try await startDatabases(configuration, state: &state)
            try await startPortals(configuration, executable: portal, state: &state)
            try await startEdge(control: control, state: &state, timeout: configuration.startTimeout)
            try await startControl(configuration, control: control, state: &state)
        } catch {
            logger.error("lab start failed; stopping what was started", metadata: ["error": "\(error)"])
            try? await down(purge: false)
            throw error
        }
        return (state, false)
    }

    private func startWAN(plan: WANPlan, control: String, state: inout LabState, timeout: Duration) async throws {
        let planFile = path("wan.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(plan).write(to: URL(fileURLWithPath: planFile))
        state.wan.process = try DetachedProcess.start(
            control, ["lab", "wan", "--plan", planFile], logFile: path("logs/wan.log"))
        try state.save()
        try await Self.waitForHTTP(
            "\(state.wan.url)/health", timeout: timeout, what: "the WAN emulator", process: state.wan.process)
    }

    /// The portal's database on every region's server (the epoch row lives there).
    static let portalDatabase = "portal"

    private func startDatabases(_ configuration: LabConfiguration, state: inout LabState) async throws {
        let primaryRegion = try state.region(configuration.primary)
        let primary = PostgresCluster(
            configuration: Self.clusterConfiguration(for: primaryRegion), logger: logger)
        try await primary.initialize()
        try await primary.start()
        try record(postgres: primary, of: primaryRegion.name, in: &state)
        _ = try await primary.psql("CREATE DATABASE \(Self.portalDatabase)")
        try await Self.applyDurability(configuration.durability, standbys: configuration.standbys, port: primary.port)

        for standbyName in configuration.standbys {
            let region = try state.region(standbyName)
            var standbyConfiguration = Self.clusterConfiguration(for: region)
            standbyConfiguration.settings["hot_standby_feedback"] = "on"
            let standby = try await PostgresCluster.makeBaseBackup(
                from: primary, into: standbyConfiguration, slot: Self.slotName(standbyName), logger: logger)
            // Stream through the WAN: the primary is reached by this region's route to it, under this region's
            // name (which synchronous_standby_names lists). Appended last, so it wins over what -R wrote.
            try Self.appendSettings(
                [
                    "primary_conninfo":
                        "host=127.0.0.1 port=\(region.databaseRoutes[configuration.primary.rawValue]!) user=postgres "
                        + "application_name=\(standbyName) connect_timeout=2",
                    "primary_slot_name": Self.slotName(standbyName),
                ], to: standbyConfiguration.dataDirectory)
            try await standby.start()
            try record(postgres: standby, of: standbyName, in: &state)
        }
        try await waitForStreaming(
            standbys: configuration.standbys, primaryPort: primary.port,
            timeout: configuration.startTimeout)
    }

    private func startPortals(_ configuration: LabConfiguration, executable: String, state: inout LabState) async throws
    {
        // The primary's region first: its portals apply the migrations.
        let order = [configuration.primary] + configuration.standbys
        for name in order {
            let region = try state.region(name)
            for (index, portal) in region.portals.enumerated() {
                let record = try DetachedProcess.start(
                    executable,
                    [
                        "serve", "--region", name.rawValue, "--host", "127.0.0.1", "--port", String(portal.port),
                        "--internal-port", String(portal.internalPort ?? 0),
                        "--database-url",
                        "postgres://postgres@127.0.0.1:\(region.postgres.port)/\(Self.portalDatabase)",
                        "--writer-database-url",
                        "postgres://postgres@127.0.0.1:\(region.writerPort)/\(Self.portalDatabase)",
                        "--key-file", state.keyFile, "--bcrypt-cost", String(configuration.bcryptCost),
                        "--development-mailbox",
                    ],
                    environment: [
                        "PORTAL_CRITICAL_WRITES_REMOTE_APPLY": "true",
                        // Its own region's replica first (no WAN crossing), then the others through the WAN.
                        "PORTAL_WRITE_LEASE_URL": state.leaseURLs(for: name).joined(separator: ","),
                        "PORTAL_WRITE_LEASE_TOKEN": state.controlToken,
                        "PORTAL_WRITE_LEASE_PUBLIC_KEY": try Self.leasePublicKey(state),
                        // The edge reaches the portals through the WAN emulator, whose links connect from
                        // 127.0.0.1; clients reach the edge from any other loopback address (127.0.0.2, …).
                        "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32",
                    ].merging(
                        configuration.portalSettings.map {
                            ("PORTAL_" + $0.key.uppercased().replacingOccurrences(of: "-", with: "_"), $0.value)
                        }, uniquingKeysWith: { $1 }),
                    logFile: path("logs/portal-\(name)-\(index).log"))
                state.regions[state.regions.firstIndex { $0.name == name }!].portals[index].process = record
                try state.save()
            }
            for portal in try state.region(name).portals {
                try await Self.waitForHTTP(
                    "\(portal.url)/health/ready", timeout: configuration.startTimeout, what: "the portal of \(name)",
                    process: portal.process)
            }
        }
    }

    /// Starts the edge in front of every region's portals, reached through the WAN (`outside` → region), so
    /// that a partitioned region is cut off from the edge too.
    private func startEdge(control: String, state: inout LabState, timeout: Duration) async throws {
        guard let edge = state.edge else { return }
        let configuration = LabEdgeConfiguration(
            port: edge.port, adminPort: edge.adminPort, adminToken: edge.adminToken, primaryRegion: state.primary,
            locationPorts: edge.locationPorts,
            regions: state.regions.map { region in
                (region.name, region.ingressPorts.map { "http://127.0.0.1:\($0)" })
            })
        let file = path("edge.json")
        try configuration.encoded().write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        state.edge?.process = try DetachedProcess.start(
            control, ["edge", "--config", file], logFile: path("logs/edge.log"))
        try state.save()
        try await Self.waitForHTTP(
            "\(edge.url)/health/ready", timeout: timeout, what: "the edge", process: state.edge?.process)
    }

    /// Starts every region's control-plane replica, and returns once one leads and the primary's portals hold
    /// their write lease.
    private func startControl(_ configuration: LabConfiguration, control: String, state: inout LabState) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration.controllerSettings).write(
            to: URL(fileURLWithPath: path(Self.controllerSettingsFile)))
        for region in state.regions {
            try await startReplica(region.name, control: control, state: &state, timeout: configuration.startTimeout)
        }
        // Every region healthy in the leader's eyes, with a vote from every vantage point (so that each one has
        // learnt its usual latency before anyone injects a fault): the edge and every other region's replica. And the
        // lead settled outside the primary's region (its replica hands it over), so no test starts mid-election.
        let vantagePoints = state.regions.count
        let primaryName = state.primary.rawValue
        let settled = state.regions.count == 1
        try await Self.waitForHTTP(
            "\(state.controllerURLs[0])/v1/status", timeout: configuration.startTimeout,
            what: "a leader, and every region healthy by its quorum", token: state.controlToken
        ) { body in
            guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let regions = json["regions"] as? [[String: Any]], settled || json["leader"] as? String != primaryName
            else { return false }
            return regions.allSatisfy { region in
                region["condition"] as? String == "healthy"
                    && ((region["votes"] as? [String: String])?.values.filter { $0 == "healthy" }.count ?? 0)
                        >= vantagePoints
            }
        }
        let primary = try state.region(state.primary)
        for portal in primary.portals {
            try await Self.waitForHTTP(
                "\(portal.internalURL)/health/lease", timeout: configuration.startTimeout,
                what: "the write lease of \(primary.name)"
            ) { body in body.contains("\"held\"") }
        }
    }

    /// The public half of the lab's lease-signing key, base64.
    static func leasePublicKey(_ state: LabState) throws -> String {
        guard let key = LeaseSignature.publicKey(ofPrivate: state.leaseSigningKey) else {
            throw LabError(.stateUnreadable, "lab.json holds no valid lease-signing key")
        }
        return key
    }

    static let controllerSettingsFile = "controller-settings.json"

    /// The controller settings `up` saved for the replicas (the defaults when there are none).
    public func controllerSettings() throws -> ControllerSettings {
        guard let data = FileManager.default.contents(atPath: path(Self.controllerSettingsFile)) else {
            return ControllerSettings()
        }
        return try JSONDecoder().decode(ControllerSettings.self, from: data)
    }

    /// Starts `region`'s control-plane replica (again, after it was stopped or killed) and waits until it answers.
    public func startReplica(
        _ region: RegionName, control: String? = nil, state: inout LabState, timeout: Duration = .seconds(60)
    ) async throws {
        let executable = try control ?? Self.executable(nil, named: "drctl")
        guard let index = state.regions.firstIndex(where: { $0.name == region }),
            let replica = state.regions[index].controller
        else { throw LabError(.unknownRegion, "no control-plane replica in \(region)") }
        let record = try DetachedProcess.start(
            executable, ["controller", "--dir", directory, "--region", region.rawValue],
            logFile: path("logs/controller-\(region).log"))
        state.regions[index].controller?.process = record
        try LabState.update(in: directory) { $0.regions[index].controller?.process = record }
        try await Self.waitForHTTP(
            "\(replica.url)/health", timeout: timeout, what: "the control-plane replica of \(region)",
            process: record)
    }

    private func record(postgres cluster: PostgresCluster, of name: RegionName, in state: inout LabState) throws {
        guard let pid = cluster.pid else { throw LabError(.startFailed, "PostgreSQL of \(name) has no pid") }
        let index = state.regions.firstIndex { $0.name == name }!
        state.regions[index].postgres.process = LabState.ProcessRecord(
            pid: pid, executable: "postgres", logFile: cluster.configuration.resolvedLogFile)
        try state.save()
    }

    /// Waits until the primary streams to every standby.
    private func waitForStreaming(standbys: [RegionName], primaryPort: Int, timeout: Duration) async throws {
        guard !standbys.isEmpty else { return }
        let deadline = ContinuousClock.now + timeout
        while true {
            let streaming = try await PostgresTools.psql(
                "SELECT string_agg(application_name, ',') FROM pg_stat_replication WHERE state = 'streaming'",
                port: primaryPort)
            let names = Set(streaming.split(separator: ",").map(String.init))
            if standbys.allSatisfy({ names.contains($0.rawValue) }) { return }
            guard ContinuousClock.now < deadline else {
                throw LabError(.startFailed, "standbys not streaming within \(timeout): streaming are [\(streaming)]")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Sets the primary's durability at run time (`ALTER SYSTEM` and a reload).
    static func applyDurability(_ durability: Durability, standbys: [RegionName], port: Int) async throws {
        let (names, commit) = durability.primarySettings(standbys: standbys)
        _ = try await PostgresTools.psql(
            "ALTER SYSTEM SET synchronous_standby_names = '\(names.replacingOccurrences(of: "'", with: "''"))'",
            port: port)
        _ = try await PostgresTools.psql("ALTER SYSTEM SET synchronous_commit = '\(commit)'", port: port)
        _ = try await PostgresTools.psql("SELECT pg_reload_conf()", port: port)
    }

    static func clusterConfiguration(for region: LabState.Region) -> PostgresClusterConfiguration {
        var configuration = PostgresClusterConfiguration(dataDirectory: region.postgres.dataDirectory)
        configuration.port = region.postgres.port
        configuration.clusterName = region.name.rawValue
        configuration.stopWhenParentExits = false
        configuration.settings["max_wal_senders"] = "16"
        configuration.settings["max_replication_slots"] = "16"
        configuration.settings["wal_keep_size"] = "256MB"
        configuration.settings["wal_sender_timeout"] = "10s"
        configuration.settings["wal_receiver_timeout"] = "10s"
        configuration.settings["max_connections"] = "200"
        configuration.settings["wal_retrieve_retry_interval"] = "100ms"
        configuration.settings["hot_standby_feedback"] = "on"
        return configuration
    }

    static func slotName(_ region: RegionName) -> String {
        "standby_" + region.rawValue.replacingOccurrences(of: "-", with: "_")
    }

    /// Appends `key = 'value'` lines to `postgresql.auto.conf` (the last occurrence of a setting wins).
    static func appendSettings(_ settings: [String: String], to dataDirectory: String) throws {
        let file = (dataDirectory as NSString).appendingPathComponent("postgresql.auto.conf")
        guard let handle = FileHandle(forWritingAtPath: file) else {
            throw LabError(.startFailed, "cannot write \(file)")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        let lines = settings.sorted { $0.key < $1.key }.map { key, value in
            "\(key) = '\(value.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        handle.write(Data(lines.joined().utf8))
    }

    /// `configured`, or the executable `name` next to the running program.
    static func executable(_ configured: String?, named name: String) throws(LabError) -> String {
        let candidate =
            configured
            ?? (URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent(name).path)
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw LabError(
                .executableNotFound, "no executable \(name) at \(candidate): build it (swift build) or pass its path")
        }
        return candidate
    }
}
