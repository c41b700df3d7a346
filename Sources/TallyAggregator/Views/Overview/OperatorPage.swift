import TallyAdapters
import TallyCore

/// The aggregator's operator page (`GET /` on the admin listener): one
/// self-contained HTML file — CSS inline, charts as inline SVG, no script,
/// nothing to fetch — showing what the aggregator knows: ingest per minute
/// and lag, what the index holds, exact totals per unit, the largest
/// destinations.
///
/// Every text from the data goes through ``HTMLText/escaped(_:)``; figures
/// carry `data-field` attributes (units `data-unit`, destinations
/// `data-destination`) so a program can read them back from the rendered
/// page. Chart geometry is integer arithmetic: no floating point anywhere.
public enum OperatorPage {
    public struct Ingest: Sendable {
        /// Records indexed per minute over the last hour, oldest first.
        public var perMinute: [Int]
        /// Log entries not yet indexed (nil: not measured yet).
        public var lagEntries: Int?
        public var consuming: Bool

        public init(perMinute: [Int], lagEntries: Int?, consuming: Bool) {
            self.perMinute = perMinute
            self.lagEntries = lagEntries
            self.consuming = consuming
        }
    }

    public static func render(_ overview: IndexOverview, ingest: Ingest, version: String = BuildInfo.version) -> String {
        let lastMinute = ingest.perMinute.last ?? 0
        let lastHour = ingest.perMinute.reduce(0, +)
        var html = HTMLText.documentStart(title: "tally aggregator", style: style)
        html += """
            <h1>tally aggregator <small>\(HTMLText.escaped(version))</small></h1>
            <section class="cards">
            <div><span data-field="records">\(overview.records)</span> records indexed</div>
            <div><span data-field="destinations">\(overview.destinations)</span> destinations</div>
            <div><span data-field="lastHour">\(lastHour)</span> indexed in the last hour \
            (<span data-field="lastMinute">\(lastMinute)</span> this minute)</div>
            <div>lag <span data-field="lag">\(ingest.lagEntries.map(String.init) ?? "unknown")</span> log entries, \
            ingest <span data-field="consuming">\(ingest.consuming ? "consuming" : "not connected")</span></div>
            </section>
            <h2>Records indexed per minute, last hour</h2>
            \(ingestChart(ingest.perMinute))
            <h2>Totals per unit</h2>
            <table>
            <thead><tr><th>unit</th><th>records</th><th>positive</th><th>negative</th><th>net</th></tr></thead>
            <tbody>

            """
        for unit in overview.units {
            let name = HTMLText.escaped(unit.unit)
            html += """
                <tr data-unit="\(name)"><td>\(name)</td><td data-field="records">\(unit.records)</td>\
                <td data-field="positive">\(unit.positive)</td><td data-field="negative">\(unit.negative)</td>\
                <td data-field="net">\(unit.positive - unit.negative)</td></tr>

                """
        }
        html += """
            </tbody>
            </table>
            <h2>Largest destinations</h2>
            \(destinationsChart(overview.largest))
            <footer>Figures from the index when the page was asked for; totals are exact. \
            The admin listener also serves <code>/health</code>, <code>/ready</code> and <code>/metrics</code>.</footer>
            </body>
            </html>

            """
        return html
    }

    /// One bar per minute, scaled to the busiest minute.
    static func ingestChart(_ perMinute: [Int]) -> String {
        let width = 10, height = 80, labels = 16
        let highest = max(perMinute.max() ?? 0, 1)
        let total = perMinute.count * width
        var svg = """
            <svg class="ingest" role="img" aria-label="records indexed per minute" \
            viewBox="0 0 \(total) \(height + labels)" width="\(total)" height="\(height + labels)">
            <rect class="frame" x="0" y="0" width="\(total)" height="\(height)"></rect>
            <text x="0" y="\(height + labels - 3)">\(perMinute.count) min ago</text>\
            <text x="\(total)" y="\(height + labels - 3)" text-anchor="end">now · highest \(perMinute.max() ?? 0)/min</text>

            """
        for (minute, count) in perMinute.enumerated() {
            let bar = count * height / highest
            svg += "<rect data-minute=\"\(minute)\" x=\"\(minute * width + 1)\" y=\"\(height - bar)\" width=\"\(width - 2)\" height=\"\(bar)\"><title>\(count)</title></rect>\n"
        }
        return svg + "</svg>"
    }

    /// A horizontal bar per destination, scaled to the largest.
    static func destinationsChart(_ destinations: [IndexOverview.Destination]) -> String {
        guard let largest = destinations.first?.records, largest > 0 else { return "<p>No records yet.</p>" }
        let row = 22, barWidth = 400
        var svg = """
            <svg class="destinations" role="img" aria-label="largest destinations by records" \
            viewBox="0 0 \(barWidth + 320) \(destinations.count * row)" width="\(barWidth + 320)" height="\(destinations.count * row)">

            """
        for (rank, destination) in destinations.enumerated() {
            let name = HTMLText.escaped(destination.destinationId)
            let bar = max(destination.records * barWidth / largest, 1)
            let y = rank * row
            svg += """
                <g data-destination="\(name)"><rect x="0" y="\(y + 3)" width="\(bar)" height="\(row - 6)"></rect>\
                <text x="\(bar + 6)" y="\(y + row - 7)"><tspan data-field="records">\(destination.records)</tspan> \
                <tspan data-field="destinationId">\(name)</tspan></text></g>

                """
        }
        return svg + "</svg>"
    }

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733;max-width:980px}\
        h1 small{font-size:55%;color:#667}\
        .cards{display:flex;flex-wrap:wrap;gap:12px}.cards div{background:#f2f5f8;border-radius:6px;padding:10px 14px}\
        .cards span{font-weight:600;font-size:120%}\
        table{border-collapse:collapse}th,td{padding:4px 10px;border-bottom:1px solid #dde3ea;text-align:right}\
        th:first-child,td:first-child{text-align:left}\
        svg.ingest rect{fill:#3a7bd5}svg.ingest rect.frame{fill:#f2f5f8}svg.destinations rect{fill:#5aa469}svg text{font-size:12px;fill:#1d2733}\
        footer{margin-top:24px;color:#667;font-size:90%}
        """
}
