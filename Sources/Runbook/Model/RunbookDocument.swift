import DRConfiguration
import Foundation

/// The runbook as structure: headings, text, tables, steps and commands. The builder writes it from a deployment;
/// the Markdown and HTML renderers turn the same value into text, so both say the same thing, and the check reads
/// the commands from it rather than from the text.
public struct RunbookDocument: Hashable, Sendable {
    public var title: String
    /// The deployment file it was rendered from, as given.
    public var source: String
    /// The day the document describes: staleness is judged as of this day.
    public var asOf: CalendarDay
    public var blocks: [RunbookBlock]

    public init(title: String, source: String, asOf: CalendarDay, blocks: [RunbookBlock]) {
        self.title = title
        self.source = source
        self.asOf = asOf
        self.blocks = blocks
    }

    /// Every command in the document, in order, including those of procedure steps.
    public var commands: [ShellCommand] {
        blocks.flatMap { block -> [ShellCommand] in
            switch block {
            case .commands(let commands): commands
            case .step(let step): step.commands + step.verifyCommands
            default: []
            }
        }
    }
}

/// One block of the runbook.
public enum RunbookBlock: Hashable, Sendable {
    /// A heading; `anchor` is the link target (the slug GitHub gives the same text).
    case heading(level: Int, text: String, anchor: String)
    case paragraph([RunbookInline])
    case bullets([[RunbookInline]])
    case numbered([[RunbookInline]])
    case table(header: [String], rows: [[[RunbookInline]]])
    /// Commands to run, one per line.
    case commands([ShellCommand])
    /// A numbered step of a procedure: what to do, the commands, and what to check afterwards.
    case step(RunbookStep)
    /// A highlighted paragraph.
    case callout(RunbookCallout, [RunbookInline])
    /// Text to copy as it is, such as a message template.
    case preformatted(title: String, text: String)

    /// A heading whose anchor is derived from its text.
    public static func heading(_ level: Int, _ text: String) -> RunbookBlock {
        .heading(level: level, text: text, anchor: RunbookBlock.anchor(for: text))
    }

    /// The anchor GitHub makes for a heading: lower case, punctuation dropped, spaces turned into dashes.
    public static func anchor(for text: String) -> String {
        String(
            text.lowercased().compactMap { character -> Character? in
                if character == " " { return "-" }
                if character.isLetter || character.isNumber || character == "-" || character == "_" {
                    return character
                }
                return nil
            })
    }
}

/// How a callout is marked.
public enum RunbookCallout: String, Hashable, Sendable {
    case warning
    case note
}

/// One step of a procedure.
public struct RunbookStep: Hashable, Sendable {
    /// The step's number within its procedure, from 1.
    public var number: Int
    public var action: [RunbookInline]
    public var commands: [ShellCommand]
    /// What must be true after the step; empty when there is nothing to check.
    public var verify: [RunbookInline]
    public var verifyCommands: [ShellCommand]

    public init(
        number: Int, action: [RunbookInline], commands: [ShellCommand] = [], verify: [RunbookInline] = [],
        verifyCommands: [ShellCommand] = []
    ) {
        self.number = number
        self.action = action
        self.commands = commands
        self.verify = verify
        self.verifyCommands = verifyCommands
    }
}

/// A run of text within a paragraph, list item, table cell or step.
public enum RunbookInline: Hashable, Sendable {
    case text(String)
    case code(String)
    case strong(String)
    case link(String, target: String)
}

/// A command as a program and its arguments, so that it can be shown, quoted for a shell, and parsed by the
/// check exactly as it would run.
public struct ShellCommand: Hashable, Sendable, CustomStringConvertible {
    public var program: String
    public var arguments: [String]

    public init(_ program: String, _ arguments: [String]) {
        self.program = program
        self.arguments = arguments
    }

    /// Whether this is a `drctl` command, which the check parses.
    public var isDrctl: Bool { program == "drctl" }

    /// The command as a POSIX shell line: arguments with characters a shell would interpret are single-quoted.
    public var description: String {
        ([program] + arguments).map(Self.quoted).joined(separator: " ")
    }

    static func quoted(_ argument: String) -> String {
        let plain = argument.allSatisfy { character in
            character.isASCII && (character.isLetter || character.isNumber || "-_./:=@,+%".contains(character))
        }
        if plain && !argument.isEmpty { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension Array where Element == RunbookInline {
    /// Inline runs from a template where text between backticks is code: `"Run `drctl status` first"`. Only for
    /// the builder's own sentences; values from the deployment file go in as `.text` or `.code` runs.
    init(template: String) {
        self = template.split(separator: "`", omittingEmptySubsequences: false).enumerated().compactMap {
            index, part in
            guard !part.isEmpty else { return nil }
            return index % 2 == 1 ? .code(String(part)) : .text(String(part))
        }
    }
}
