extension Deployment {
    /// A person who can be paged (section `contacts`). A contact needs at least one channel.
    public struct Contact: Hashable, Sendable {
        /// The name the escalation path and region owners use.
        public var name: String
        /// What the person does in an incident, such as `incident commander`.
        public var role: String
        /// A telephone number, `+` and digits.
        public var phone: String?
        public var email: String?
        /// A pager handle, such as a PagerDuty user or schedule.
        public var pager: String?
        /// A chat handle, such as `@ada` or `#dr-incident`.
        public var chat: String?
        /// An IANA time zone, such as `Europe/Dublin`.
        public var timeZone: String

        public init(
            name: String, role: String, phone: String? = nil, email: String? = nil, pager: String? = nil,
            chat: String? = nil, timeZone: String
        ) {
            self.name = name
            self.role = role
            self.phone = phone
            self.email = email
            self.pager = pager
            self.chat = chat
            self.timeZone = timeZone
        }

        /// The channels this contact can be reached on, in `Channel` order.
        public var channels: [Channel] { Channel.allCases.filter { address(for: $0) != nil } }

        /// The phone number, address or handle for a channel; nil when the contact has none.
        public func address(for channel: Channel) -> String? {
            switch channel {
            case .pager: pager
            case .phone: phone
            case .chat: chat
            case .email: email
            }
        }
    }

    /// A way to reach a contact.
    public enum Channel: String, Hashable, Sendable, CaseIterable {
        case pager
        case phone
        case chat
        case email
    }

    /// One step of the escalation path (section `escalation`): page this contact on this channel once this many
    /// minutes have passed without an acknowledgement.
    public struct EscalationStep: Hashable, Sendable {
        /// The name of a contact.
        public var contact: String
        /// Minutes after the alarm without an acknowledgement; 0 pages at once.
        public var afterMinutes: Int
        public var channel: Channel

        public init(contact: String, afterMinutes: Int, channel: Channel) {
            self.contact = contact
            self.afterMinutes = afterMinutes
            self.channel = channel
        }
    }

    /// An escalation step resolved to a person: what `pagingOrder` returns and what an alarm names.
    public struct Page: Hashable, Sendable {
        /// 1 for the first person to page.
        public var position: Int
        public var contact: Contact
        public var channel: Channel
        /// The number, address or handle to page on `channel`.
        public var address: String
        /// Minutes after the alarm without an acknowledgement.
        public var afterMinutes: Int
    }
}
