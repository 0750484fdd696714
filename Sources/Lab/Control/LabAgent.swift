import AsyncHTTPClient
import Failover
import Foundation
import Logging
import NIOCore
import Synchronization

/// A region's probe agent: a vantage point inside `region` that probes every other region through the WAN
/// (their first portal and their database, over this region's routes) and reports to the controller through
/// this region's route to it. When this region is cut off, its reports stop and its vote lapses.
public enum LabAgent {
    public static func run(deployment: LabDeployment, region: RegionName, settings: ControllerSettings, logger: Logger)
        async throws
    {
        let state = try deployment.state()
        let own = try state.region(region)
        var targets: [RegionName: LabProber.Target] = [:]
        for other in state.regions where other.name != region {
            guard let portal = own.probePorts[other.name.rawValue],
                let database = own.databaseRoutes[other.name.rawValue]
            else { continue }
            targets[other.name] = .init(portalURL: "http://127.0.0.1:\(portal)", databasePort: database)
        }
        let prober = LabProber(targets: targets, timeout: settings.probeTimeout, logger: logger)
        let reportURL = "http://127.0.0.1:\(own.controlPort)/v1/reports"
        // Like the controller: a probe per target every interval, without waiting for slow ones (each ends by
        // the probe timeout); each result is reported as soon as it is in.
        let maximumInFlight =
            Int(settings.probeTimeout.wholeMilliseconds / settings.probeInterval.wholeMilliseconds) + 1
        let inFlight = InFlight()
        try await withThrowingDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let started = ContinuousClock.now
                for target in targets.keys where inFlight.begin(target, limit: maximumInFlight) {
                    group.addTask {
                        let observation = await prober.probe(target, vantage: region.rawValue)
                        inFlight.end(target)
                        await deliver(
                            Report(vantage: region.rawValue, observations: [observation]), to: reportURL,
                            timeout: settings.probeTimeout, logger: logger)
                    }
                }
                let elapsed = started.duration(to: .now)
                if elapsed < settings.probeInterval { try await Task.sleep(for: settings.probeInterval - elapsed) }
            }
        }
    }

    struct Report: Encodable {
        var vantage: String
        var observations: [ProbeObservation]
    }

    final class InFlight: Sendable {
        let counts = Mutex<[RegionName: Int]>([:])
        func begin(_ region: RegionName, limit: Int) -> Bool {
            counts.withLock { counts in
                guard counts[region, default: 0] < limit else { return false }
                counts[region, default: 0] += 1
                return true
            }
        }
        func end(_ region: RegionName) { counts.withLock { $0[region, default: 1] -= 1 } }
    }

    static func deliver(_ report: Report, to url: String, timeout: Duration, logger: Logger) async {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        guard let body = try? JSONEncoder().encode(report) else { return }
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await HTTPClient.shared.execute(
                request, timeout: .milliseconds(timeout.wholeMilliseconds))
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            logger.debug("report not delivered", metadata: ["error": "\(error)"])
        }
    }
}
