import Failover
import Foundation
import Yams

extension Deployment {
    /// The top-level keys of a deployment file, in the order the default file writes them.
    public static let fileKeys = [
        "name", "lab", "regions", "durability", "controller", "objectives", "alarms", "notifications", "contacts",
        "escalation", "review", "drills", "aws",
    ]

    /// Reads and checks a deployment file; an error names the key path and the line.
    public static func load(path: String) throws(DeploymentFileError) -> Deployment {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeploymentFileError(.unreadable, "cannot be read (is the path right?)", keyPath: "", source: path)
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            throw DeploymentFileError(.unreadable, "is not UTF-8 text", keyPath: "", source: path)
        }
        return try parse(yaml: yaml, source: path)
    }

    /// Parses and checks the text of a deployment file; `source` names it in errors.
    public static func parse(yaml: String, source: String = "deployment file") throws(DeploymentFileError)
        -> Deployment
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw DeploymentFileError(yaml: error, text: yaml, source: source)
        } catch {
            throw DeploymentFileError(.invalidYAML, "is not YAML: \(error)", keyPath: "", source: source)
        }
        guard let root else {
            throw DeploymentFileError(.missingKey, "is empty", keyPath: "", source: source, line: 1, column: 1)
        }
        let marks = KeyPathMarks()
        let deployment = try Deployment(FileNode(root, keyPath: "", source: source, marks: marks))
        do {
            try deployment.validate()
        } catch var error {
            let mark = marks.mark(for: error.keyPath)
            error.source = source
            error.line = mark?.line
            error.column = mark?.column
            throw error
        }
        return deployment
    }

    init(_ node: FileNode) throws(DeploymentFileError) {
        let top = try node.mapping(known: Self.fileKeys)
        if let name = top.optional("name") {
            self.name = try name.text("a name of letters, digits and dashes") { Self.isSimpleName($0) }
        }
        if let lab = top.optional("lab") {
            let section = try lab.mapping(known: ["dir"])
            if let dir = section.optional("dir") { self.lab.dir = try dir.text() }
        }
        regions = try top.required("regions").list().map { item throws(DeploymentFileError) in try Region(item) }
        if let durability = top.optional("durability") { self.durability = try durability.choice(Durability.self) }
        if let controller = top.optional("controller") { self.controller = try Self.controllerSettings(controller) }
        if let objectives = top.optional("objectives") { self.objectives = try Objectives(objectives) }
        if let alarms = top.optional("alarms") { self.alarms = try Alarms(alarms) }
        if let notifications = top.optional("notifications") {
            self.notifications = try Notifications(notifications)
        }
        contacts = try top.required("contacts").list().map { item throws(DeploymentFileError) in
            try Contact(item)
        }
        escalation = try top.required("escalation").list().map { item throws(DeploymentFileError) in
            try EscalationStep(item)
        }
        if let review = top.optional("review") { self.review = try Review(review) }
        if let drills = top.optional("drills") {
            let section = try drills.mapping(known: ["history"])
            if let history = section.optional("history") { self.drills.history = try history.text() }
        }
        if let aws = top.optional("aws") { self.aws = try AWS(aws) }
    }

    /// Applies the `controller` section through `ControllerSettings.apply(key:value:)`, whatever the keys' order.
    static func controllerSettings(_ node: FileNode) throws(DeploymentFileError) -> ControllerSettings {
        let section = try node.mapping(known: ControllerSettings.keys)
        var settings = ControllerSettings()
        for (key, value) in section.entries {
            let text = try value.text()
            do {
                try settings.apply(key: key, value: text)
            } catch {
                // `apply` sets the value, then checks every setting together; a complaint about another key
                // (clock-margin against a lease-duration set later in the file) waits for the final check.
                if error.message.hasPrefix("\(key):") {
                    throw value.error(.invalidValue, Self.withoutKey(error.message, key))
                }
            }
        }
        do {
            try settings.validate()
        } catch {
            let key = ControllerSettings.keys.first { error.message.hasPrefix("\($0):") }
            let blamed = key.flatMap { section.optional($0) } ?? node
            throw blamed.error(.invalidValue, key.map { Self.withoutKey(error.message, $0) } ?? error.message)
        }
        return settings
    }

    private static func withoutKey(_ message: String, _ key: String) -> String {
        guard message.hasPrefix("\(key):") else { return message }
        return String(message.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces)
    }

    static func isSimpleName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 63
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

extension Deployment.Region {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["name", "role", "location", "owner"])
        let name = try section.required("name").text("a region name such as eu-west-1") {
            RegionName($0).isWellFormed
        }
        let role = try section.required("role").choice(Role.self)
        let location = try section.required("location").text("a client location such as us, eu or ap") { text in
            (2...8).contains(text.count) && text.allSatisfy { $0.isASCII && $0.isLowercase }
        }
        self.init(
            name: RegionName(name), role: role, location: location, owner: try section.optional("owner")?.text())
    }
}

extension Deployment.Objectives {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["rto", "rpo"])
        self.init()
        if let rto = section.optional("rto") { self.rto = try rto.duration() }
        if let rpo = section.optional("rpo") { self.rpo = try rpo.duration(allowsZero: true) }
    }
}

extension Deployment.Alarms {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["error-rate-percent", "error-rate-window", "login-failures"])
        self.init()
        if let rate = section.optional("error-rate-percent") { errorRatePercent = try rate.number(in: 0.1...100) }
        if let window = section.optional("error-rate-window") { errorRateWindow = try window.duration() }
        if let failures = section.optional("login-failures") {
            loginFailures = try failures.wholeNumber(in: 1...1_000_000)
        }
    }
}

extension Deployment.Notifications {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["webhooks", "file", "status-page"])
        self.init()
        webhooks =
            try section.optional("webhooks")?.list().map { item throws(DeploymentFileError) in
                try item.text("an http or https URL") { Self.isWebURL($0) }
            } ?? []
        file = try section.optional("file")?.text()
        statusPage = try section.optional("status-page")?.text("an http or https URL") { Self.isWebURL($0) }
    }

    static func isWebURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host, !host.isEmpty else {
            return false
        }
        return scheme == "https" || scheme == "http"
    }
}

extension Deployment.Contact {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["name", "role", "phone", "email", "pager", "chat", "time-zone"])
        self.init(
            name: try section.required("name").text(),
            role: try section.required("role").text(),
            phone: try section.optional("phone")?.text("a phone number such as +1 555 0100") { text in
                text.hasPrefix("+") && text.dropFirst().contains(where: \.isNumber)
                    && text.dropFirst().allSatisfy { $0.isNumber || $0 == " " || $0 == "-" }
            },
            email: try section.optional("email")?.text("an e-mail address") { text in
                let parts = text.split(separator: "@", omittingEmptySubsequences: false)
                return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
            },
            pager: try section.optional("pager")?.text(),
            chat: try section.optional("chat")?.text(),
            timeZone: try section.required("time-zone").text("an IANA time zone such as Europe/Dublin") {
                TimeZone(identifier: $0) != nil
            })
    }
}

extension Deployment.EscalationStep {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["contact", "after-minutes", "channel"])
        self.init(
            contact: try section.required("contact").text(),
            afterMinutes: try section.required("after-minutes").wholeNumber(in: 0...10_080),
            channel: try section.required("channel").choice(Deployment.Channel.self))
    }
}

extension Deployment.Review {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: ["cadence", "log"])
        self.init()
        if let cadence = section.optional("cadence") { self.cadence = try cadence.duration() }
        log =
            try section.optional("log")?.list().map { item throws(DeploymentFileError) in
                let entry = try item.mapping(known: ["date", "by", "changes"])
                let dateNode = try entry.required("date")
                let dateText = try dateNode.text("a date YYYY-MM-DD") { CalendarDay(text: $0) != nil }
                return Deployment.ReviewEntry(
                    date: CalendarDay(text: dateText)!, by: try entry.required("by").text(),
                    changes: try entry.required("changes").text())
            } ?? []
    }
}

extension Deployment.AWS {
    init(_ node: FileNode) throws(DeploymentFileError) {
        let section = try node.mapping(known: [
            "control-region", "global-cluster", "accelerator-arn", "hosted-zone-id", "record-name", "alarm-prefix",
            "regions",
        ])
        self.init()
        if let region = section.optional("control-region") {
            controlRegion = RegionName(try region.text("an AWS region name") { RegionName($0).isWellFormed })
        }
        globalCluster = try section.required("global-cluster").text(
            "a cluster identifier (a letter, then letters, digits and dashes)"
        ) { text in
            text.first?.isLetter == true && text.count <= 63
                && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        acceleratorARN = try section.optional("accelerator-arn")?.text("a Global Accelerator ARN") { text in
            text.hasPrefix("arn:aws:globalaccelerator::") && text.contains(":accelerator/") && !text.contains(" ")
        }
        hostedZoneID = try section.optional("hosted-zone-id")?.text("a Route 53 hosted zone id such as Z0123456789ABC")
        {
            text in
            text.hasPrefix("Z") && text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
        }
        recordName = try section.optional("record-name")?.text("a DNS name such as portal.example.com") { text in
            text.contains(".") && !text.contains(" ") && !text.contains("/")
        }
        if let prefix = section.optional("alarm-prefix") {
            alarmPrefix = try prefix.text("a name of letters, digits and dashes") { Deployment.isSimpleName($0) }
        }
        for (name, node) in try section.required("regions").namedEntries() {
            guard RegionName(name).isWellFormed else {
                throw node.error(.invalidValue, "'\(name)' is not an AWS region name such as eu-west-1")
            }
            let resources = try node.mapping(known: ["db-cluster-arn", "endpoint-group-arn", "health-check-id"])
            regions[RegionName(name)] = RegionResources(
                dbClusterARN: try resources.required("db-cluster-arn").text("an Aurora cluster ARN") { text in
                    text.hasPrefix("arn:aws:rds:\(name):") && text.contains(":cluster:") && !text.contains(" ")
                },
                endpointGroupARN: try resources.required("endpoint-group-arn").text(
                    "a Global Accelerator endpoint group ARN"
                ) { text in
                    text.hasPrefix("arn:aws:globalaccelerator::") && text.contains("/endpoint-group/")
                        && !text.contains(" ")
                },
                healthCheckID: try resources.optional("health-check-id")?.text())
        }
    }
}
