import Foundation
import Testing

@testable import LocalPostgres

#if canImport(Glibc)
    import Glibc
#endif

@Suite("PostgresCluster")
struct PostgresClusterTests {
    @Test func initializedClusterAnswersQueriesAndLeavesNoProcessAfterStop() async throws {
        try await withScratchFolder { folder in
            // Durable defaults on purpose (no fastAndUnsafe): this is what `customer-portal dev` runs.
            let cluster = PostgresCluster(configuration: .init(dataDirectory: folder + "/pg/data"))
            try await cluster.initialize()
            #expect(cluster.isInitialized)
            try await cluster.start()
            let pid = try #require(cluster.pid)

            #expect(try await cluster.psql("select 1") == "1")
            #expect(try await cluster.psql("show wal_log_hints") == "on")
            #expect(try await cluster.psql("show fsync") == "on")
            #expect(try await cluster.psql("show port") == String(cluster.port))
            #expect(cluster.url == "postgres://postgres@127.0.0.1:\(cluster.port)/postgres?sslmode=disable")
            // setpriv execs in place: the pid we hold is the postmaster itself, a direct child of this process.
            #expect(procStatField(pid, 4) == String(getpid()))
            let postmasterPid = try String(contentsOfFile: folder + "/pg/data/postmaster.pid", encoding: .utf8)
                .split(separator: "\n").first
            #expect(postmasterPid.map(String.init) == String(pid))

            try await cluster.stop()
            #expect(!processExists(pid))
            #expect(cluster.pid == nil)
            try await cluster.stop()  // a second stop is fine
            #expect(FileManager.default.fileExists(atPath: folder + "/pg/data/postgres.log"))
        }
    }

    @Test func stoppingAClusterThatNeverStartedDoesNothing() async throws {
        let cluster = PostgresCluster(configuration: .init(dataDirectory: "/nonexistent/local-postgres"))
        try await cluster.stop()
        try await cluster.stop(mode: .immediate)
        #expect(cluster.pid == nil)
    }

    @Test func temporaryClusterIsRemovedWhenTheBodyReturns() async throws {
        var dataDirectory = ""
        var pid: Int32 = 0
        let answer = try await PostgresCluster.withTemporaryCluster(configuration: .fastTemporary) { cluster in
            dataDirectory = cluster.configuration.dataDirectory
            pid = try #require(cluster.pid)
            return try await cluster.psql("select 40 + 2")
        }
        #expect(answer == "42")
        #expect(!processExists(pid))
        #expect(!FileManager.default.fileExists(atPath: (dataDirectory as NSString).deletingLastPathComponent))
    }

    @Test func temporaryClusterIsRemovedWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        var dataDirectory = ""
        var pid: Int32 = 0
        await #expect(throws: Boom.self) {
            try await PostgresCluster.withTemporaryCluster(configuration: .fastTemporary) { cluster in
                dataDirectory = cluster.configuration.dataDirectory
                pid = try #require(cluster.pid)
                throw Boom()
            }
        }
        #expect(!dataDirectory.isEmpty)
        #expect(!processExists(pid))
        #expect(!FileManager.default.fileExists(atPath: (dataDirectory as NSString).deletingLastPathComponent))
    }

    @Test func twoClustersRunAtOnceOnDistinctPorts() async throws {
        try await PostgresCluster.withTemporaryCluster(configuration: .fastTemporary) { first in
            try await PostgresCluster.withTemporaryCluster(configuration: .fastTemporary) { second in
                #expect(first.port != second.port)
                #expect(first.pid != second.pid)
                _ = try await first.psql("create table only_in_first (id int)")
                #expect(try await first.psql("select count(*) from pg_tables where tablename = 'only_in_first'") == "1")
                #expect(
                    try await second.psql("select count(*) from pg_tables where tablename = 'only_in_first'") == "0")
                #expect(try await second.psql("show port") == String(second.port))
            }
        }
    }

    @Test func startOnATakenPortFailsWithTheLogTail() async throws {
        try await PostgresCluster.withTemporaryCluster(configuration: .fastTemporary) { running in
            try await withScratchFolder { folder in
                var configuration = PostgresClusterConfiguration(dataDirectory: folder + "/data")
                configuration.port = running.port
                configuration.fastAndUnsafe = true
                let cluster = PostgresCluster(configuration: configuration)
                try await cluster.initialize()
                let error = await #expect(throws: PostgresClusterError.self) { try await cluster.start() }
                #expect(error?.code == .startFailed)
                #expect(error?.description.contains("Address already in use") == true)
                #expect(error?.description.contains("\n") == false)
                #expect(cluster.pid == nil)
            }
        }
    }

    @Test func psqlErrorsCarryTheServerMessage() async throws {
        try await PostgresCluster.withTemporaryCluster(configuration: .fastTemporary) { cluster in
            let error = await #expect(throws: PostgresClusterError.self) {
                try await cluster.psql("select * from no_such_table")
            }
            #expect(error?.code == .commandFailed)
            #expect(error?.message.contains("no_such_table") == true)
            let fsync = try await cluster.psql("show fsync")
            #expect(fsync == "off")
        }
    }

    @Test func badBinDirectoryIsNamedInTheError() async throws {
        try await withScratchFolder { folder in
            var configuration = PostgresClusterConfiguration(dataDirectory: folder + "/data")
            configuration.binDirectory = "/nonexistent/postgresql/bin"
            let cluster = PostgresCluster(configuration: configuration)
            let error = await #expect(throws: PostgresClusterError.self) { try await cluster.initialize() }
            #expect(error?.code == .binariesNotFound)
            #expect(error?.message.contains("/nonexistent/postgresql/bin") == true)
            #expect(!FileManager.default.fileExists(atPath: folder))
        }
    }
}
