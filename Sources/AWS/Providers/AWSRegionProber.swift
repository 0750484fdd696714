import AsyncHTTPClient
import Failover
import Foundation
import Logging

/// Probes the regions of the AWS deployment from one control-plane replica: each region's portals through its load
/// balancer (`GET <portal-url>/health/ready`, bounded by the probe timeout, latency measured), and each region's
/// database role from Aurora's API.
///
/// The replica cannot reach the databases themselves (no credentials, no security-group path), so an observation
/// says `databaseProbed: false`: the portal's answer alone decides the region's condition (a 503 is an answer: the
/// portal lives, its database does not). The database field carries Aurora's view (writer → primary, the others
/// standbys, no LSNs), read once for every region and at most every `refreshInterval`, so probes every few hundred
/// milliseconds from every replica do not become as many RDS calls; a view older than three intervals is not used.
public actor AWSRegionProber: RegionProber {
    /// Where one region's readiness is asked, and the client that asks it.
    struct Portal {
        var readinessURL: String
        var client: HTTPClient
    }

    let portals: [RegionName: Portal]
    let clients: [HTTPClient]
    let timeout: Duration
    let refreshInterval: Duration
    let readDatabases: @Sendable () async throws -> [RegionName: DatabaseProbe]
    let now: @Sendable () -> ContinuousClock.Instant
    let logger: Logger
    var view: (databases: [RegionName: DatabaseProbe], sentAt: ContinuousClock.Instant)?
    var refresh: Task<Void, Never>?
    var lastReadFailed = false

    /// A prober of `portalURLs` (region → base URL); with `tlsName`, every request names that host (TLS server
    /// name, certificate check and `Host`) while it connects to the URL's host: the load balancers' certificates
    /// carry the service's name, not their own DNS names. `databases` reads Aurora's view of every region; `now`
    /// is the clock the view's age is measured on.
    public init(
        portalURLs: [RegionName: String], tlsName: String? = nil, timeout: Duration,
        refreshInterval: Duration = .seconds(2),
        databases: @escaping @Sendable () async throws -> [RegionName: DatabaseProbe],
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }, logger: Logger
    ) {
        var portals: [RegionName: Portal] = [:]
        var clients: [HTTPClient] = []
        for (region, url) in portalURLs.sorted(by: { $0.key < $1.key }) {
            var configuration = HTTPClient.Configuration.singletonConfiguration
            // As for the control plane's other calls: a refused connection is an answer now, not a retry.
            configuration.connectionPool.retryConnectionEstablishment = false
            var readiness = Self.trimmed(url) + "/health/ready"
            if let tlsName, var components = URLComponents(string: readiness), let host = components.host {
                configuration.dnsOverride = [tlsName: host]
                components.host = tlsName
                readiness = components.string ?? readiness
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients.append(client)
            portals[region] = Portal(readinessURL: readiness, client: client)
        }
        self.portals = portals
        self.clients = clients
        self.timeout = timeout
        self.refreshInterval = refreshInterval
        self.readDatabases = databases
        self.now = now
        self.logger = logger
    }

    /// A prober whose database roles come from `replication` (`DescribeGlobalClusters`, CloudWatch lag).
    public init(
        portalURLs: [RegionName: String], tlsName: String? = nil, timeout: Duration,
        refreshInterval: Duration = .seconds(2), replication: AuroraGlobalReplication, logger: Logger
    ) {
        self.init(
            portalURLs: portalURLs, tlsName: tlsName, timeout: timeout, refreshInterval: refreshInterval,
            databases: { try await replication.databases() }, logger: logger)
    }

    static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    public func probe(_ region: RegionName, vantage: String) async -> ProbeObservation {
        guard let portal = portals[region] else {
            return ProbeObservation(
                region: region, vantage: vantage, portalReady: nil, portalAnswered: nil, database: nil,
                databaseProbed: false, latencyMilliseconds: 0)
        }
        async let readiness = Self.readiness(portal, timeout: timeout)
        let database = await currentDatabases()?[region]
        let (ready, answered, latency) = await readiness
        return ProbeObservation(
            region: region, vantage: vantage, portalReady: ready, portalAnswered: answered, database: database,
            databaseProbed: false, latencyMilliseconds: Double(latency.wholeMilliseconds))
    }

    public func close() async {
        refresh?.cancel()
        for client in clients { try? await client.shutdown() }
    }

    struct ProbeTimeout: Error {}

    /// One readiness request: whether it answered 200, whether it answered at all, and how long it took.
    static func readiness(_ portal: Portal, timeout: Duration) async -> (Bool, Bool, Duration) {
        let started = ContinuousClock.now
        let request = HTTPClientRequest(url: portal.readinessURL)
        let status = try? await withDeadline(timeout, orThrow: { ProbeTimeout() }) {
            let response = try await portal.client.execute(request, timeout: .milliseconds(timeout.wholeMilliseconds))
            _ = try await response.body.collect(upTo: 64 * 1024)
            return response.status.code
        }
        return (status == 200, status != nil, started.duration(to: .now))
    }

    /// Aurora's view, read again when it is older than the refresh interval (one read at a time, shared by every
    /// probe, waited for at most the probe timeout); nil when no read younger than three intervals succeeded.
    func currentDatabases() async -> [RegionName: DatabaseProbe]? {
        if let view, view.sentAt.duration(to: now()) < refreshInterval { return view.databases }
        let running = refresh ?? startRefresh()
        _ = try? await withDeadline(timeout, orThrow: { ProbeTimeout() }) { await running.value }
        guard let view, view.sentAt.duration(to: now()) <= refreshInterval * 3 else { return nil }
        return view.databases
    }

    func startRefresh() -> Task<Void, Never> {
        let read = readDatabases
        let sentAt = now()
        let task = Task {
            do {
                self.finishRefresh(.success(try await read()), sentAt: sentAt)
            } catch {
                self.finishRefresh(.failure(error), sentAt: sentAt)
            }
        }
        refresh = task
        return task
    }

    func finishRefresh(_ result: Result<[RegionName: DatabaseProbe], any Error>, sentAt: ContinuousClock.Instant) {
        refresh = nil
        switch result {
        case .success(let databases):
            view = (databases, sentAt)
            lastReadFailed = false
        case .failure(let error):
            // Once per outage at warning: a failing read is retried every probe interval.
            let level: Logger.Level = lastReadFailed ? .debug : .warning
            logger.log(level: level, "cannot read Aurora's roles", metadata: ["error": "\(error)"])
            lastReadFailed = true
        }
    }
}
