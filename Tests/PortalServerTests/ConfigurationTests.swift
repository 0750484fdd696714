import Accounts
import Foundation
import PortalServer
import Testing

@Suite struct ConfigurationTests {
    func valid() -> PortalConfiguration {
        var configuration = PortalConfiguration()
        configuration.databaseURL = "postgres://portal@127.0.0.1:5432/portal"
        configuration.signingKeys = SigningKeySet(keys: [.generate()])
        return configuration
    }

    @Test func environmentVariablesMapToSettingsAndOthersAreLeftAlone() throws {
        let settings = PortalConfiguration.settings(fromEnvironment: [
            "PORTAL_DATABASE_URL": "postgres://a@b/c", "PORTAL_BCRYPT_COST": "10", "PORTAL_ADMIN_PASSWORD": "x",
            "HOME": "/root",
        ])
        #expect(settings == ["database-url": "postgres://a@b/c", "bcrypt-cost": "10"])
    }

    @Test func flagsAndFilesRejectUnknownKeysAndBadValuesByName() {
        var configuration = valid()
        #expect(throws: ConfigurationError.self) { try configuration.apply(["colour": "blue"], source: "flags") }
        do {
            try configuration.apply(["bcrypt-cost": "twelve"], source: "flags")
            Issue.record("expected an error")
        } catch {
            #expect(error.key == "bcrypt-cost" && error.message.contains("twelve"))
        }
    }

    @Test(arguments: [
        ("port", "70000"), ("bcrypt-cost", "3"), ("region", "us east"), ("database-url", "mysql://x"),
        ("access-token-lifetime", "5s"), ("database-timeout", "10ms"), ("maximum-body-size", "10"),
        ("session-lifetime", "1m"), ("refresh-grace-window", "2m"), ("internal-port", "-1"), ("internal-port", "8080"),
    ])
    func validationNamesTheBadKey(key: String, value: String) throws {
        var configuration = valid()
        do {
            try configuration.apply([key: value], source: "test")
            try configuration.validate()
            Issue.record("\(key)=\(value) was accepted")
        } catch {
            #expect(error.key == key)
        }
    }

    @Test func serveRefusesABcryptCostBelow10OutsideDevelopment() throws {
        var configuration = valid()
        configuration.bcryptCost = 9
        try configuration.validate()
        do {
            try configuration.validateForServing()
            Issue.record("cost 9 was accepted")
        } catch {
            #expect(error.key == "bcrypt-cost" && error.message.contains("got 9"))
            #expect(!"\(error)".contains("\n"))
        }
        configuration.developmentMailbox = true
        try configuration.validateForServing()
        configuration.developmentMailbox = false
        configuration.bcryptCost = 10
        try configuration.validateForServing()
    }

    @Test func durationsParse() throws {
        #expect(try PortalConfiguration.duration("15m", "k") == .seconds(900))
        #expect(try PortalConfiguration.duration("250ms", "k") == .milliseconds(250))
        #expect(try PortalConfiguration.duration("30d", "k") == .seconds(30 * 86400))
        #expect(throws: ConfigurationError.self) { try PortalConfiguration.duration("soon", "k") }
        #expect(throws: ConfigurationError.self) { try PortalConfiguration.duration("-5s", "k") }
    }

    @Test func theDatabasePasswordFillsBothURLsWithoutOne() throws {
        var configuration = valid()
        configuration.writerDatabaseURL = "postgres://portal:own@10.0.0.1:5432/portal"
        configuration.databasePassword = "s3cret"
        let urls = try configuration.resolvedDatabaseURLs
        #expect(urls.reader.password == "s3cret" && urls.writer.password == "own")
        #expect(!urls.reader.description.contains("s3cret"))
    }

    @Test func aYAMLFileIsReadAndItsErrorsNameTheKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portal-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "region: eu-west-1\nport: 9090\n".write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = valid()
        try configuration.apply(try PortalConfiguration.settings(fromYAMLFile: path), source: path)
        #expect(configuration.region == "eu-west-1" && configuration.port == 9090)
        try "region: [a, b]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try PortalConfiguration.settings(fromYAMLFile: path) }
        #expect(throws: ConfigurationError.self) { try PortalConfiguration.settings(fromYAMLFile: path + ".missing") }
    }
}
