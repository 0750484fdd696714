import Failover
import Foundation

/// What a control-plane replica on AWS runs with (`drctl controller --etcd-endpoints …`): its region and listen
/// address, the etcd members, the other replicas, each region's portal, the controller settings, the secrets from
/// the environment, and the AWS deployment its providers drive. Every field has a default but the region; the
/// setters parse one command-line value each, and `validate()` names the first bad flag or variable.
public struct AWSReplicaConfiguration: Sendable {
    /// The region this replica runs in.
    public var region: RegionName
    /// The address the control API listens on (`0.0.0.0` in a container).
    public var host = "127.0.0.1"
    public var port = 8090
    /// This replica's API as the others reach it (its load balancer); shown in the replicas' heartbeats.
    public var advertiseURL: String?
    /// The etcd members' client URLs, this region's first.
    public var etcdEndpoints: [String] = []
    /// The other replicas' APIs, by region.
    public var peers: [RegionName: String] = [:]
    /// Every region's portal base URL (its load balancer), probed at `/health/ready`.
    public var portalURLs: [RegionName: String] = [:]
    /// The host name the portals' certificates carry, when the URLs name the load balancers themselves.
    public var portalTLSName: String?
    public var settings = ControllerSettings()
    /// The replica's own folder (its alarm file); nothing in it is needed after a restart.
    public var directory = "/tmp/drctl-controller"
    /// The control plane's bearer token (`DRCTL_CONTROL_TOKEN`).
    public var token = ""
    /// The Ed25519 key the lease answers are signed with, base64 raw (`DRCTL_LEASE_SIGNING_KEY`); empty: unsigned.
    public var leaseSigningKey = ""
    /// The Aurora global cluster and the Global Accelerator endpoint groups.
    public var deployment = AWSDeploymentConfiguration()

    /// A configuration for a replica in `region`, with every other field defaulted.
    public init(region: RegionName) {
        self.region = region
    }

    /// The control plane's regions: this one and its peers', in name order (the same list on every replica).
    public var regions: [RegionName] { (Array(peers.keys) + [region]).sorted() }

    /// Every replica's API by region, this one's too when it is advertised.
    public var replicaURLs: [RegionName: String] {
        var urls = peers
        if let advertiseURL { urls[region] = advertiseURL }
        return urls
    }

    // MARK: Command-line values

    /// `--etcd-endpoints a,b,c`.
    public mutating func setEtcdEndpoints(_ text: String) throws(FailoverError) {
        var endpoints: [String] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try Self.url(String(entry), option: "--etcd-endpoints"))
        }
        etcdEndpoints = endpoints
    }

    /// `--peers region=url,...`: the other replicas (none when empty).
    public mutating func setPeers(_ text: String) throws(FailoverError) {
        peers = [:]
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) where !text.isEmpty {
            let (name, url) = try RegionAssignment.parse(String(entry), option: "--peers", valueName: "URL")
            peers[try Self.region(name, option: "--peers")] = try Self.url(url, option: "--peers")
        }
    }

    /// One `--portal-url region=url`.
    public mutating func addPortalURL(_ entry: String) throws(FailoverError) {
        let (name, url) = try RegionAssignment.parse(entry, option: "--portal-url", valueName: "URL")
        portalURLs[try Self.region(name, option: "--portal-url")] = try Self.url(url, option: "--portal-url")
    }

    /// `--settings FILE`: a JSON object of controller settings by their keys (`"probe-interval": "1s"`,
    /// `"failure-threshold": 3`, `"mode": "manual"`), as in the deployment file's `controller` section.
    public mutating func loadSettings(fromFile path: String) throws(FailoverError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FailoverError(.invalidArgument, "--settings '\(path)' cannot be read")
        }
        guard let object = try? JSONDecoder().decode([String: SettingValue].self, from: data) else {
            throw FailoverError(
                .invalidArgument,
                "--settings '\(path)' is not a JSON object of controller settings, each a string or a whole number "
                    + "(keys: \(ControllerSettings.keys.joined(separator: ", ")))")
        }
        var settings = ControllerSettings()
        // In the settings' own order (a lease duration before the clock margin it bounds); unknown keys first, so
        // that a typo is reported as one.
        let unknown = object.keys.filter { !ControllerSettings.keys.contains($0) }.sorted()
        for key in unknown + ControllerSettings.keys {
            guard let value = object[key] else { continue }
            do {
                try settings.apply(key: key, value: value.text)
            } catch {
                throw FailoverError(.invalidArgument, "--settings '\(path)': \(error.message)")
            }
        }
        self.settings = settings
    }

    /// One setting's value in the file: a string (`"1s"`, `"manual"`) or a whole number (`3`).
    struct SettingValue: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(UInt64.self) {
                text = String(number)
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    /// The secrets, from the environment only (never from flags, which the ECS API shows).
    public mutating func readSecrets(from environment: [String: String]) {
        token = environment["DRCTL_CONTROL_TOKEN"] ?? ""
        leaseSigningKey = environment["DRCTL_LEASE_SIGNING_KEY"] ?? ""
    }

    // MARK: Validation

    /// Which replica `drctl controller` runs: a lab's (`labDirectory` given, no AWS flag) or one on AWS (no lab
    /// directory, `--etcd-endpoints` among `awsFlags`, the AWS-mode flags given); throws naming the flag otherwise.
    public static func runsOnAWS(labDirectory: String?, awsFlags: [String]) throws(FailoverError) -> Bool {
        if labDirectory != nil {
            guard let flag = awsFlags.first else { return false }
            throw FailoverError(
                .invalidArgument,
                "\(flag) is for a replica on AWS; a lab's replica (--dir) reads its wiring from the lab")
        }
        guard awsFlags.contains("--etcd-endpoints") else {
            throw FailoverError(
                .invalidArgument,
                "--etcd-endpoints is required without --dir: give --dir (a lab's replica) or --etcd-endpoints and the "
                    + "other AWS flags (a replica on AWS)")
        }
        return true
    }

    /// Throws `invalidArgument` naming the first bad flag or variable (never a secret's value).
    public func validate() throws(FailoverError) {
        _ = try Self.region(region.rawValue, option: "--region")
        guard (1...65_535).contains(port) else {
            throw FailoverError(.invalidArgument, "--port '\(port)' must be within 1...65535")
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw FailoverError(.invalidArgument, "--host '\(host)' is not an address to listen on")
        }
        if let advertiseURL { _ = try Self.url(advertiseURL, option: "--advertise-url") }
        guard !etcdEndpoints.isEmpty else {
            throw FailoverError(.invalidArgument, "--etcd-endpoints is empty: give every etcd member's client URL")
        }
        if peers[region] != nil {
            throw FailoverError(
                .invalidArgument,
                "--peers names this replica's own region \(region): list the other replicas (--advertise-url is this one's)"
            )
        }
        try validatePortals()
        try validateSecrets()
        try settings.validate()
        try deployment.validate()
        guard deployment.globalClusterIdentifier != nil else {
            throw FailoverError(
                .invalidArgument, "--global-cluster is required: the replica reads the roles from Aurora")
        }
        guard !deployment.endpointGroupARNs.isEmpty || deployment.listenerARN != nil else {
            throw FailoverError(
                .invalidArgument,
                "--listener or --endpoint-group is required: the replica reads and turns the traffic dials")
        }
    }

    func validatePortals() throws(FailoverError) {
        for name in portalURLs.keys.sorted() where !regions.contains(name) {
            throw FailoverError(
                .invalidArgument, "--portal-url names \(name), which is neither --region nor one of --peers")
        }
        for name in regions where portalURLs[name] == nil {
            throw FailoverError(
                .invalidArgument, "--portal-url: no URL for \(name) (give --portal-url \(name)=https://…)")
        }
        if let name = portalTLSName {
            let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
            guard !name.isEmpty, allowed else {
                throw FailoverError(.invalidArgument, "--portal-tls-name '\(name)' is not a host name")
            }
        }
    }

    func validateSecrets() throws(FailoverError) {
        guard !token.isEmpty else {
            throw FailoverError(
                .invalidArgument,
                "DRCTL_CONTROL_TOKEN is not set: the replica needs the control plane's bearer token (control-token secret)"
            )
        }
        guard token.count >= 16 else {
            throw FailoverError(.invalidArgument, "DRCTL_CONTROL_TOKEN is shorter than 16 characters")
        }
        guard !token.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw FailoverError(
                .invalidArgument, "DRCTL_CONTROL_TOKEN holds whitespace (a trailing newline in the secret?)")
        }
        if !leaseSigningKey.isEmpty && LeaseSignature.privateKey(base64: leaseSigningKey) == nil {
            throw FailoverError(
                .invalidArgument,
                "DRCTL_LEASE_SIGNING_KEY is not a base64 raw Ed25519 private key (the privateKey of the "
                    + "lease-signing-key secret)")
        }
    }

    static func region(_ name: String, option: String) throws(FailoverError) -> RegionName {
        let region = RegionName(name)
        guard region.isWellFormed else {
            throw FailoverError(.invalidArgument, "\(option) '\(name)' is not a region name such as eu-west-1")
        }
        return region
    }

    static func url(_ text: String, option: String) throws(FailoverError) -> String {
        do {
            return try AWSEndpoint(url: text).description
        } catch {
            throw FailoverError(.invalidArgument, "\(option) '\(text)' is not of the form http(s)://host[:port]")
        }
    }
}
