import Foundation

/// The proxies whose `X-Forwarded-For` the portal believes (the edge in the lab, the load balancer's subnets on
/// AWS). Empty (the default) trusts no one: the client is the TCP peer.
public struct TrustedProxies: Sendable, Equatable {
    public var networks: [IPNetwork]

    public init(_ networks: [IPNetwork] = []) { self.networks = networks }

    /// Parses a comma-separated list of CIDR networks or addresses; throws naming the first bad entry.
    public init(parsing text: String) throws(ConfigurationError) {
        var networks: [IPNetwork] = []
        for entry in text.split(separator: ",") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let network = IPNetwork(entry) else {
                throw ConfigurationError(
                    key: "trusted-proxies",
                    "must be CIDR networks or addresses separated by commas, got '\(entry.trimmingCharacters(in: .whitespaces))'"
                )
            }
            networks.append(network)
        }
        self.networks = networks
    }

    /// The client's address: the TCP peer, unless the peer is a trusted proxy; then the right-most entry of
    /// `X-Forwarded-For` that is not a trusted proxy (every proxy appends the address it saw, so entries to the
    /// left of the first untrusted one are whatever the client chose to send). When every entry is trusted,
    /// the left-most one; an entry that is not an address ends the walk at the hop before it.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, !networks.isEmpty, let peerBytes = IPNetwork.addressBytes(peer), isTrusted(peerBytes) else {
            return peer
        }
        var client = IPNetwork.text(peerBytes) ?? peer
        let entries = forwardedFor.flatMap { $0.split(separator: ",") }
        for entry in entries.reversed() {
            guard let bytes = IPNetwork.addressBytes(entry.trimmingCharacters(in: .whitespaces)),
                let text = IPNetwork.text(bytes)
            else { break }
            client = text
            if !isTrusted(bytes) { break }
        }
        return client
    }

    private func isTrusted(_ address: [UInt8]) -> Bool { networks.contains { $0.contains(address) } }

    public var description: String { networks.map(\.description).joined(separator: ",") }
}
