import Accounts
import AccountsPostgres
import Foundation
import Logging
import ServiceLifecycle

/// Empties the outbox into the mail spool, and purges what nothing delivered once every token in it has expired
/// (a day: e-mail tokens live 24 hours, reset tokens 30 minutes). Every portal runs it; a fenced one (no write
/// lease) waits for its next turn. Ends on graceful shutdown.
struct OutboxDelivery: Service {
    let store: PostgresAccountStore
    let spool: MailSpool?
    /// How often the outbox is looked at when there is a spool.
    var interval: Duration = .seconds(1)
    var purgeInterval: Duration = .seconds(60)
    var purgeAge: Duration = .seconds(24 * 3600)
    let logger: Logger

    func run() async throws {
        var lastPurge: ContinuousClock.Instant? = nil
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let spool { await deliver(into: spool) }
            if lastPurge.map({ ContinuousClock.now - $0 >= purgeInterval }) ?? true {
                lastPurge = ContinuousClock.now
                do {
                    let purged = try await store.purgeOutbox(olderThan: purgeAge, now: Date())
                    if purged > 0 { logger.notice("outbox purged", metadata: ["messages": "\(purged)"]) }
                } catch {
                    logger.debug("outbox purge skipped", metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: spool == nil ? purgeInterval : interval) }
        }
    }

    /// Delivers batches until the outbox is empty (or a batch fails).
    func deliver(into spool: MailSpool) async {
        while !Task.isCancelled {
            do {
                let count = try await store.deliverOutbox { message in try spool.deliver(message) }
                if count > 0 { logger.info("mail delivered to the spool", metadata: ["messages": "\(count)"]) }
                if count < 100 { return }
            } catch let error as AccountsError where error.code == .writesUnavailable {
                return  // fenced: another region's portals deliver, or this one once it holds the lease again
            } catch {
                logger.warning("mail delivery failed; retrying", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
