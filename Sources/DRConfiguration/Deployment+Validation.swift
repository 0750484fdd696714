extension Deployment {
    /// Throws the first of `problems`. Parsing calls it and adds the file's line to the error.
    public func validate() throws(DeploymentFileError) {
        if let problem = problems.first { throw problem }
    }

    /// What is wrong across keys (one primary, escalation names known contacts, every contact reachable …), each
    /// naming the key path as the file writes it. Values of the wrong form are caught earlier, while parsing.
    public var problems: [DeploymentFileError] {
        var problems: [DeploymentFileError] = []
        func problem(_ keyPath: String, _ message: String, _ code: DeploymentFileError.Code = .invalidValue) {
            problems.append(DeploymentFileError(code, message, keyPath: keyPath))
        }

        if regions.count < 2 {
            problem("regions", "needs at least two regions (one primary and a standby to fail over to)")
        }
        let primaries = regions.indices.filter { regions[$0].role == .primary }
        if primaries.count != 1 {
            problem(
                primaries.count > 1 ? "regions[\(primaries[1])].role" : "regions",
                "exactly one region must have role primary, found \(primaries.count)")
        }
        var regionNames: Set<String> = []
        for (index, region) in regions.enumerated() {
            if !regionNames.insert(region.name.rawValue).inserted {
                problem("regions[\(index)].name", "region '\(region.name)' appears twice")
            }
            if let owner = region.owner, contact(named: owner) == nil {
                problem("regions[\(index)].owner", "'\(owner)' is not a contact (\(contactNames))")
            }
        }

        if objectives.rto <= .zero { problem("objectives.rto", "must be longer than 0") }
        if objectives.rpo == .zero && durability != .sync {
            problem(
                "objectives.rpo",
                "RPO 0 needs durability sync; with \(durability.rawValue) a failover can lose the replication lag")
        }

        if contacts.isEmpty { problem("contacts", "needs at least one contact", .missingKey) }
        var seenContacts: Set<String> = []
        for (index, contact) in contacts.enumerated() {
            if !seenContacts.insert(contact.name).inserted {
                problem("contacts[\(index)].name", "contact '\(contact.name)' appears twice")
            }
            if contact.channels.isEmpty {
                problem(
                    "contacts[\(index)]",
                    "contact '\(contact.name)' has no channel: give at least one of pager, phone, chat, email",
                    .missingKey)
            }
        }

        if escalation.isEmpty { problem("escalation", "needs at least one step", .missingKey) }
        for (index, step) in escalation.enumerated() {
            guard let contact = contact(named: step.contact) else {
                problem("escalation[\(index)].contact", "'\(step.contact)' is not a contact (\(contactNames))")
                continue
            }
            if contact.address(for: step.channel) == nil {
                problem(
                    "escalation[\(index)].channel",
                    "contact '\(contact.name)' has no \(step.channel.rawValue) (has: "
                        + contact.channels.map(\.rawValue).joined(separator: ", ") + ")")
            }
            if step.afterMinutes < 0 { problem("escalation[\(index)].after-minutes", "must not be negative") }
            if index > 0 && step.afterMinutes < escalation[index - 1].afterMinutes {
                problem(
                    "escalation[\(index)].after-minutes",
                    "must not be less than the step before (\(escalation[index - 1].afterMinutes))")
            }
        }

        if let aws {
            if !regionNames.contains(aws.controlRegion.rawValue) {
                problem("aws.control-region", "'\(aws.controlRegion)' is not one of the regions")
            }
            for region in regions where aws.regions[region.name] == nil {
                problem("aws.regions", "region '\(region.name)' has no AWS resources", .missingKey)
            }
            for name in aws.regions.keys.sorted() where !regionNames.contains(name.rawValue) {
                problem("aws.regions.\(name)", "'\(name)' is not one of the regions")
            }
        }
        return problems
    }

    private var contactNames: String {
        contacts.isEmpty ? "no contacts" : "contacts: " + contacts.map(\.name).joined(separator: ", ")
    }
}
