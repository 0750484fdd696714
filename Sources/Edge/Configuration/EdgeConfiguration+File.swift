import Foundation

extension EdgeConfiguration {
    /// Reads and validates a JSON configuration file; the error names the file and the bad key.
    public static func load(fromFile path: String) throws(EdgeError) -> EdgeConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EdgeError(.invalidConfiguration, "\(path): cannot be read")
        }
        let configuration: EdgeConfiguration
        do {
            configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw EdgeError(.invalidConfiguration, "\(path): \(Self.keyPath(context.codingPath + [key])) is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw EdgeError(.invalidConfiguration, "\(path): \(Self.keyPath(context.codingPath)) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.isEmpty ? "the file" : Self.keyPath(context.codingPath)
            throw EdgeError(.invalidConfiguration, "\(path): \(key) is not valid JSON for this key")
        } catch {
            throw EdgeError(.invalidConfiguration, "\(path): not an edge configuration")
        }
        do {
            try configuration.validate()
        } catch {
            throw EdgeError(.invalidConfiguration, "\(path): \(error.message)")
        }
        return configuration
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.reduce("") { text, key in
            if let index = key.intValue { return text + "[\(index)]" }
            return text.isEmpty ? key.stringValue : text + "." + key.stringValue
        }
    }
}
