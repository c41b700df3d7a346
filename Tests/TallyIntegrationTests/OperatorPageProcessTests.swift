import Foundation
import TallyCore
import Testing

/// The aggregator's operator page (`GET /` on the admin listener) from a
/// real fleet, rendered by a real browser engine: the figures it shows are
/// the oracle's.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct OperatorPageProcessTests {
    @Test func thePageShowsWhatTheIndexHoldsExactly() throws {
        let environment = TestEnvironment("operator-page")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let bodies = RecordStream.valid(count: 120, prefix: environment.runId, seed: 77)
        let oracle = try Oracle(bodies)
        try environment.publish(bodies)
        let worker = try WorkerProcess(environment)
        let aggregator = try AggregatorProcess(environment)
        try aggregator.waitUntilCaughtUp(records: bodies.count)
        try aggregator.waitUntilLagMeasuredZero()

        let page = try AggregatorProcess.get(port: aggregator.adminPort, "/")
        #expect(page.status == 200 && page.contentType.hasPrefix("text/html"), "\(page.status) \(page.contentType)")
        let dom = try HeadlessBrowser.renderedDOM(ofHTML: page.text)
        let whole = dom[...]
        #expect(RenderedReport.field("records", in: whole) == "\(bodies.count)")
        #expect(RenderedReport.field("destinations", in: whole) == "\(oracle.byDestination.count)")
        #expect(RenderedReport.field("lastHour", in: whole) == "\(bodies.count)", "every record was indexed just now")
        #expect(RenderedReport.field("lag", in: whole) == "0")

        // Totals per unit: the oracle's, summed over destinations.
        var positive: [String: ExactDecimal] = [:], negative: [String: ExactDecimal] = [:]
        for record in oracle.records.values {
            if record.type == .positive {
                positive[record.unit, default: .zero] += record.value
            } else {
                negative[record.unit, default: .zero] += record.value
            }
        }
        for unit in Set(positive.keys).union(negative.keys) {
            let row = try #require(dom.range(of: "data-unit=\"\(unit)\"").map { dom[$0.upperBound...] }, "a row for \(unit)")
            #expect(RenderedReport.field("positive", in: row) == (positive[unit] ?? .zero).description, "\(unit)")
            #expect(RenderedReport.field("negative", in: row) == (negative[unit] ?? .zero).description, "\(unit)")
        }
        // The largest destination comes first.
        let counts = Dictionary(grouping: oracle.records.values, by: \.destinationId).mapValues(\.count)
        let most = counts.values.max() ?? 0
        let first = try #require(dom.range(of: "data-destination=\"").map { dom[$0.upperBound...] })
        #expect(RenderedReport.field("records", in: first) == "\(most)")
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
    }
}
