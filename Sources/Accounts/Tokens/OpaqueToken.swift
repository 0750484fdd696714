import Crypto
import Foundation

/// A random secret of 256 bits handed to a client (refresh token, e-mail verification, password reset),
/// stored on the server only as its SHA-256 hash.
public struct OpaqueToken: Hashable, Sendable, CustomStringConvertible {
    /// The base64url text of the secret, without padding (43 characters).
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A fresh token from the system's secure random generator.
    public static func generate() -> OpaqueToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return OpaqueToken(rawValue: Data(bytes).base64URLEncodedString())
    }

    /// The SHA-256 of the token's text: the only form that is stored.
    public var hash: [UInt8] { Array(SHA256.hash(data: Data(rawValue.utf8))) }

    /// `successor` encrypted (ChaCha20-Poly1305) with a key derived from this token, which the server never
    /// stores: the database alone cannot give the successor back, only someone presenting this token can.
    public func seal(_ successor: OpaqueToken) throws -> [UInt8] {
        Array(try ChaChaPoly.seal(Data(successor.rawValue.utf8), using: sealingKey).combined)
    }

    /// The successor sealed by `seal(_:)`; nil when `sealed` was not sealed with this token.
    public func open(_ sealed: [UInt8]) -> OpaqueToken? {
        guard let box = try? ChaChaPoly.SealedBox(combined: sealed),
            let plain = try? ChaChaPoly.open(box, using: sealingKey),
            let text = String(data: plain, encoding: .utf8)
        else { return nil }
        return OpaqueToken(rawValue: text)
    }

    /// Not the stored hash: a different input, so knowing the hash does not give the key.
    private var sealingKey: SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data(("sealed-successor:" + rawValue).utf8)))
    }

    /// Tokens never print their secret.
    public var description: String { "OpaqueToken(redacted)" }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5), as used by JWTs and JWKs.
    public func base64URLEncodedString() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes base64url with or without padding; `nil` when the text is not base64url.
    public init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
