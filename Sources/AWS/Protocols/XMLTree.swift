import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A parsed XML document as plain values: enough to read AWS query and REST-XML responses.
public struct XMLTree: Hashable, Sendable {
    /// The element's name, without namespace handling (AWS responses use a default namespace only).
    public var name: String
    /// The element's own text, whitespace-trimmed.
    public var text: String
    /// The child elements, in document order.
    public var children: [XMLTree]

    /// An element from its parts.
    public init(name: String, text: String = "", children: [XMLTree] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// Parses a document; throws `InvalidResponse` with the parser's complaint when it is not well-formed XML.
    public init(parsing data: Data) throws(AWSError) {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element"
            throw AWSError(.invalidResponse, "response is not XML: \(reason)")
        }
        self = root
    }

    /// The first child with this name.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// Every child with this name.
    public func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    /// The element at a path of child names, such as `["GlobalClusters", "GlobalClusterMember"]`.
    public func element(_ path: String...) -> XMLTree? { element(path) }

    /// The element at a path of child names.
    public func element(_ path: [String]) -> XMLTree? {
        path.reduce(self as XMLTree?) { node, name in node?.child(name) }
    }

    /// The text at a path of child names, `nil` when an element is missing.
    public func string(_ path: String...) -> String? { element(path)?.text }

    /// The first element with this name anywhere below (or at) this one, depth first.
    public func first(named name: String) -> XMLTree? {
        if self.name == name { return self }
        for child in children {
            if let found = child.first(named: name) { return found }
        }
        return nil
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [(name: String, text: String, children: [XMLTree])] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            stack.append((elementName, "", []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
        ) {
            guard let open = stack.popLast() else { return }
            let element = XMLTree(
                name: open.name, text: open.text.trimmingCharacters(in: .whitespacesAndNewlines),
                children: open.children)
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }
}

/// Escapes text for an XML element body or attribute.
enum XMLEscaping {
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
