import Foundation
import Testing

@testable import Lab

@Suite struct LabPortsTests {
    /// The tests reserve ports below 1024, which the lab never picks, so they cannot stand in a real lab's way.
    static func reservationFile(_ port: Int) -> String {
        (LabPorts.reservations as NSString).appendingPathComponent(String(port))
    }

    @Test func aReservedPortIsRefusedToEveryOtherPicker() throws {
        let port = Int.random(in: 600..<1000)
        try FileManager.default.createDirectory(atPath: LabPorts.reservations, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: Self.reservationFile(port)) }
        #expect(LabPorts.reserve(port))
        #expect(!LabPorts.reserve(port), "a second process must not get the same port")
    }

    @Test func aStaleReservationIsTakenOver() throws {
        let port = Int.random(in: 600..<1000)
        let file = Self.reservationFile(port)
        try FileManager.default.createDirectory(atPath: LabPorts.reservations, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        let old = Date().addingTimeInterval(-(LabPorts.reservationLifetime + 60))
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: file)
        #expect(LabPorts.reserve(port))
        #expect(!LabPorts.reserve(port))
    }

    @Test func picksAreReservedAndBelowTheEphemeralRange() throws {
        let ports = try (0..<20).map { _ in try LabPorts.pick() }
        defer { for port in ports { try? FileManager.default.removeItem(atPath: Self.reservationFile(port)) } }
        #expect(Set(ports).count == ports.count)
        for port in ports {
            #expect((10_000..<LabPorts.ephemeralRangeStart()).contains(port))
            #expect(FileManager.default.fileExists(atPath: Self.reservationFile(port)))
        }
    }
}
