import Foundation
import Testing

@testable import LocalPostgres

@Suite("Streaming replication")
struct StreamingReplicationTests {
    @Test func standbyMadeByBaseBackupStreamsRowsFromThePrimary() async throws {
        var east = PostgresClusterConfiguration.fastTemporary
        east.clusterName = "east"
        try await PostgresCluster.withTemporaryCluster(configuration: east) { primary in
            try await withScratchFolder { folder in
                var configuration = PostgresClusterConfiguration(dataDirectory: folder + "/standby")
                configuration.clusterName = "west"
                configuration.fastAndUnsafe = true
                let standby = try await PostgresCluster.makeBaseBackup(from: primary, into: configuration, slot: "west")
                try await standby.start()
                do {
                    #expect(try await standby.psql("select pg_is_in_recovery()") == "t")
                    #expect(try await standby.psql("show wal_retrieve_retry_interval") == "100ms")
                    #expect(try await primary.psql("select pg_is_in_recovery()") == "f")

                    _ = try await primary.psql("create table notes (body text); insert into notes values ('hello')")
                    let replicated = await eventually {
                        (try? await standby.psql("select body from notes")) == "hello"
                    }
                    #expect(replicated)
                    #expect(
                        try await primary.psql("select application_name, state from pg_stat_replication")
                            == "west|streaming"
                    )
                    #expect(
                        try await primary.psql("select active from pg_replication_slots where slot_name = 'west'")
                            == "t")
                } catch {
                    try await standby.stop()
                    throw error
                }
                try await standby.stop()
            }
        }
    }
}
