import Controller
import Etcd
import Failover
import Foundation
import Logging

typealias TestWorld = RegionProber & TrafficManager & DatabaseReplication & FailoverActions

/// A replica of the three test regions over `world` (every provider), on `etcd`, in its own temporary folder.
func testReplica(
    _ region: RegionName, world: any TestWorld, etcd: [String], initialPrimary: RegionName = "us-east-1"
) throws -> ControllerReplica {
    var logger = Logger(label: "controller-test")
    logger.logLevel = .critical
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("replica-\(UUID().uuidString)")
    let configuration = ControllerConfiguration(
        directory: folder.path, port: 0, region: region, regions: ["us-east-1", "eu-west-1", "ap-southeast-2"],
        initialPrimary: initialPrimary, settings: ControllerSettings(), peers: [:], etcdEndpoints: etcd)
    return try ControllerReplica(
        configuration: configuration, prober: world, traffic: world, replication: world, actions: world,
        logger: logger)
}

/// Waits until `condition` holds; generous, since the whole suite runs in parallel on two cores and etcd fsyncs
/// every write.
func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw EtcdError(.unavailable, "never: \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}
