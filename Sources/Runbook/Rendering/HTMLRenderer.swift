/// Writes a runbook document as one self-contained HTML page (styles inline, no scripts, nothing fetched), to
/// open on a laptop or print when the wiki is down with the region.
public enum HTMLRenderer {
    /// The document as HTML, ending in one newline.
    public static func render(_ document: RunbookDocument) -> String {
        var output = """
            <!DOCTYPE html>
            \(Runbook.generatedMarker(source: document.source, asOf: document.asOf))
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escaped(document.title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <main>
            <h1>\(escaped(document.title))</h1>

            """
        for block in document.blocks { output += render(block) }
        output += "</main>\n</body>\n</html>\n"
        return output
    }

    static let style = """
        body { font-family: system-ui, "Segoe UI", sans-serif; line-height: 1.5; color: #1b1f23; margin: 0; }
        main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
        h1, h2, h3, h4 { line-height: 1.25; margin-top: 1.8em; }
        h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
        code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
        code { background: #f3f4f6; padding: .1em .3em; border-radius: 4px; }
        pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .8em 1em; overflow-x: auto; }
        pre code { background: none; padding: 0; }
        table { border-collapse: collapse; margin: 1em 0; display: block; overflow-x: auto; }
        th, td { border: 1px solid #d0d7de; padding: .35em .6em; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; }
        .callout { border-left: 4px solid #0969da; background: #ddf4ff; padding: .6em 1em; margin: 1em 0; }
        .callout.warning { border-color: #bf8700; background: #fff8c5; }
        .step { margin: 1.2em 0; }
        .verify { border-left: 3px solid #1a7f37; padding-left: .8em; }
        @media print { pre { white-space: pre-wrap; } a { color: inherit; } }
        """

    static func render(_ block: RunbookBlock) -> String {
        switch block {
        case .heading(let level, let text, let anchor):
            let tag = "h\(min(max(level, 2), 6))"
            return "<\(tag) id=\"\(escaped(anchor))\">\(escaped(text))</\(tag)>\n"
        case .paragraph(let inlines):
            return "<p>\(render(inlines))</p>\n"
        case .bullets(let items):
            return "<ul>\n" + items.map { "<li>\(render($0))</li>\n" }.joined() + "</ul>\n"
        case .numbered(let items):
            return "<ol>\n" + items.map { "<li>\(render($0))</li>\n" }.joined() + "</ol>\n"
        case .table(let header, let rows):
            var text = "<table>\n<thead><tr>" + header.map { "<th>\(escaped($0))</th>" }.joined() + "</tr></thead>\n"
            text += "<tbody>\n"
            for row in rows { text += "<tr>" + row.map { "<td>\(render($0))</td>" }.joined() + "</tr>\n" }
            return text + "</tbody>\n</table>\n"
        case .commands(let commands):
            return codeBlock(commands)
        case .step(let step):
            var text = "<div class=\"step\">\n<p><strong>Step \(step.number).</strong> \(render(step.action))</p>\n"
            text += codeBlock(step.commands)
            if !step.verify.isEmpty || !step.verifyCommands.isEmpty {
                let with = step.verifyCommands.map { "<code>\(escaped($0.description))</code>" }
                text += "<p class=\"verify\"><em>Verify</em>"
                text += with.isEmpty ? "" : " with " + with.joined(separator: " and ")
                text += step.verify.isEmpty ? ".</p>\n" : ": \(render(step.verify))</p>\n"
            }
            return text + "</div>\n"
        case .callout(let kind, let inlines):
            let label = kind == .warning ? "Warning" : "Note"
            return "<div class=\"callout \(kind.rawValue)\"><strong>\(label):</strong> \(render(inlines))</div>\n"
        case .preformatted(let title, let text):
            return "<p><em>\(escaped(title))</em></p>\n<pre>\(escaped(text))</pre>\n"
        }
    }

    static func codeBlock(_ commands: [ShellCommand]) -> String {
        guard !commands.isEmpty else { return "" }
        return "<pre><code>" + commands.map { escaped($0.description) }.joined(separator: "\n") + "</code></pre>\n"
    }

    static func render(_ inlines: [RunbookInline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text): escaped(text)
            case .strong(let text): "<strong>\(escaped(text))</strong>"
            case .code(let code): "<code>\(escaped(code))</code>"
            case .link(let text, let target): "<a href=\"\(escaped(target))\">\(escaped(text))</a>"
            }
        }.joined()
    }

    /// Text safe inside an element or a double-quoted attribute.
    static func escaped(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            default: output.append(character)
            }
        }
        return output
    }
}
