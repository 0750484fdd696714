import AsyncHTTPClient
import Crypto
import Failover
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The portal's write lease (DESIGN.md invariant 1): whether this portal may write now, from the controller's
/// last answer. Without a controller URL every write is allowed (a single-region deployment).
public final class WriteLease: Sendable {
    private let holder = Mutex(WriteLeaseHolder<ContinuousClock.Instant>())
    /// Whether a controller decides; false means writes are always allowed.
    public let required: Bool

    public init(required: Bool) { self.required = required }

    /// Whether a write may start or commit now, and the epoch it is bound to.
    public func permission() -> WritePermission {
        guard required else { return .open(epoch: nil) }
        let now = ContinuousClock.now
        return holder.withLock { $0.permission(at: now) }
    }

    func record(_ answer: LeaseAnswer, sentAt: ContinuousClock.Instant) {
        holder.withLock { $0.record(answer, requestSentAt: sentAt) }
    }

    /// What `/health/region` shows.
    public struct Report: Encodable, Sendable {
        /// `not-required`, `unknown` (no answer yet), `held`, `standby` or `fenced`.
        public var state: String
        public var writes: String
        public var primary: String?
        public var epoch: Int?
        public var remainingMilliseconds: Int64?
        public var reason: String?
    }

    public var report: Report {
        guard required else {
            return Report(state: "not-required", writes: "allowed")
        }
        let now = ContinuousClock.now
        return holder.withLock { holder in
            let state = holder.state(at: now)
            return Report(
                state: state.rawValue, writes: holder.mayWrite(at: now) ? "allowed" : "fenced",
                primary: holder.lastAnswer?.primary.rawValue, epoch: holder.lastAnswer?.epoch,
                remainingMilliseconds: holder.remaining(at: now)?.wholeMilliseconds,
                reason: holder.lastAnswer?.reason)
        }
    }
}

/// Asks the control plane for the lease every third of its duration (every 200 ms until a first answer). The
/// lease runs from the moment a request was sent, so a slow answer only shortens it. The replicas are asked in
/// order every time (its own region's first, which needs no WAN crossing): a dead or cut-off replica costs one
/// timeout, not the lease.
struct WriteLeaseKeeper: Service {
    let lease: WriteLease
    let controllerURLs: [String]
    let token: String
    /// When set, an answer counts only with a valid signature for this request's nonce.
    let publicKey: Curve25519.Signing.PublicKey?
    /// The longest lease accepted, whatever the answer says.
    let maximum: Duration
    let region: String
    let logger: Logger

    func run() async throws {
        var lastDecision: LeaseAnswer.Decision?
        // Ends on graceful shutdown too: the lease it holds stays valid for its remaining time, which covers the
        // requests still draining.
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                var pause = Duration.milliseconds(200)
                let sentAt = ContinuousClock.now
                var answered: LeaseAnswer?
                for url in controllerURLs {
                    do {
                        answered = try await requestLease(from: url)
                        break
                    } catch {
                        logger.debug(
                            "write lease request failed", metadata: ["replica": "\(url)", "error": "\(error)"])
                    }
                }
                if let answer = answered {
                    lease.record(answer, sentAt: sentAt)
                    // Only a holder renews at a third of its lease. A fenced or standby portal asks again soon:
                    // after a failover or a switchover its region may be the primary (a standby that waited a third
                    // of the lease took a second longer to write again after a failover).
                    if answer.decision == .granted {
                        pause = .milliseconds(max(50, answer.durationMilliseconds / 3))
                    }
                    if answer.decision != lastDecision {
                        logger.info(
                            "write lease answer changed",
                            metadata: [
                                "decision": "\(answer.decision.rawValue)", "primary": "\(answer.primary)",
                                "epoch": "\(answer.epoch)",
                            ])
                        lastDecision = answer.decision
                    }
                }
                let elapsed = sentAt.duration(to: .now)
                if elapsed < pause { try? await Task.sleep(for: pause - elapsed) }
            }
        } onGracefulShutdown: {
        }
    }

    private func requestLease(from controllerURL: String) async throws -> LeaseAnswer {
        var request = HTTPClientRequest(url: controllerURL + "/v1/lease")
        request.method = .POST
        if !token.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Content-Type", value: "application/json")
        let nonce = LeaseSignature.nonce()
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(["region": region, "nonce": nonce])))
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(700))
        let body = try await response.body.collect(upTo: 64 * 1024)
        guard response.status == .ok else { throw LeaseRequestFailed() }
        var answer = try JSONDecoder().decode(LeaseAnswer.self, from: Data(buffer: body))
        if let publicKey, !LeaseSignature.verify(answer, region: RegionName(region), nonce: nonce, key: publicKey) {
            logger.warning(
                "a lease answer without a valid signature was ignored", metadata: ["replica": "\(controllerURL)"])
            throw LeaseRequestFailed()
        }
        answer.durationMilliseconds = min(answer.durationMilliseconds, maximum.wholeMilliseconds)
        return answer
    }
}

struct LeaseRequestFailed: Error {}
