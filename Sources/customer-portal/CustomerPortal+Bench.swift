import Accounts
import ArgumentParser
import Foundation
import NIOPosix

extension CustomerPortal {
    /// The raw bcrypt hash rate of this machine at a cost, with the service's own hasher: the ceiling for
    /// login and sign-up throughput, since each costs one bcrypt.
    struct BcryptRate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bcrypt-rate", abstract: "Measure the bcrypt hash rate (the ceiling of logins per second).")
        @Option(help: "bcrypt cost factor.") var cost: Int = 12
        @Option(help: "How long to measure, in seconds.") var seconds: Double = 10
        @Option(help: "Hashes in flight at once (default: one per core).") var parallel: Int =
            ProcessInfo.processInfo.activeProcessorCount

        func validate() throws {
            guard (4...31).contains(cost) else { throw ValidationError("--cost must be 4–31, got \(cost)") }
            guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be 0–600, got \(seconds)") }
            guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be 1–64, got \(parallel)") }
        }

        func run() async throws {
            let hasher = PasswordHasher(cost: UInt8(cost))
            let start = ContinuousClock.now
            let end = start + .milliseconds(Int64(seconds * 1000))
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<parallel {
                    group.addTask {
                        var count = 0
                        while ContinuousClock.now < end {
                            _ = try await hasher.hash("benchmark passphrase \(count)")
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let elapsed = ContinuousClock.now - start
            let total = counts.reduce(0, +)
            let rate =
                Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            print(
                String(
                    format: "bcrypt cost %d: %d hashes in %.1f s with %d in flight: %.1f hashes/s", cost, total,
                    Double(elapsed.components.seconds), parallel, rate))
        }
    }
}
