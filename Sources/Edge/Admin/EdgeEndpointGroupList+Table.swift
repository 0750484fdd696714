extension EdgeEndpointGroupList {
    /// The endpoint groups as a plain-text table, one line per endpoint, for `drctl traffic`.
    public var table: String {
        var rows = [["REGION", "DIAL", "HEALTH", "ENDPOINT", "URL", "WEIGHT", "ENDPOINT HEALTH", "FAILS", "OKS"]]
        for group in endpointGroups {
            let regionName = group.region.rawValue + (group.region == primaryRegion ? " (primary)" : "")
            for endpoint in group.endpoints {
                let first = endpoint.index == 0
                rows.append([
                    first ? regionName : "", first ? "\(group.dial)%" : "",
                    first ? (group.healthy ? "healthy" : "unhealthy") : "", "\(endpoint.index)", endpoint.url,
                    "\(endpoint.weight)", endpoint.healthy ? "healthy" : "unhealthy",
                    "\(endpoint.consecutiveFailures)", "\(endpoint.consecutiveSuccesses)",
                ])
            }
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        if failOpen { lines.append("no region is healthy: the edge is failing open") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
