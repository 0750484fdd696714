/// One-way latencies between real AWS regions, the default conditions of the lab's links.
///
/// us-east-1↔eu-west-1 ≈ 38 ms, us-east-1↔ap-southeast-2 ≈ 100 ms, eu-west-1↔ap-southeast-2 ≈ 130 ms; any other
/// pair of regions 60 ms; a region to itself and anything to "outside" 0 ms. Jitter is 5 % of the latency.
public enum DefaultLatencies {
    /// The node name of everything outside the regions (the edge, the controller, a client).
    public static let outside = "outside"

    private static let table: [Set<String>: Double] = [
        ["us-east-1", "eu-west-1"]: 38,
        ["us-east-1", "ap-southeast-2"]: 100,
        ["eu-west-1", "ap-southeast-2"]: 130,
    ]

    /// The conditions of the link between `a` and `b`, latency and jitter multiplied by `scale` (0 removes them).
    public static func conditions(between a: String, and b: String, scale: Double) -> LinkConditions {
        let milliseconds = oneWayMilliseconds(between: a, and: b) * max(scale.isFinite ? scale : 0, 0)
        return LinkConditions(
            latency: Duration(milliseconds: milliseconds) ?? .zero,
            jitter: Duration(milliseconds: milliseconds * 0.05) ?? .zero)
    }

    /// The unscaled one-way latency in milliseconds.
    public static func oneWayMilliseconds(between a: String, and b: String) -> Double {
        if a == b || a == outside || b == outside { return 0 }
        return table[[a, b]] ?? 60
    }
}
