import Failover
import Foundation

extension LabDeployment {
    /// Changes the primary's durability mode at run time and records it in the state.
    public func setDurability(_ durability: Durability) async throws {
        var state = try state()
        let primary = try state.region(state.primary)
        try await Self.applyDurability(
            durability, standbys: state.regions.map(\.name).filter { $0 != state.primary }, port: primary.postgres.port)
        state.durability = durability
        try state.save()
    }
}
