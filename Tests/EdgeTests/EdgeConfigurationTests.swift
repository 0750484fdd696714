import Foundation
import Testing

@testable import Edge

/// The configuration file: defaults for every field but the regions, and validation that names the key.
@Suite struct EdgeConfigurationTests {
    @Test func onlyRegionsAreRequired() throws {
        let json = #"{"regions": [{"name": "us-east-1", "endpoints": [{"url": "http://127.0.0.1:8081"}]}]}"#
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(json.utf8))
        #expect(configuration.regions[0].dial == 100)
        #expect(configuration.regions[0].endpoints[0].weight == 128)
        #expect(configuration.healthCheck == EdgeConfiguration.HealthCheck())
        #expect(configuration.latencies == .lab)
        #expect(configuration.effectivePrimaryRegion == "us-east-1")
        try configuration.validate()
    }

    @Test func missingRegionsIsADecodingError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EdgeConfiguration.self, from: Data("{}".utf8))
        }
    }

    @Test(arguments: [
        ("weight", "regions[0].endpoints[0].weight"), ("dial", "regions[0].dial"),
        ("url", "regions[0].endpoints[0].url"),
        ("primary", "primaryRegion"), ("token", "adminToken"), ("interval", "healthCheck.intervalMilliseconds"),
        ("loops", "eventLoops"),
    ])
    func validationNamesTheBadKey(field: String, key: String) {
        var configuration = EdgeConfiguration(
            regions: [.init(name: "us-east-1", endpoints: [.init(url: "http://127.0.0.1:1")])])
        switch field {
        case "weight": configuration.regions[0].endpoints[0].weight = 256
        case "dial": configuration.regions[0].dial = -1
        case "url": configuration.regions[0].endpoints[0].url = "127.0.0.1:1"
        case "primary": configuration.primaryRegion = "sa-east-1"
        case "loops": configuration.eventLoops = 0
        case "token": configuration.adminToken = "short"
        default: configuration.healthCheck.intervalMilliseconds = 0
        }
        #expect {
            try configuration.validate()
        } throws: { error in
            (error as? EdgeError)?.message.hasPrefix(key + ":") == true
        }
    }

    @Test func labLatenciesOrderRegionsFromEachLocation() {
        let table = LatencyTable.lab
        #expect(table.milliseconds(from: "eu", to: "eu-west-1") == 0)
        #expect(table.milliseconds(from: "us", to: "ap-southeast-2") == 100)
        #expect(table.milliseconds(from: "ap-southeast-2", to: "eu-west-1") == 130)
        #expect(table.milliseconds(from: "us", to: "sa-east-1") == 60)
    }
}
