extension Deployment {
    /// How often the runbook and the deployment are reviewed, and what each review changed (section `review`).
    public struct Review: Hashable, Sendable {
        /// The longest time allowed since the last review and since the last passing drill, such as `90d`.
        public var cadence: Duration = .seconds(90 * 86_400)
        /// Past reviews, as written in the file.
        public var log: [ReviewEntry] = []
        public init() {}

        /// The cadence in whole days (rounded up), the unit reviews and drills are counted in.
        public var cadenceDays: Int {
            let seconds = cadence.components.seconds + (cadence.components.attoseconds > 0 ? 1 : 0)
            return Int((seconds + 86_399) / 86_400)
        }

        /// The most recent review, by date.
        public var lastReview: ReviewEntry? { log.max { $0.date < $1.date } }
    }

    /// One review of the runbook: when, by whom, and what changed.
    public struct ReviewEntry: Hashable, Sendable {
        public var date: CalendarDay
        /// Who reviewed (a contact's name or anyone else's).
        public var by: String
        /// What the review changed, or that nothing had to change.
        public var changes: String

        public init(date: CalendarDay, by: String, changes: String) {
            self.date = date
            self.by = by
            self.changes = changes
        }
    }
}
