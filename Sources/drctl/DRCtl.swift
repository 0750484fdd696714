import ArgumentParser

/// `drctl`: the disaster-recovery control tool (lab, edge, controller, drills, runbook, AWS).
@main
struct DRCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drctl",
        abstract: "Disaster-recovery control for CustomerPortal: lab, failover, drills, runbook and AWS.",
        subcommands: [
            LabCommand.self, StatusCommand.self, EventsCommand.self, FailoverCommand.self, SwitchoverCommand.self,
            RejoinCommand.self, ModeCommand.self, DrillCommand.self, DrainCommand.self, UndrainCommand.self,
            FaultCommand.self, UICommand.self,
            ControllerCommand.self, EdgeCommand.self, TrafficCommand.self, AWSCommand.self, RunbookCommand.self,
        ]
    )
}
