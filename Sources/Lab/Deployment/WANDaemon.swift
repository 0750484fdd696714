import Foundation
import Hummingbird
import Logging

/// The lab's WAN emulator process (`drctl lab wan --plan FILE`): opens every route of the plan on its fixed
/// port, sets the links' initial conditions, and serves the admin API until SIGTERM or SIGINT.
public enum WANDaemon {
    public static func run(planFile: String, logger: Logger) async throws {
        guard let data = FileManager.default.contents(atPath: planFile) else {
            throw LabError(.stateUnreadable, "cannot read the WAN plan \(planFile)")
        }
        let plan = try JSONDecoder().decode(WANPlan.self, from: data)
        let emulator = WANEmulator(logger: logger)
        for link in plan.links { emulator.setConditions(link.conditions, between: link.a, and: link.b) }
        for route in plan.routes {
            _ = try await emulator.addRoute(
                name: route.name, from: route.from, to: route.to, listenPort: route.listenPort,
                targetHost: route.targetHost, targetPort: route.targetPort, sourceByPeerURL: route.sourceByPeerURL)
        }
        logger.info("WAN emulator up", metadata: ["routes": "\(plan.routes.count)", "admin.port": "\(plan.adminPort)"])
        let app = buildWANAdminApplication(emulator: emulator, host: "127.0.0.1", port: plan.adminPort, logger: logger)
        try await app.runService()
        await emulator.shutdown()
    }
}
