import Crypto
import Foundation

/// The Ed25519 keys that sign access tokens. The first key signs; every key verifies, so a key can be rotated
/// in without invalidating tokens signed by the previous one. Every region holds the same set.
public struct SigningKeySet: Sendable, Codable, Equatable {
    /// One signing key as stored in the key file.
    public struct Key: Sendable, Codable, Equatable {
        /// The key id, written into each token's `kid` header.
        public var kid: String
        /// The 32-byte private key, base64url.
        public var privateKey: String
        public var createdAt: Date

        public init(kid: String, privateKey: String, createdAt: Date) {
            self.kid = kid
            self.privateKey = privateKey
            self.createdAt = createdAt
        }

        /// A new random key whose id is derived from its time of creation and public key.
        public static func generate(now: Date = Date()) -> Key {
            // Whole seconds: the key file stores ISO 8601 times without fractions.
            let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            let key = Curve25519.Signing.PrivateKey()
            let thumbprint = Data(SHA256.hash(data: key.publicKey.rawRepresentation)).base64URLEncodedString()
            let day = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate])
            return Key(
                kid: "\(day)-\(thumbprint.prefix(8))", privateKey: key.rawRepresentation.base64URLEncodedString(),
                createdAt: now)
        }

        func curveKey() throws(AccountsError) -> Curve25519.Signing.PrivateKey {
            guard let raw = Data(base64URLEncoded: privateKey), raw.count == 32,
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            else { throw AccountsError(.validationFailed, "signing key '\(kid)' is not a 32-byte Ed25519 key") }
            return key
        }
    }

    /// Newest first: `keys[0]` signs.
    public var keys: [Key]

    public init(keys: [Key]) { self.keys = keys }

    /// Reads the JSON key-file format (`{"keys": [{"kid", "privateKey", "createdAt"}]}`) and checks every key.
    public static func decode(_ data: Data) throws(AccountsError) -> SigningKeySet {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let set = try? decoder.decode(SigningKeySet.self, from: data) else {
            throw AccountsError(.validationFailed, "the signing keys are not valid key-file JSON")
        }
        try set.validate()
        return set
    }

    /// The key-file JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Rejects an empty set, duplicate ids and malformed keys.
    public func validate() throws(AccountsError) {
        guard !keys.isEmpty else { throw AccountsError(.validationFailed, "the key file holds no signing key") }
        guard Set(keys.map(\.kid)).count == keys.count else {
            throw AccountsError(.validationFailed, "the key file has duplicate key ids")
        }
        for key in keys { _ = try key.curveKey() }
    }

    /// The set with a new signing key in front, keeping at most `keep` keys in all.
    public func rotated(adding key: Key = .generate(), keep: Int = 3) -> SigningKeySet {
        SigningKeySet(keys: Array(([key] + keys).prefix(max(keep, 1))))
    }
}
