import Failover

/// One deployment of CustomerPortal as its disaster-recovery file describes it (`deploy/customer-portal.dr.yaml`):
/// regions and roles, durability, the controller's settings, objectives, alarms, notifications, contacts and
/// escalation, reviews, drills and the AWS side. The lab, the controller and the runbook all read it.
///
/// Load it with `load(path:)` or `parse(yaml:source:)`; both reject an invalid file with an error that names the
/// key and the line. Every field has a default except the regions, contacts and escalation, which only the
/// deployment can say.
public struct Deployment: Hashable, Sendable {
    /// The deployment's name, such as `customer-portal`.
    public var name: String = "customer-portal"
    /// The lab that runs this deployment on one machine.
    public var lab = Lab()
    /// Every region, in the order of preference for failover (the first standby is the first candidate).
    public var regions: [Region] = []
    /// How commits are replicated.
    public var durability: Durability = .sync
    /// The controller's tunables (section `controller`, keys exactly `ControllerSettings.keys`).
    public var controller = ControllerSettings()
    /// RTO and RPO.
    public var objectives = Objectives()
    /// Alarm thresholds that are not controller settings.
    public var alarms = Alarms()
    /// Where alarms are sent besides the people in the escalation path.
    public var notifications = Notifications()
    /// The people who can be paged.
    public var contacts: [Contact] = []
    /// Whom to page, in order, and after how long without an acknowledgement.
    public var escalation: [EscalationStep] = []
    /// How often the runbook is reviewed, and the record of the reviews.
    public var review = Review()
    /// Where the drill history is.
    public var drills = Drills()
    /// The AWS form of the deployment, when it runs on AWS.
    public var aws: AWS?

    public init() {}

    /// The lab's state folder and other lab settings (section `lab`).
    public struct Lab: Hashable, Sendable {
        /// The lab's state folder, given to every `drctl` command as `--dir`.
        public var dir: String = ".drlab"
        public init() {}
    }

    /// Where drills record their outcome (section `drills`).
    public struct Drills: Hashable, Sendable {
        /// A JSON-lines file of `Failover.DrillRecord`, relative to the folder `drctl` runs in.
        public var history: String = "docs/drills/history.jsonl"
        public init() {}
    }

    /// The region whose role is `primary` in the file: the home of the primary database.
    public var primaryRegion: Region? { regions.first { $0.role == .primary } }

    /// The standby regions, in the file's order (the order of preference for failover).
    public var standbyRegions: [Region] { regions.filter { $0.role == .standby } }

    /// The contact with this name, compared exactly.
    public func contact(named name: String) -> Contact? {
        contacts.first { $0.name == name }
    }

    /// The escalation path resolved to people: whom to page first, then next, with the channel and the address
    /// to use. Steps that name no known contact or a channel the contact lacks are left out (a loaded file has
    /// none).
    public var pagingOrder: [Page] {
        escalation.enumerated().compactMap { index, step in
            guard let contact = contact(named: step.contact), let address = contact.address(for: step.channel) else {
                return nil
            }
            return Page(
                position: index + 1, contact: contact, channel: step.channel, address: address,
                afterMinutes: step.afterMinutes)
        }
    }
}
