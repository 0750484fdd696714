import Accounts
import ArgumentParser
import Foundation
import Hummingbird
import LocalPostgres
import Logging
import PortalServer

extension CustomerPortal {
    /// A first look in one command: a throw-away PostgreSQL, fresh signing keys and the service on them, with
    /// the development mailbox on. The database is removed again on exit (Ctrl-C).
    struct Dev: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the service on a throw-away local PostgreSQL (removed on exit).")
        @Option(help: "Listen port.") var port: Int = 8080
        @Option(help: "The internal listener's port (/metrics, /health/region, /health/lease); 0: any free port.")
        var internalPort: Int = 0
        @Option(help: "bcrypt cost factor (lower is faster, for a first look only).") var bcryptCost: Int = 10

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535, got \(port)") }
            guard (0...65535).contains(internalPort), internalPort != port else {
                throw ValidationError("--internal-port must be 0–65535 and not --port, got \(internalPort)")
            }
            guard (4...31).contains(bcryptCost) else {
                throw ValidationError("--bcrypt-cost must be 4–31, got \(bcryptCost)")
            }
        }

        func run() async throws {
            var logger = Logger(label: "customer-portal.dev")
            logger.logLevel = .info
            try await PostgresCluster.withTemporaryCluster(logger: logger) { cluster in
                var configuration = PortalConfiguration()
                configuration.port = port
                configuration.internalPort = internalPort
                configuration.region = "local"
                configuration.databaseURL = cluster.url
                configuration.signingKeys = SigningKeySet(keys: [.generate()])
                configuration.bcryptCost = bcryptCost
                configuration.developmentMailbox = true
                print("PostgreSQL \(cluster.url) (pid \(cluster.pid.map(String.init) ?? "?"), removed on exit)")
                print("CustomerPortal on http://127.0.0.1:\(port) — try: curl http://127.0.0.1:\(port)/health/ready")
                print("Pending e-mails: http://127.0.0.1:\(port)/dev/outbox — stop with Ctrl-C")
                print("Metrics, region health and the lease: on the internal listener, named in the log below")
                let app = try await buildApplication(configuration: configuration, logger: logger)
                try await app.runService()
            }
        }
    }
}
