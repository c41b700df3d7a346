import Foundation
import TallyCore
import Testing

/// Identifiers and units are their bytes in every layer (docs/contract.md,
/// "Identifiers are bytes"), and stored totals are read back whatever their
/// size — end to end: worker, Redis, the live summary, the aggregator's
/// index and pages, the CLI.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ExactIdentifiersTests {
    /// The `.string` members named `key` of an array of objects, as bytes.
    private func strings(_ value: JSONValue?, _ key: String) -> [[UInt8]] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { if case .string(let text)? = $0[key] { Array(text.utf8) } else { nil } }
    }

    @Test func canonicallyEquivalentDestinationsAndUnitsStayApartEverywhere() throws {
        let environment = TestEnvironment("exact-ids", batchSize: 20)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let run = environment.runId
        let composed = "caf\u{E9}-\(run)"  // NFC
        let decomposed = "cafe\u{301}-\(run)"  // NFD: the same text to Swift's ==, other bytes
        let combiningUnit = "\u{301}kWh"  // starts with a combining mark
        let bodies = [
            RecordStream.body(id: "\(run)-1", destination: composed, value: "\"1.5\""),
            RecordStream.body(id: "\(run)-2", destination: decomposed, value: "\"20\""),
            RecordStream.body(id: "\(run)-3", destination: composed, type: "positive", value: "\"3\"", unit: "kWh"),
            RecordStream.body(id: "\(run)-4", destination: composed, type: "positive", value: "\"4\"", unit: combiningUnit),
        ]
        try environment.publish(bodies)
        let worker = try WorkerProcess(environment)
        let aggregator = try AggregatorProcess(environment)
        try aggregator.waitUntilCaughtUp(records: bodies.count)

        // Live summaries: two destinations; three units in the composed one, each positive.
        let nfc = try aggregator.get("/v1/destinations/\(HTTPPath.encoded(composed))/summary")
        let nfd = try aggregator.get("/v1/destinations/\(HTTPPath.encoded(decomposed))/summary")
        #expect(nfc.status == 200 && nfd.status == 200)
        #expect(nfc.json["count"] == .number("3"))
        #expect(nfd.json["count"] == .number("1"))
        let units = strings(nfc.json["totals"], "unit")
        #expect(units == [Array("EUR".utf8), Array("kWh".utf8), Array(combiningUnit.utf8)], "byte order (E < k < U+0301's 0xCC), three units")
        if case .array(let totals)? = nfc.json["totals"] {
            let combining = totals.first { if case .string(let u)? = $0["unit"] { Array(u.utf8) == Array(combiningUnit.utf8) } else { false } }
            #expect(combining?["positive"] == .string("4") && combining?["negative"] == .string("0"), "read as positive")
        }

        // The aggregator: two groups both in pages and in totalsOnly.
        for query in ["/v1/aggregations?limit=1000", "/v1/aggregations?totalsOnly=true"] {
            let page = try aggregator.get(query)
            #expect(page.status == 200)
            let destinations = Set(strings(page.json["groups"], "destinationId"))
            #expect(destinations == [Array(composed.utf8), Array(decomposed.utf8)], "\(query)")
        }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
    }

    /// Three valid values of 48 integer digits sum to 49: the live summary
    /// and `tally summary` read the stored total (they once answered 503).
    @Test func totalsBeyondOneValuesLimitAreReadBack() throws {
        let environment = TestEnvironment("big-totals", batchSize: 10)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let largest = String(repeating: "9", count: 48) + "." + String(repeating: "9", count: 32)
        let destination = "\(environment.runId)-big"
        let bodies = (1...3).map { RecordStream.body(id: "\(environment.runId)-\($0)", destination: destination, value: "\"\(largest)\"") }
        try environment.publish(bodies)
        let worker = try WorkerProcess(environment)
        try waitUntil("three records applied") { try environment.appliedCount() == 3 }
        let value = try ExactDecimal.parse(largest)
        let expected = (value + value + value).description
        #expect(expected.split(separator: ".")[0].count == 49)

        let aggregator = try AggregatorProcess(environment)
        let summary = try aggregator.get("/v1/destinations/\(destination)/summary")
        #expect(summary.status == 200, "\(summary.text)")
        if case .array(let totals)? = summary.json["totals"] {
            #expect(totals.first?["positive"] == .string(expected))
        }
        let cli = try CLIProcess.run(environment, ["summary", destination])
        #expect(cli.status == 0, "\(cli.standardError)")
        #expect(cli.standardOutput.contains(expected))
        let json = try CLIProcess.run(environment, ["summary", destination, "--format", "json"])
        #expect(json.status == 0, "\(json.standardError)")
        let document = try JSONParser.parse(json.standardOutput)
        #expect(document["destinationId"] == .string(destination))
        if case .array(let totals)? = document["overall"]?["totals"] {
            #expect(totals.first?["positive"] == .string(expected), "\(json.standardOutput)")
        } else {
            Issue.record("no overall totals in \(json.standardOutput)")
        }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
    }
}

/// Percent-encoding of a path segment, every byte outside the unreserved set.
enum HTTPPath {
    static func encoded(_ segment: String) -> String {
        segment.utf8.map { byte in
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            return unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }
}
