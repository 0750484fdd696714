import AsyncHTTPClient
import Failover
import Foundation
import Logging
import NIOCore

/// The replica as its region's vantage point: probes every region, gives the results to its leader's controller,
/// or reports them to the leader.
extension ControllerReplica {
    /// Probes every region from this region every interval without waiting for slow probes (each ends by the
    /// probe timeout), so a region that stops answering collects one failure per interval, like a Route 53 health
    /// checker. The leader's controller takes the results; a follower reports them to the leader.
    func probeLoop() async {
        let maximumInFlight =
            Int(settings.probeTimeout.wholeMilliseconds / settings.probeInterval.wholeMilliseconds) + 1
        let vantage = configuration.region.rawValue
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let started = ContinuousClock.now
                // A follower does not probe its own region: its view of it is no vote (the leader takes the
                // region's database from its own replica's probes once that one leads).
                let leading = controller != nil
                for region in configuration.regions
                where (inFlight[region] ?? 0) < maximumInFlight && (leading || region != configuration.region) {
                    inFlight[region, default: 0] += 1
                    group.addTask { [prober] in
                        let observation = await prober.probe(region, vantage: vantage)
                        await self.deliver(observation)
                    }
                }
                let elapsed = started.duration(to: .now)
                if elapsed < settings.probeInterval { try? await Task.sleep(for: settings.probeInterval - elapsed) }
            }
        }
    }

    func deliver(_ observation: ProbeObservation) async {
        inFlight[observation.region, default: 1] -= 1
        let now = ContinuousClock.now
        let freshSince = now - Controller.freshness(settings)
        recentObservations.removeAll { $0.at < freshSince }
        recentObservations.append((now, observation))
        if let controller {
            pendingReport = []
            await controller.consume(observation)
            return
        }
        guard observation.region != configuration.region else { return }
        // One report in flight at a time, carrying every observation made meanwhile: a report crosses the WAN, and
        // one per observation was most of a follower's work (and of the leader's). What a leader did not take goes
        // to the next leader while it is fresh (never again to the same one, which may have taken it after all): a
        // new leader's detectors then start from the failures this vantage point has already seen.
        pendingReport.removeAll { $0.at < freshSince }
        pendingReport.append((now, observation))
        guard !reporting else { return }
        reporting = true
        defer { reporting = false }
        while !pendingReport.isEmpty, let url = leaderURL {
            let fresh = ContinuousClock.now - Controller.freshness(settings)
            let kept = (undeliveredReport?.observations ?? []).filter { $0.at >= fresh }
            let sameLeader = undeliveredReport?.url == url
            let sent = pendingReport
            let answered = leaseAnswered
            pendingReport = []
            leaseAnswered = false
            let report = Report(
                vantage: configuration.region.rawValue,
                observations: ((sameLeader ? [] : kept) + sent).map(\.observation),
                leaseAnswered: answered)
            let delivered = await Self.post(
                report, to: url + "/v1/reports", token: configuration.token, timeout: settings.probeTimeout,
                logger: logger)
            leaderUnreachableSince = delivered ? nil : (leaderUnreachableSince ?? .now)
            if delivered {
                undeliveredReport = nil
                continue
            }
            undeliveredReport = (url, kept + sent)
            leaseAnswered = leaseAnswered || answered
            // The leader does not answer: the next try comes with the next observation, not in a tight loop.
            break
        }
    }

    /// A replica's report to the leader.
    public struct Report: Codable, Sendable {
        public var vantage: String
        public var observations: [ProbeObservation]
        public var leaseAnswered: Bool?
    }

    /// Whether the leader took the report.
    @discardableResult
    static func post(_ report: Report, to url: String, token: String, timeout: Duration, logger: Logger) async
        -> Bool
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        guard let body = try? JSONEncoder().encode(report) else { return false }
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await HTTPClient.failingFast.execute(
                request, timeout: .milliseconds(timeout.wholeMilliseconds))
            _ = try await response.body.collect(upTo: 64 * 1024)
            return response.status == .ok || response.status == .noContent || response.status == .accepted
        } catch {
            logger.debug("report not delivered", metadata: ["error": "\(error)"])
            return false
        }
    }
}
