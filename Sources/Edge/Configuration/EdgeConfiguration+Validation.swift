import Foundation

extension EdgeConfiguration {
    /// Rejects the first bad value with its key's name (`regions[1].endpoints[0].weight: …`).
    public func validate() throws(EdgeError) {
        guard !regions.isEmpty else { throw .invalid("regions", "at least one region is required") }
        try Self.checkPort(port, key: "port")
        try Self.checkPort(adminPort, key: "adminPort")
        var names: Set<String> = []
        for (regionIndex, region) in regions.enumerated() {
            let key = "regions[\(regionIndex)]"
            guard !region.name.rawValue.isEmpty else { throw .invalid("\(key).name", "must not be empty") }
            guard names.insert(region.name.rawValue).inserted else {
                throw .invalid("\(key).name", "'\(region.name)' appears twice")
            }
            guard (0...100).contains(region.dial) else {
                throw .invalid("\(key).dial", "\(region.dial) is outside 0–100")
            }
            guard !region.endpoints.isEmpty else { throw .invalid("\(key).endpoints", "at least one is required") }
            for (endpointIndex, endpoint) in region.endpoints.enumerated() {
                let endpointKey = "\(key).endpoints[\(endpointIndex)]"
                guard let url = URL(string: endpoint.url), url.scheme == "http" || url.scheme == "https",
                    url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil
                else {
                    throw .invalid("\(endpointKey).url", "'\(endpoint.url)' is not a base URL like http://host:port")
                }
                guard (0...255).contains(endpoint.weight) else {
                    throw .invalid("\(endpointKey).weight", "\(endpoint.weight) is outside 0–255")
                }
            }
        }
        if let primaryRegion, !names.contains(primaryRegion.rawValue) {
            throw .invalid("primaryRegion", "'\(primaryRegion)' is not one of the regions")
        }
        for (index, listener) in locationListeners.enumerated() {
            try Self.checkPort(listener.port, key: "locationListeners[\(index)].port")
            guard !listener.location.isEmpty else {
                throw .invalid("locationListeners[\(index)].location", "must not be empty")
            }
        }
        if let adminToken, adminToken.utf8.count < 16 {
            throw .invalid("adminToken", "must be at least 16 characters")
        }
        try healthCheck.validate()
        try Self.checkRange(connectTimeoutMilliseconds, 1...600_000, key: "connectTimeoutMilliseconds")
        try Self.checkRange(responseTimeoutMilliseconds, 1...3_600_000, key: "responseTimeoutMilliseconds")
        try Self.checkRange(connectionsPerEndpoint, 1...10_000, key: "connectionsPerEndpoint")
        try Self.checkRange(retryBufferBytes, 0...(64 << 20), key: "retryBufferBytes")
        if let eventLoops { try Self.checkRange(eventLoops, 1...256, key: "eventLoops") }
        guard latencies.defaultMilliseconds.isFinite, latencies.defaultMilliseconds >= 0 else {
            throw .invalid("latencies.defaultMilliseconds", "must be a number ≥ 0")
        }
        for (index, link) in latencies.links.enumerated()
        where !link.milliseconds.isFinite || link.milliseconds < 0 {
            throw .invalid("latencies.links[\(index)].milliseconds", "must be a number ≥ 0")
        }
    }

    static func checkPort(_ port: Int, key: String) throws(EdgeError) {
        try checkRange(port, 0...65_535, key: key)
    }

    static func checkRange(_ value: Int, _ range: ClosedRange<Int>, key: String) throws(EdgeError) {
        guard range.contains(value) else {
            throw .invalid(key, "\(value) is outside \(range.lowerBound)–\(range.upperBound)")
        }
    }
}

extension EdgeConfiguration.HealthCheck {
    func validate() throws(EdgeError) {
        guard path.hasPrefix("/") else { throw .invalid("healthCheck.path", "'\(path)' must start with /") }
        try EdgeConfiguration.checkRange(intervalMilliseconds, 10...600_000, key: "healthCheck.intervalMilliseconds")
        try EdgeConfiguration.checkRange(timeoutMilliseconds, 1...600_000, key: "healthCheck.timeoutMilliseconds")
        try EdgeConfiguration.checkRange(failureThreshold, 1...100, key: "healthCheck.failureThreshold")
        try EdgeConfiguration.checkRange(recoveryThreshold, 1...100, key: "healthCheck.recoveryThreshold")
    }
}
