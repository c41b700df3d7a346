/// Small inline SVG charts for the HTML report: no script, no external
/// file, readable in any browser and in a diff.
public enum SVGChart {
    public struct Series: Sendable {
        public let name: String
        public let color: String
        public let values: [Double]

        public init(name: String, color: String, values: [Double]) {
            self.name = name
            self.color = color
            self.values = values
        }
    }

    static let width = 720.0, height = 260.0, left = 64.0, right = 16.0, top = 16.0, bottom = 40.0

    /// One polyline per series over x = 0, 1, 2, … (seconds).
    public static func lines(_ series: [Series], xLabel: String, yLabel: String) -> String {
        let count = series.map(\.values.count).max() ?? 0
        let peak = max(series.flatMap(\.values).max() ?? 0, 1)
        var svg = frame(yMax: peak, xLabel: xLabel, yLabel: yLabel, xMax: Double(max(count - 1, 1)))
        for entry in series where !entry.values.isEmpty {
            let points = entry.values.enumerated().map { index, value in
                "\(format(x(Double(index), of: Double(max(count - 1, 1))))),\(format(y(value, of: peak)))"
            }
            svg += "<polyline fill=\"none\" stroke=\"\(entry.color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
            if entry.values.count <= 60 {  // short runs: the points themselves
                for point in points {
                    let xy = point.split(separator: ",")
                    svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(entry.color)\"/>"
                }
            }
        }
        svg += legend(series)
        return svg + "</svg>"
    }

    /// Bars with a label under each (the latency distribution).
    public static func bars(_ values: [(label: String, value: Double)], color: String, xLabel: String, yLabel: String) -> String {
        let peak = max(values.map(\.value).max() ?? 0, 1)
        var svg = frame(yMax: peak, xLabel: xLabel, yLabel: yLabel, xMax: nil)
        let plotWidth = width - left - right
        let slot = plotWidth / Double(max(values.count, 1))
        for (index, entry) in values.enumerated() {
            let barTop = y(entry.value, of: peak)
            let x0 = left + Double(index) * slot + slot * 0.1
            svg += "<rect x=\"\(format(x0))\" y=\"\(format(barTop))\" width=\"\(format(slot * 0.8))\" height=\"\(format(height - bottom - barTop))\" fill=\"\(color)\"><title>\(escape(entry.label)): \(Int(entry.value))</title></rect>"
            if values.count <= 24 || index % 2 == 0 {
                svg += "<text x=\"\(format(x0 + slot * 0.4))\" y=\"\(format(height - bottom + 14))\" font-size=\"9\" text-anchor=\"middle\">\(escape(entry.label))</text>"
            }
        }
        return svg + "</svg>"
    }

    private static func frame(yMax: Double, xLabel: String, yLabel: String, xMax: Double?) -> String {
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
        for step in 0...4 {
            let value = yMax * Double(step) / 4
            let yy = y(value, of: yMax)
            svg += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(format(yy))\" y2=\"\(format(yy))\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(format(yy + 3))\" font-size=\"10\" text-anchor=\"end\">\(Formatting.integer(value))</text>"
        }
        if let xMax {
            for step in 0...4 {
                let value = xMax * Double(step) / 4
                let label = xMax < 8 ? Formatting.fixed(value, 1) : Formatting.integer(value)
                svg += "<text x=\"\(format(x(value, of: xMax)))\" y=\"\(format(height - bottom + 14))\" font-size=\"10\" text-anchor=\"middle\">\(label)</text>"
            }
        }
        svg += "<text x=\"\(format(left + (width - left - right) / 2))\" y=\"\(format(height - 6))\" font-size=\"11\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg += "<text x=\"12\" y=\"\(format(top + (height - top - bottom) / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(format(top + (height - top - bottom) / 2)))\">\(escape(yLabel))</text>"
        return svg
    }

    private static func legend(_ series: [Series]) -> String {
        var svg = ""
        for (index, entry) in series.enumerated() {
            let yy = top + 14 + Double(index) * 14
            svg += "<rect x=\"\(format(width - right - 150))\" y=\"\(format(yy - 8))\" width=\"10\" height=\"10\" fill=\"\(entry.color)\"/>"
            svg += "<text x=\"\(format(width - right - 136))\" y=\"\(format(yy))\" font-size=\"11\">\(escape(entry.name))</text>"
        }
        return svg
    }

    private static func x(_ value: Double, of maximum: Double) -> Double {
        left + (width - left - right) * value / maximum
    }

    private static func y(_ value: Double, of maximum: Double) -> Double {
        height - bottom - (height - top - bottom) * value / maximum
    }

    private static func format(_ value: Double) -> String { Formatting.fixed(value, 1) }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
