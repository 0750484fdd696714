/// Writes a runbook document as GitHub-flavoured Markdown. The output depends on the document only, so the same
/// deployment, history and day always give the same bytes.
public enum MarkdownRenderer {
    /// The document as Markdown, ending in one newline.
    public static func render(_ document: RunbookDocument) -> String {
        var output = Runbook.generatedMarker(source: document.source, asOf: document.asOf) + "\n\n"
        output += "# \(escaped(document.title))\n\n"
        for block in document.blocks { output += render(block) }
        while output.hasSuffix("\n\n") { output.removeLast() }
        return output
    }

    static func render(_ block: RunbookBlock) -> String {
        switch block {
        case .heading(let level, let text, _):
            return String(repeating: "#", count: min(max(level, 1), 6)) + " " + escaped(text) + "\n\n"
        case .paragraph(let inlines):
            return render(inlines) + "\n\n"
        case .bullets(let items):
            return items.map { "- " + render($0) + "\n" }.joined() + "\n"
        case .numbered(let items):
            return items.enumerated().map { "\($0 + 1). " + render($1) + "\n" }.joined() + "\n"
        case .table(let header, let rows):
            var text = "| " + header.map { escaped($0, inTable: true) }.joined(separator: " | ") + " |\n"
            text += "|" + header.map { _ in " --- |" }.joined() + "\n"
            for row in rows {
                text += "| " + row.map { render($0, inTable: true) }.joined(separator: " | ") + " |\n"
            }
            return text + "\n"
        case .commands(let commands):
            return codeBlock(commands)
        case .step(let step):
            var text = "**Step \(step.number).** " + render(step.action) + "\n\n" + codeBlock(step.commands)
            if !step.verify.isEmpty || !step.verifyCommands.isEmpty {
                let with = step.verifyCommands.map { codeSpan($0.description, inTable: false) }
                text += "*Verify*" + (with.isEmpty ? "" : " with " + with.joined(separator: " and "))
                text += step.verify.isEmpty ? ".\n\n" : ": " + render(step.verify) + "\n\n"
            }
            return text
        case .callout(let kind, let inlines):
            let label = kind == .warning ? "Warning" : "Note"
            return "> **\(label):** " + render(inlines) + "\n\n"
        case .preformatted(let title, let text):
            return "*\(escaped(title))*\n\n```text\n" + text + (text.hasSuffix("\n") ? "" : "\n") + "```\n\n"
        }
    }

    static func codeBlock(_ commands: [ShellCommand]) -> String {
        guard !commands.isEmpty else { return "" }
        return "```sh\n" + commands.map { "\($0)\n" }.joined() + "```\n\n"
    }

    static func render(_ inlines: [RunbookInline], inTable: Bool = false) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text): escaped(text, inTable: inTable)
            case .strong(let text): "**" + escaped(text, inTable: inTable) + "**"
            case .code(let code): codeSpan(code, inTable: inTable)
            case .link(let text, let target): "[" + escaped(text, inTable: inTable) + "](" + target + ")"
            }
        }.joined()
    }

    /// A code span; a backtick inside takes a longer fence, and `|` is escaped inside a table cell (GitHub splits
    /// cells on it even within code).
    static func codeSpan(_ code: String, inTable: Bool) -> String {
        let body = inTable ? code.replacing("|", with: "\\|") : code
        guard body.contains("`") else { return "`" + body + "`" }
        return "`` " + body + " ``"
    }

    /// Text with the characters Markdown would read as markup escaped.
    static func escaped(_ text: String, inTable: Bool = false) -> String {
        var output = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#":
                output.append("\\")
                output.append(character)
            case "|" where inTable:
                output += "\\|"
            case "\n":
                output += inTable ? " " : "\n"
            default:
                output.append(character)
            }
        }
        return output
    }
}
