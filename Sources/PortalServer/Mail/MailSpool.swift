import Accounts
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A maildir (`tmp/`, `new/`, `cur/`) that a mail transfer agent picks messages up from: the portal's hand-over
/// point for e-mail (the MTA, or a relay to a provider such as SES, does the sending). A message is written to
/// `tmp/`, synced, and renamed into `new/`, so a reader never sees half a message; files are mode 0600, since a
/// message may carry a one-time token.
public struct MailSpool: Sendable {
    public let directory: String
    public let from: String

    /// Opens the spool, creating its three folders (mode 0700) when they are missing.
    public init(directory: String, from: String) throws(ConfigurationError) {
        self.directory = directory
        self.from = from
        for folder in ["", "/tmp", "/new", "/cur"] {
            let path = directory + folder
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ConfigurationError(key: "mail-spool", "cannot create '\(path)': \(error.localizedDescription)")
            }
            guard access(path, W_OK) == 0 else { throw ConfigurationError(key: "mail-spool", "cannot write '\(path)'") }
        }
    }

    /// The file a message is delivered to, named by its outbox id: delivering it again replaces it.
    public func fileName(of message: OutboxMessage) -> String {
        "\(Int(message.createdAt.timeIntervalSince1970)).M\(message.id).customer-portal"
    }

    /// Writes `message` into `new/`.
    public func deliver(_ message: OutboxMessage) throws {
        let name = fileName(of: message)
        let temporary = "\(directory)/tmp/\(name)"
        let data = Data(Self.render(message, from: from).utf8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SpoolError("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            unlink(temporary)
            throw SpoolError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, "\(directory)/new/\(name)") == 0 else {
            unlink(temporary)
            throw SpoolError("cannot move \(name) into new/: \(String(cString: strerror(errno)))")
        }
    }

    /// The message in RFC 5322 form. Header values lose any line break (the recipient is a validated address and
    /// the subject a template's, but a header is never where a break may hide).
    static func render(_ message: OutboxMessage, from: String) -> String {
        func header(_ value: String) -> String {
            String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        }
        let date = Date.RFC822.string(message.createdAt)
        return [
            "Message-ID: <outbox-\(message.id)@customer-portal>",
            "Date: \(date)",
            "From: \(header(from))",
            "To: \(header(message.recipient))",
            "Subject: \(header(message.subject))",
            "X-CustomerPortal-Template: \(header(message.template))",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            message.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"),
            "",
        ].joined(separator: "\r\n")
    }

    struct SpoolError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension Date {
    /// RFC 5322 dates (`Tue, 01 Dec 2026 13:07:53 +0000`), in UTC.
    enum RFC822 {
        static func string(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
            return formatter.string(from: date)
        }
    }
}
