import Accounts
import Foundation
import Hummingbird

extension Request {
    /// Decodes a JSON body strictly: `application/json` (or `+json`) only (415), at most `limit` bytes (413),
    /// valid UTF-8 and well-formed JSON (400); missing or mistyped fields are validation problems (422) naming
    /// the field.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: PortalRequestContext, limit: Int) async throws -> T {
        guard let contentType = headers[.contentType], Self.isJSON(contentType) else {
            throw ProblemError(
                .unsupportedMediaType, code: "unsupported-media-type",
                detail: "The request body must be application/json.")
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw ProblemError(
                .contentTooLarge, code: "body-too-large", detail: "The request body is larger than \(limit) bytes.")
        }
        var body = try await self.body.collect(upTo: limit)
        guard let bytes = body.readBytes(length: body.readableBytes), !bytes.isEmpty else {
            throw ProblemError.malformed("The request body is empty; a JSON object is required.")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ProblemError.malformed("The request body is not valid UTF-8.")
        }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        } catch let error as AccountsError {
            throw error
        } catch {
            throw ProblemError.malformed("The request body is not valid JSON.")
        }
    }

    static func isJSON(_ contentType: String) -> Bool {
        // `split` drops empty pieces, so `;` alone gives none: take the text before the first `;` instead.
        let mediaType = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    static func problem(for error: DecodingError) -> ProblemError {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = path + (key.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        let invalid: (String, String) -> ProblemError = { name, message in
            ProblemError(
                .unprocessableContent, code: AccountsError.Code.validationFailed.rawValue,
                detail: "The request has an invalid field.",
                fieldErrors: [.init(field: name.isEmpty ? "body" : name, message: message)])
        }
        switch error {
        case .keyNotFound(let key, let context):
            return invalid(field(context.codingPath, key), "is required")
        case .valueNotFound(_, let context):
            return invalid(field(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return .malformed("The request body must be a JSON object.") }
            return invalid(field(context.codingPath), "must be of type \(Self.jsonTypeName(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .malformed("The request body is not valid JSON.") }
            return invalid(field(context.codingPath), "is not valid")
        @unknown default:
            return .malformed("The request body is not valid JSON.")
        }
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Int.Type, is Double.Type: "number"
        default: "object"
        }
    }
}
