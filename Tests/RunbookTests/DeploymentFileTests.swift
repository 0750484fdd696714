import DRConfiguration
import Failover
import Foundation
import Testing

@Suite("Deployment file")
struct DeploymentFileTests {
    @Test func defaultFileParsesWithEveryControllerKeyWritten() throws {
        let deployment = try defaultDeployment()
        #expect(deployment.name == "customer-portal")
        #expect(deployment.regions.map(\.name) == ["us-east-1", "eu-west-1", "ap-southeast-2"])
        #expect(deployment.primaryRegion?.name == "us-east-1")
        #expect(deployment.durability == .sync)
        #expect(deployment.objectives.rto == .seconds(5))
        #expect(deployment.objectives.rpo == .zero)
        #expect(deployment.lab.dir == ".drlab")
        #expect(deployment.drills.history == "docs/drills/history.jsonl")
        #expect(deployment.aws?.regions.count == 3)
        #expect(deployment.problems.isEmpty)
        // The documented default lists every controller setting, so operators see them all.
        let text = try String(contentsOfFile: "\(packageRoot)/deploy/customer-portal.dr.yaml", encoding: .utf8)
        for key in ControllerSettings.keys {
            #expect(text.contains("\n  \(key): "), "the default file does not write controller.\(key)")
        }
    }

    @Test func controllerSectionGoesThroughControllerSettings() throws {
        let yaml =
            minimalYAML + """

                controller:
                  lease-duration: 400ms
                  clock-margin: 100ms
                  mode: manual
                  max-lag-on-failover: 1024
                """
        // lease-duration 400ms alone is shorter than the default clock-margin: the order of the file must not matter.
        let deployment = try Deployment.parse(yaml: yaml)
        var expected = ControllerSettings()
        try expected.apply(key: "clock-margin", value: "100ms")
        try expected.apply(key: "lease-duration", value: "400ms")
        try expected.apply(key: "mode", value: "manual")
        try expected.apply(key: "max-lag-on-failover", value: "1024")
        #expect(deployment.controller == expected)
    }

    @Test func pagingOrderResolvesEscalationToContacts() throws {
        let deployment = try defaultDeployment()
        let pages = deployment.pagingOrder
        #expect(pages.map(\.contact.name) == deployment.escalation.map(\.contact))
        #expect(pages.first?.position == 1)
        #expect(pages.first?.channel == .pager)
        #expect(pages.first?.address == deployment.contact(named: pages[0].contact.name)?.pager)
        #expect(deployment.contact(named: "Nobody") == nil)
    }

    @Test func unknownKeyNamesKeyAndLine() throws {
        let error = try #require(parseError(changedYAML("    pager: ada-pager\n", with: "    fax: 1234\n")))
        #expect(error.code == .unknownKey)
        #expect(error.keyPath == "contacts[0].fax")
        #expect(error.line == 12)
        #expect(error.message.contains("pager"))
        #expect(error.description.hasPrefix("test.yaml:12:5: contacts[0].fax: unknown key"))
    }

    @Test func unknownTopLevelKeyNamesKeyAndLine() throws {
        let error = try #require(parseError(minimalYAML + "\nreplication-lag: 5s"))
        #expect(error.code == .unknownKey)
        #expect(error.keyPath == "replication-lag")
        #expect(error.line == 18)
    }

    @Test func wrongTypeNamesKeyAndLine() throws {
        let yaml = minimalYAML + "\nnotifications:\n  webhooks: https://hooks.example.invalid/x"
        let error = try #require(parseError(yaml))
        #expect(error.code == .wrongType)
        #expect(error.keyPath == "notifications.webhooks")
        #expect(error.line == 19)
        #expect(error.message.contains("list"))
    }

    @Test func badDurationNamesKeyAndLine() throws {
        let error = try #require(parseError(minimalYAML + "\nobjectives:\n  rto: 5\n  rpo: 0"))
        #expect(error.code == .invalidValue)
        #expect(error.keyPath == "objectives.rto")
        #expect(error.line == 19)
        #expect(error.message.contains("duration"))
    }

    @Test func badControllerValueNamesKeyAndLine() throws {
        let error = try #require(parseError(minimalYAML + "\ncontroller:\n  mode: sometimes"))
        #expect(error.code == .invalidValue)
        #expect(error.keyPath == "controller.mode")
        #expect(error.line == 19)
        #expect(error.message.hasPrefix("must be automatic or manual"))
    }

    @Test func controllerCombinationErrorNamesTheKey() throws {
        let error = try #require(
            parseError(minimalYAML + "\ncontroller:\n  lease-duration: 1s\n  clock-margin: 2s"))
        #expect(error.keyPath == "controller.clock-margin")
        #expect(error.line == 20)
    }

    @Test func contactWithoutChannelNamesContactAndLine() throws {
        let error = try #require(parseError(changedYAML("    pager: ada-pager\n", with: "")))
        #expect(error.keyPath == "contacts[0]")
        #expect(error.line == 10)
        #expect(error.message.contains("no channel"))
    }

    @Test func escalationNamingUnknownContactNamesKeyAndLine() throws {
        let error = try #require(parseError(changedYAML("  - contact: Ada", with: "  - contact: Bob")))
        #expect(error.keyPath == "escalation[0].contact")
        #expect(error.line == 15)
        #expect(error.message.contains("'Bob' is not a contact"))
    }

    @Test func escalationChannelTheContactLacksIsRefused() throws {
        let error = try #require(
            parseError(changedYAML("    channel: pager", with: "    channel: phone")))
        #expect(error.keyPath == "escalation[0].channel")
        #expect(error.line == 17)
    }

    @Test func invalidYAMLNamesLineAndTheKeyBeforeIt() throws {
        let error = try #require(
            parseError(changedYAML("    role: on call", with: "    role: \"on call")))
        #expect(error.code == .invalidYAML)
        #expect((error.line ?? 0) >= 11)
        #expect(error.message.contains("line 11"))
        #expect(error.keyPath.hasPrefix("contacts[0]"))
    }

    @Test func duplicateKeyIsInvalidYAMLWithItsLine() throws {
        let error = try #require(
            parseError(changedYAML("    location: eu", with: "    location: eu\n    location: us")))
        #expect(error.code == .invalidYAML)
        #expect(error.message.contains("location"))
        #expect(error.line == 8)
    }

    @Test func missingRequiredKeyIsNamed() throws {
        let error = try #require(parseError(changedYAML("    location: eu\n", with: "")))
        #expect(error.code == .missingKey)
        #expect(error.keyPath == "regions[1].location")
        #expect(error.line == 6)
    }

    @Test func rpoZeroNeedsSyncDurability() throws {
        let error = try #require(parseError(minimalYAML + "\ndurability: async\nobjectives:\n  rpo: 0"))
        #expect(error.keyPath == "objectives.rpo")
        #expect(error.line == 20)
    }

    @Test func twoPrimariesAreRefused() throws {
        let error = try #require(parseError(changedYAML("role: standby", with: "role: primary")))
        #expect(error.keyPath == "regions[1].role")
        #expect(error.line == 7)
    }

    @Test func badTimeZoneAndPhoneAreRefused() throws {
        let zone = try #require(parseError(changedYAML("Europe/Dublin", with: "Mars/Olympus")))
        #expect(zone.keyPath == "contacts[0].time-zone")
        let phone = try #require(
            parseError(changedYAML("    pager: ada-pager", with: "    phone: call me")))
        #expect(phone.keyPath == "contacts[0].phone")
        #expect(phone.line == 12)
    }

    @Test func unreadableFileIsAnError() {
        do {
            _ = try Deployment.load(path: "/nonexistent/deployment.yaml")
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.description.hasPrefix("/nonexistent/deployment.yaml: "))
        }
    }

    @Test func calendarDaysParseOnlyRealDays() {
        #expect(CalendarDay(text: "2026-02-28")?.adding(days: 1).text == "2026-03-01")
        #expect(CalendarDay(text: "2026-02-30") == nil)
        #expect(CalendarDay(text: "26-2-3") == nil)
        #expect(day("2026-01-01").days(until: day("2026-04-01")) == 90)
    }
}
