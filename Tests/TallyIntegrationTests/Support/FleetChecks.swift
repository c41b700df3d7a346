import TallyCore
import TallyRedisClient
import TallyStore
import TallyWorker
import Testing

/// The checks every scenario ends with: effects exactly once, outputs with
/// one identity per record, byte-identical when re-published.
enum FleetChecks {
    /// Redis summaries equal the oracle's, overall and per reference, and the
    /// log holds each record exactly once.
    static func effectsExactlyOnce(_ environment: TestEnvironment, oracle: Oracle) throws {
        let redis = try environment.redis()
        let reader = SummaryReader(connection: redis, layout: environment.layout)
        for (destination, expected) in oracle.byDestination {
            let actual = try reader.destination(destination)
            #expect(actual.overall == expected, "summary of \(destination)")
            let references = oracle.byReference[destination] ?? [:]
            #expect(Set(actual.byReference.map(\.reference)) == Set(references.keys), "references of \(destination)")
            for (reference, summary) in actual.byReference {
                #expect(summary == references[reference], "summary of \(destination)/\(reference)")
            }
        }
        var logged: [String: Int] = [:]
        for recordId in try LogContents.recordIds(redis, environment.layout.log) { logged[recordId, default: 0] += 1 }
        #expect(logged.count == oracle.records.count, "records in the log")
        #expect(logged.values.allSatisfy { $0 == 1 }, "a record logged twice: \(logged.filter { $0.value > 1 }.keys.sorted().prefix(5))")
        #expect(Set(logged.keys) == Set(oracle.records.keys))
    }

    /// One notification identity per valid record; any re-publish is byte
    /// for byte the same; and the `previous` summaries of each
    /// destination+reference form one chain ending at the final summary.
    static func notificationsConsistent(_ notifications: [OutputTap.Message], oracle: Oracle) throws {
        var bodies: [String: String] = [:]
        for message in notifications {
            let id = try #require(message.messageId)
            if let first = bodies[id] {
                #expect(first == message.text, "re-published notification \(id) differs")
            } else {
                bodies[id] = message.text
            }
        }
        #expect(Set(bodies.keys) == Set(oracle.records.keys), "notification identities")

        var chains: [String: [(previous: Summary, record: Record)]] = [:]
        for (id, text) in bodies {
            let json = try JSONParser.parse(text)
            let previous = try Summary(json: try #require(json["summary"]?["previous"]))
            let record = try #require(oracle.records[id])
            guard case .object(let echoed)? = json["record"] else { throw TestFailure("no record in \(text)") }
            #expect(JSONValue.object(echoed) == (try JSONParser.parse(record.canonicalJSON)), "echoed record \(id)")
            #expect(json["summary"]?["destinationId"] == .string(record.destinationId))
            #expect(json["summary"]?["reference"] == .string(record.reference))
            chains["\(record.destinationId)\u{1F}\(record.reference)", default: []].append((previous, record))
        }
        for (key, chain) in chains {
            let ordered = chain.sorted { $0.previous.count < $1.previous.count }
            var running = Summary()
            for link in ordered {
                #expect(link.previous == running, "previous summary in chain \(key) at \(running.count)")
                running.add(link.record)
            }
            let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            #expect(running == oracle.byReference[parts[0]]?[parts[1]], "chain \(key) ends at the final summary")
        }
    }
}
