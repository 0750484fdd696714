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
