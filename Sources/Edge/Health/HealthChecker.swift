import AsyncHTTPClient
import Logging
import NIOCore
import ServiceLifecycle

/// Probes every endpoint (`GET healthCheck.path`) at the configured interval and feeds the results to the
/// endpoints' detectors; a 2xx within the timeout is a success, anything else a failure.
struct HealthChecker: Service {
    let state: EdgeState
    let configuration: EdgeConfiguration.HealthCheck
    let client: HTTPClient
    let metrics: EdgeMetrics
    let logger: Logger

    func run() async throws {
        let groups = state.snapshot
        for group in groups {
            metrics.recordRegionHealth(region: group.region.rawValue, healthy: group.isHealthy)
            metrics.recordDial(region: group.region.rawValue, dial: group.dial)
        }
        await withDiscardingTaskGroup { tasks in
            for (regionIndex, group) in groups.enumerated() {
                for (endpointIndex, member) in group.members.enumerated() {
                    tasks.addTask {
                        await probeForever(
                            url: member.url, region: group.region.rawValue, regionIndex: regionIndex,
                            endpointIndex: endpointIndex)
                    }
                }
            }
        }
    }

    private func probeForever(url: String, region: String, regionIndex: Int, endpointIndex: Int) async {
        metrics.recordEndpointHealth(region: region, endpoint: endpointIndex, healthy: true)
        let clock = ContinuousClock()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = clock.now
                let event = await probe(url + configuration.path, at: clock)
                let result = state.record(event, region: regionIndex, endpoint: endpointIndex)
                if let transition = result.transition {
                    report(transition, region: region, endpoint: endpointIndex, url: url)
                    metrics.recordRegionHealth(region: region, healthy: result.regionHealthy)
                }
                try? await clock.sleep(until: started.advanced(by: configuration.interval))
            }
        }
    }

    private func probe(
        _ url: String, at clock: ContinuousClock
    ) async -> EndpointHealthDetector<ContinuousClock.Instant>.Event {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "drctl-edge-health-check")
        do {
            let response = try await client.execute(
                request, timeout: .milliseconds(Int64(configuration.timeoutMilliseconds)))
            // Drain the small body so the keep-alive connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                return .probeFailed(reason: "status \(response.status.code)", at: clock.now)
            }
            return .probeSucceeded(at: clock.now)
        } catch {
            return .probeFailed(reason: ProxyFailure(error).reason, at: clock.now)
        }
    }

    private func report(
        _ transition: EndpointHealthDetector<ContinuousClock.Instant>.Transition, region: String, endpoint: Int,
        url: String
    ) {
        var metadata: Logger.Metadata = [
            EdgeMetadataKey.region: "\(region)", EdgeMetadataKey.endpoint: "\(url)",
        ]
        switch transition {
        case .becameUnhealthy(_, let reason):
            metadata[EdgeMetadataKey.reason] = "\(reason)"
            metrics.recordEndpointHealth(region: region, endpoint: endpoint, healthy: false)
            logger.warning("endpoint became unhealthy", metadata: metadata)
        case .becameHealthy:
            metrics.recordEndpointHealth(region: region, endpoint: endpoint, healthy: true)
            logger.notice("endpoint became healthy", metadata: metadata)
        }
    }
}
