import DRConfiguration
import Failover

extension RunbookBuilder {
    func communication() -> [RunbookBlock] {
        let pages = deployment.pagingOrder
        let name = deployment.name
        let statusPage = deployment.notifications.statusPage
        var callOrder: [[RunbookInline]] = pages.map { page in
            let when = page.afterMinutes == 0 ? "At once" : "After \(page.afterMinutes) minutes without an answer"
            return [.text("\(when): "), .strong(page.contact.name), .text(", \(page.contact.role): ")]
                + [.text("\(page.channel.rawValue) "), .code(page.address)]
        }
        if callOrder.isEmpty { callOrder = [[.text("No escalation path is configured.")]] }
        var blocks: [RunbookBlock] = [
            .heading(2, "Communication"),
            .paragraph(
                text(
                    "Whom to call, in this order, until someone acknowledges. The first person to acknowledge is "
                        + "the incident commander until they hand over; they decide on failover and name who "
                        + "writes to customers.")),
            .numbered(callOrder),
        ]
        var statusPageText = [RunbookInline](template: "Post on the status page")
        if let statusPage { statusPageText += [.text(" ("), .link(statusPage, target: statusPage), .text(")")] }
        statusPageText += text(
            " within 15 minutes of the first alarm and at least every 30 minutes until resolved; say what users see, "
                + "not the internals. Replace the words in braces.")
        blocks.append(.paragraph(statusPageText))
        blocks.append(
            .preformatted(
                title: "Status page: investigating",
                text: """
                    Investigating – \(name)
                    Since {start time UTC} some customers in {area} cannot sign in or change their account. We are \
                    investigating and will update this page by {next update time UTC}.
                    """))
        blocks.append(
            .preformatted(
                title: "Status page: failing over",
                text: """
                    Identified – \(name)
                    A problem in one of our hosting regions affects sign-in and account changes for customers in \
                    {area}. We are moving the service to another region; most customers should be able to sign in \
                    again within minutes. Next update by {next update time UTC}.
                    """))
        blocks.append(
            .preformatted(
                title: "Status page: failed over, monitoring",
                text: """
                    Monitoring – \(name)
                    Sign-in and account changes work again for all customers since {recovery time UTC}, served from \
                    another region. Some customers may be asked to sign in again. We are monitoring and will post a \
                    summary once the original region is back.
                    """))
        blocks.append(
            .preformatted(
                title: "Status page: resolved",
                text: """
                    Resolved – \(name)
                    Between {start time UTC} and {recovery time UTC} some customers could not sign in or change their \
                    account. The service has run normally since {recovery time UTC}. {No data was lost. | Changes \
                    made by a small number of customers between {loss start} and {loss end} were lost; we have \
                    contacted them.} We will publish what we learned by {date}.
                    """))
        blocks.append(
            .preformatted(
                title: "Message to affected customers (after a loss of data)",
                text: """
                    Subject: Please check your {service} account

                    Hello {display name},

                    On {date}, between {loss start} and {loss end} UTC, a failure at one of our hosting providers' \
                    regions made us move {service} to another region. A change you made to your account in that \
                    window was not kept: {what: your new password | your new e-mail address | signing out of other \
                    devices}. To be safe we have signed you out everywhere. Please sign in and {make the change \
                    again}.

                    We are sorry for the trouble. If anything about your account looks wrong, reply to this message.
                    """))
        return blocks
    }

    func contactsAndEscalation() -> [RunbookBlock] {
        func cell(_ value: String?) -> [RunbookInline] { value.map { [.text($0)] } ?? [.text("–")] }
        let contactRows: [[[RunbookInline]]] = deployment.contacts.map { contact in
            let owns = deployment.regions.filter { $0.owner == contact.name }.map(\.name.rawValue)
            return [
                [.strong(contact.name)], [.text(contact.role)], cell(contact.pager), cell(contact.phone),
                cell(contact.chat), cell(contact.email), [.text(contact.timeZone)],
                owns.isEmpty ? [.text("–")] : [.text(owns.joined(separator: ", "))],
            ]
        }
        let escalationRows: [[[RunbookInline]]] = deployment.pagingOrder.map { page in
            [
                [.text(String(page.position))], [.text(String(page.afterMinutes))], [.text(page.contact.name)],
                [.text(page.channel.rawValue)], [.code(page.address)],
            ]
        }
        var blocks: [RunbookBlock] = [
            .heading(2, "Contacts and escalation"),
            .table(
                header: ["Name", "Role", "Pager", "Phone", "Chat", "E-mail", "Time zone", "Owns"], rows: contactRows),
            .paragraph(
                text(
                    "The escalation path: each step pages its contact when the alarm is that many minutes old and "
                        + "nobody has acknowledged it.")),
            .table(
                header: ["Step", "After (minutes)", "Who", "Channel", "Address"], rows: escalationRows),
        ]
        for contact in deployment.contacts where contact.channels.isEmpty {
            blocks.append(.callout(.warning, [.text("\(contact.name) has no channel and cannot be reached.")]))
        }
        return blocks
    }
}
