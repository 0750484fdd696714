import Accounts
import ArgumentParser
import Foundation

extension CustomerPortal {
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the access-token signing keys.", subcommands: [Generate.self])
    }
}

extension CustomerPortal.Keys {
    /// Writes a new Ed25519 signing key; with an existing file, rotates it in front of the old keys.
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new signing key to a key file (rotating when the file exists).")
        @Option(help: "The key file to write.") var output: String
        @Option(help: "How many keys to keep, newest first, when rotating.") var keep: Int = 3

        func validate() throws {
            guard (1...10).contains(keep) else { throw ValidationError("--keep must be 1–10, got \(keep)") }
        }

        func run() async throws {
            var set = SigningKeySet(keys: [])
            if let existing = FileManager.default.contents(atPath: output) {
                do { set = try SigningKeySet.decode(existing) } catch {
                    throw ValidationError("\(output) exists but is not a key file: \(error.detail)")
                }
            }
            set = set.rotated(adding: .generate(), keep: keep)
            let data = try set.encoded()
            guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o600])
            else { throw ValidationError("cannot write \(output)") }
            print("wrote \(output): signing key \(set.keys[0].kid), \(set.keys.count) key(s) in all")
        }
    }
}
