import Failover
import Foundation

/// The edge's configuration file for a lab (the JSON form `drctl edge --config` reads): one endpoint group per
/// region with the region's ingress routes as endpoints, a listener per client location, the admin API with a
/// token, sub-second health checks. Written here rather than with the Edge library's type so that the lab does
/// not depend on the edge's code, only on its file format.
struct LabEdgeConfiguration: Encodable {
    struct Region: Encodable {
        struct Endpoint: Encodable { var url: String }
        var name: String
        var endpoints: [Endpoint]
    }
    struct LocationListener: Encodable {
        var location: String
        var port: Int
    }
    struct HealthCheck: Encodable {
        var path = "/health/ready"
        var intervalMilliseconds = 250
        var timeoutMilliseconds = 500
        var failureThreshold = 3
        var recoveryThreshold = 3
    }

    var host = "127.0.0.1"
    var port: Int
    var adminHost = "127.0.0.1"
    var adminPort: Int
    var adminToken: String
    var primaryRegion: String
    var regions: [Region]
    var locationListeners: [LocationListener]
    var healthCheck = HealthCheck()

    init(
        port: Int, adminPort: Int, adminToken: String, primaryRegion: RegionName, locationPorts: [String: Int],
        regions: [(RegionName, [String])]
    ) {
        self.port = port
        self.adminPort = adminPort
        self.adminToken = adminToken
        self.primaryRegion = primaryRegion.rawValue
        self.regions = regions.map { Region(name: $0.0.rawValue, endpoints: $0.1.map { Region.Endpoint(url: $0) }) }
        self.locationListeners = locationPorts.sorted { $0.key < $1.key }.map {
            LocationListener(location: $0.key, port: $0.value)
        }
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
