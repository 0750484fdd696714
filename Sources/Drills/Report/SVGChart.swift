import Foundation

/// A small time-series chart drawn as inline SVG: lines or stacked columns over the drill's seconds, with
/// vertical markers for the fault and the timeline's events. No scripts, no external resources.
struct SVGChart {
    struct Series {
        var name: String
        var color: String
        /// One value per second; nil leaves a gap.
        var values: [Double?]

        func value(at second: Int) -> Double? { values.indices.contains(second) ? values[second] : nil }
    }

    struct Marker: Equatable {
        var time: Double
        /// Drawn above the plot: a number that the timeline table explains, or `fault`.
        var label: String
        /// Shown on hover.
        var title: String
        var color: String
    }

    var title: String
    var unit: String
    var seconds: Int
    var series: [Series]
    var markers: [Marker] = []
    /// Columns stacked per second (shares) instead of lines.
    var stacked = false
    /// A fixed top of the y axis (100 for percentages); the data's maximum otherwise.
    var yMax: Double?

    let width = 920.0
    let height = 260.0
    let left = 64.0
    let right = 16.0
    let top = 46.0
    let bottom = 34.0

    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }

    func render() -> String {
        let count = max(seconds, 1)
        let peak: Double =
            yMax
            ?? {
                if stacked {
                    return (0..<count).map { index in series.reduce(0) { $0 + ($1.value(at: index) ?? 0) } }.max() ?? 0
                }
                return series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
            }()
        let axisTop = Self.niceCeiling(peak)
        func x(_ time: Double) -> Double { left + plotWidth * time / Double(count) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - min(value, axisTop) / axisTop) }

        // Markers closer together than their labels are wide are drawn as one group (`28–30`), named in a legend
        // under the plot.
        let groups = Self.group(
            markers.filter { $0.time >= 0 && $0.time <= Double(count) },
            minimumGap: Double(count) * Self.groupingWidth / plotWidth)
        let legendLines = groups.filter { $0.members.count > 1 }.count
        let fullHeight = height + (legendLines == 0 ? 0 : Double(legendLines) * 14 + 6)
        var svg: [String] = []
        svg.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(fullHeight))\" "
                + "role=\"img\" aria-label=\"\(Self.escape(title))\" class=\"chart\">")
        svg.append("<title>\(Self.escape(title))</title>")
        svg.append("<text x=\"\(left)\" y=\"16\" class=\"chart-title\">\(Self.escape(title))</text>")
        // Axes and grid.
        for step in 0...4 {
            let value = axisTop * Double(step) / 4
            let lineY = Self.fixed(y(value))
            svg.append(
                "<line x1=\"\(left)\" y1=\"\(lineY)\" x2=\"\(width - right)\" y2=\"\(lineY)\" class=\"grid\"/>")
            svg.append(
                "<text x=\"\(left - 6)\" y=\"\(lineY)\" class=\"tick\" text-anchor=\"end\" dominant-baseline=\"middle\">"
                    + "\(Self.label(value))\(unit)</text>")
        }
        let tickStep = Self.niceStep(Double(count) / 10)
        var tick = 0.0
        while tick <= Double(count) {
            svg.append(
                "<text x=\"\(Self.fixed(x(tick)))\" y=\"\(height - bottom + 16)\" class=\"tick\" "
                    + "text-anchor=\"middle\">\(Self.label(tick))s</text>")
            tick += tickStep
        }
        svg.append(
            "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" class=\"frame\"/>")

        if stacked {
            let columnWidth = Self.fixed(max(plotWidth / Double(count) - 1, 0.5))
            for index in 0..<count {
                var base = 0.0
                for line in series {
                    guard let value = line.value(at: index), value > 0 else { continue }
                    let upper = y(base + value)
                    let height = y(base) - upper
                    svg.append(
                        "<rect x=\"\(Self.fixed(x(Double(index))))\" y=\"\(Self.fixed(upper))\" width=\"\(columnWidth)\" "
                            + "height=\"\(Self.fixed(height))\" fill=\"\(line.color)\"><title>\(index)s "
                            + "\(Self.escape(line.name)): \(Self.label(value))\(unit)</title></rect>")
                    base += value
                }
            }
        } else {
            for line in series {
                var path = ""
                var drawing = false
                for (index, value) in line.values.enumerated() {
                    guard let value else {
                        drawing = false
                        continue
                    }
                    let point = "\(Self.fixed(x(Double(index) + 0.5))),\(Self.fixed(y(value)))"
                    path += (drawing ? " L" : " M") + point
                    drawing = true
                }
                if !path.isEmpty {
                    svg.append(
                        "<path d=\"\(path.dropFirst())\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.8\">"
                            + "<title>\(Self.escape(line.name))</title></path>")
                }
            }
        }

        // Groups still close together go on separate rows, so that no label hides another.
        var rowEnds = [-Double.infinity, -Double.infinity]
        for group in groups {
            let markerX = x(group.time)
            let halfWidth = Double(group.label.count) * 3.5 + 2
            let row = rowEnds.firstIndex { markerX - halfWidth >= $0 } ?? 0
            rowEnds[row] = markerX + halfWidth
            svg.append(
                "<g class=\"marker\"><title>\(Self.escape(group.title))</title>"
                    + "<line x1=\"\(Self.fixed(markerX))\" y1=\"\(top - 2 - Double(row) * 12)\" "
                    + "x2=\"\(Self.fixed(markerX))\" y2=\"\(height - bottom)\" "
                    + "stroke=\"\(group.color)\" stroke-dasharray=\"4 3\"/>"
                    + "<text x=\"\(Self.fixed(markerX))\" y=\"\(top - 4 - Double(row) * 12)\" fill=\"\(group.color)\" "
                    + "class=\"marker-label\" text-anchor=\"middle\">\(Self.escape(group.label))</text></g>")
        }
        for (index, group) in groups.filter({ $0.members.count > 1 }).enumerated() {
            let line = "\(group.label): " + group.members.map { "\($0.label) \($0.title)" }.joined(separator: " · ")
            svg.append(
                "<text x=\"\(left)\" y=\"\(Self.fixed(height + 14 + Double(index) * 14))\" class=\"legend\">"
                    + "\(Self.escape(Self.truncated(line, to: Int(plotWidth / 6))))</text>")
        }

        var legendX = width - right
        for line in series.reversed() {
            let text = Self.escape(line.name)
            legendX -= Double(text.count) * 6.5 + 22
            svg.append(
                "<rect x=\"\(Self.fixed(legendX))\" y=\"8\" width=\"10\" height=\"10\" fill=\"\(line.color)\"/>"
                    + "<text x=\"\(Self.fixed(legendX + 14))\" y=\"17\" class=\"legend\">\(text)</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// Markers nearer each other than this many pixels of the plot are one group.
    static let groupingWidth = 24.0

    /// Markers drawn as one: where the first of them is, a label naming all, and the members for the legend.
    struct MarkerGroup: Equatable {
        var members: [Marker]
        var time: Double { members[0].time }
        var color: String { members[0].color }
        var title: String { members.map(\.title).joined(separator: "; ") }
        /// `7` alone; `28–30` for a run of consecutive numbers; otherwise the labels joined by commas.
        var label: String {
            let labels = members.map(\.label)
            let numbers = labels.compactMap { Int($0) }
            if labels.count > 2, numbers.count == labels.count,
                numbers == Array(numbers[0]...(numbers[0] + numbers.count - 1))
            {
                return "\(numbers[0])–\(numbers[numbers.count - 1])"
            }
            return labels.joined(separator: ",")
        }
    }

    /// Groups `markers` (in time order) so that each group's members lie within `minimumGap` seconds of the
    /// group's first member.
    static func group(_ markers: [Marker], minimumGap: Double) -> [MarkerGroup] {
        var groups: [MarkerGroup] = []
        for marker in markers.sorted(by: { $0.time < $1.time }) {
            if let last = groups.last, marker.time - last.time < minimumGap {
                groups[groups.count - 1].members.append(marker)
            } else {
                groups.append(MarkerGroup(members: [marker]))
            }
        }
        return groups
    }

    static func truncated(_ text: String, to characters: Int) -> String {
        text.count <= characters ? text : String(text.prefix(max(characters - 1, 0))) + "…"
    }

    /// 1, 2, 2.5, 5 or 10 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * magnitude >= value { return factor * magnitude }
        return 10 * magnitude
    }

    /// A tick step of 1, 2 or 5 times a power of ten near `value`, at least 1.
    static func niceStep(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= value { return factor * magnitude }
        return 10 * magnitude
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded() { return String(Int(value)) }
        return String(format: value < 10 ? "%.2g" : "%.0f", value)
    }

    static func fixed(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
