import Foundation
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyWorker
import Testing

/// `tally dead show`, selective `tally dead replay` and `tally dead purge`,
/// run as the real `tally` executable against real RabbitMQ.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DeadLetterOperationsTests {
    /// Puts letters straight into the test's dead-letter queue, with the
    /// headers a worker writes, oldest first: (recordId or nil for a
    /// malformed body, reason, replays so far).
    private func deadLetters(_ environment: TestEnvironment, _ letters: [(id: String?, reason: String, replays: Int64)]) throws -> [[UInt8]] {
        let publisher = try environment.publisher()
        var bodies: [[UInt8]] = []
        for letter in letters {
            let body = letter.id.map { RecordStream.body(id: $0, destination: "acct-1", value: "\"-1\"") } ?? Array("{not json".utf8)
            var message = AMQPOutgoing(exchange: environment.configuration.topology.deadExchange, routingKey: "dead")
            message.headers = [
                (DeadLetterHeaders.reason, .string(letter.reason)), (DeadLetterHeaders.detail, .string("test letter")),
                (DeadLetterHeaders.replayCount, .integer(letter.replays)),
            ]
            try publisher.publish(message, body: body)
            bodies.append(body)
        }
        #expect(try publisher.flush().isEmpty)
        try waitUntil("\(letters.count) dead letters queued") { try deadCount(environment) == letters.count }
        return bodies
    }

    private func deadCount(_ environment: TestEnvironment) throws -> Int {
        try AMQPConnection(environment.configuration.broker).queueStatus(environment.configuration.topology.deadQueue).messages
    }

    /// The bodies in the dead-letter queue, oldest first (left in place).
    private func deadBodies(_ environment: TestEnvironment) throws -> [[UInt8]] {
        let inspector = try DeadLetterInspector(endpoint: environment.configuration.broker, topology: environment.configuration.topology)
        let expected = try deadCount(environment)
        let letters = try inspector.list(limit: 1_000)
        #expect(letters.count == expected)
        try waitUntil("the listed letters back in the queue") { try deadCount(environment) == expected }
        return letters.map(\.body)
    }

    /// What the replays put on the work queue (taken off it): body and replay count.
    private func replayed(_ environment: TestEnvironment) throws -> [(body: [UInt8], replays: Int64?)] {
        let connection = try AMQPConnection(environment.configuration.broker)
        var out: [(body: [UInt8], replays: Int64?)] = []
        while let delivery = try connection.get(environment.configuration.topology.workQueue) {
            out.append((delivery.body, delivery.headers[DeadLetterHeaders.replayCount]?.integer))
            try connection.ack(delivery.deliveryTag, multiple: false)
        }
        return out
    }

    @Test func showPrintsOneLetterInFull() throws {
        let environment = TestEnvironment("dead-show")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let bodies = try deadLetters(
            environment, [("\(environment.runId)-a", "invalid-field", 0), ("\(environment.runId)-b", "conflict", 2), (nil, "malformed-json", 0)])

        let second = try TallyCLI.run(environment, ["dead", "show", "2"])
        #expect(second.status == 0, "\(second.errors)")
        for line in [
            "position: 2", "recordId: \(environment.runId)-b", "reason: conflict", "detail: test letter", "replays: 2 of 3",
            "x-tally-reason: conflict", "x-tally-replays: 2", "body (\(bodies[1].count) bytes):", String(decoding: bodies[1], as: UTF8.self),
        ] {
            #expect(second.output.contains(line), "missing \(line) in:\n\(second.output)")
        }
        let malformed = try TallyCLI.run(environment, ["dead", "show", "3"])
        #expect(malformed.output.contains("recordId: (none") && malformed.output.contains("{not json"), "\(malformed.output)")

        let missing = try TallyCLI.run(environment, ["dead", "show", "4"])
        #expect(missing.status == 1 && missing.errors.contains("no dead letter at position 4: 3 queued"), "\(missing.errors)")
        // Showing takes nothing away and keeps the order.
        try waitUntil("the shown letters back in the queue") { try deadCount(environment) == 3 }
        #expect(try deadBodies(environment) == bodies)
    }

    /// `--format json`: what scripts read. Bodies come back exact (base64),
    /// invalid UTF-8 included, and the letters stay queued.
    @Test func listAndShowAsJSONGiveEveryFieldAndTheExactBody() throws {
        let environment = TestEnvironment("dead-json")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let bodies = try deadLetters(environment, [("\(environment.runId)-a", "invalid-field", 1), (nil, "malformed-json", 0)])

        let list = try TallyCLI.run(environment, ["dead", "list", "--format", "json"])
        #expect(list.status == 0, "\(list.errors)")
        let letters = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]] ?? []
        #expect(letters.count == 2)
        #expect(letters.first?["recordId"] as? String == "\(environment.runId)-a")
        #expect(letters.first?["reason"] as? String == "invalid-field" && letters.first?["replays"] as? Int == 1)
        #expect(letters.last?["recordId"] is NSNull && letters.last?["reason"] as? String == "malformed-json")
        #expect(letters.map { ($0["body"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } } == bodies)

        let show = try TallyCLI.run(environment, ["dead", "show", "1", "--format", "json"])
        #expect(show.status == 0, "\(show.errors)")
        let letter = try JSONSerialization.jsonObject(with: Data(show.output.utf8)) as? [String: Any]
        #expect(letter?["position"] as? Int == 1 && letter?["bodyBytes"] as? Int == bodies[0].count)
        #expect((letter?["headers"] as? [String: String])?["x-tally-reason"] == "invalid-field")
        #expect(letter?["bodyText"] as? String == String(decoding: bodies[0], as: UTF8.self))
        try waitUntil("the letters back in the queue") { try deadCount(environment) == 2 }
        #expect(try deadBodies(environment) == bodies)
    }

    /// Each selective replay sends exactly the selected letters back (with
    /// a replay count one higher) and leaves every other letter in place,
    /// in order; a selected letter at the replay limit stays too.
    @Test func selectiveReplayByPositionRecordIdAndReasonLeavesTheRestInOrder() throws {
        let environment = TestEnvironment("dead-select")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let id = { (n: Int) in "\(environment.runId)-\(n)" }
        var remaining = try deadLetters(
            environment,
            [
                (id(1), "invalid-field", 0), (id(2), "conflict", 0), (id(3), "invalid-field", 1), (id(4), "conflict", 3),
                (nil, "malformed-json", 0), (id(6), "conflict", 0), (id(7), "invalid-field", 0),
            ])
        let body = { (n: Int) in RecordStream.body(id: id(n), destination: "acct-1", value: "\"-1\"") }

        // By position: the 2nd and the 5th (the malformed one).
        let byPosition = try TallyCLI.run(environment, ["dead", "replay", "--position", "2", "--position", "5"])
        #expect(byPosition.status == 0, "\(byPosition.errors)")
        #expect(byPosition.output.contains("replayed 2,"), "\(byPosition.output)")
        var sent = try replayed(environment)
        #expect(Set(sent.map(\.body)) == [body(2), Array("{not json".utf8)])
        #expect(sent.allSatisfy { $0.replays == 1 })
        remaining.removeAll { $0 == body(2) || $0 == Array("{not json".utf8) }
        try waitUntil("the unselected letters back") { try deadCount(environment) == remaining.count }
        #expect(try deadBodies(environment) == remaining)

        // By recordId: the third record, replayed once before.
        let byId = try TallyCLI.run(environment, ["dead", "replay", "--record-id", id(3)])
        #expect(byId.status == 0 && byId.output.contains("replayed \(id(3))"), "\(byId.output)\(byId.errors)")
        sent = try replayed(environment)
        #expect(sent.map(\.body) == [body(3)] && sent.first?.replays == 2)
        remaining.removeAll { $0 == body(3) }
        try waitUntil("the unselected letters back") { try deadCount(environment) == remaining.count }
        #expect(try deadBodies(environment) == remaining)

        // By reason: the conflicts, except the one at the replay limit.
        let byReason = try TallyCLI.run(environment, ["dead", "replay", "--reason", "conflict"])
        #expect(byReason.status == 0 && byReason.output.contains("replayed 1, kept 1 that reached the replay limit"), "\(byReason.output)")
        sent = try replayed(environment)
        #expect(sent.map(\.body) == [body(6)])
        remaining.removeAll { $0 == body(6) }
        try waitUntil("the unselected letters back") { try deadCount(environment) == remaining.count }
        #expect(try deadBodies(environment) == remaining)
        #expect(remaining == [body(1), body(4), body(7)])

        // Nothing matches: nothing moves, and the exit status says so.
        let none = try TallyCLI.run(environment, ["dead", "replay", "--record-id", "no-such-record"])
        #expect(none.status == 1 && none.errors.contains("no dead letter matched"))
        #expect(try replayed(environment).isEmpty)
        try waitUntil("the letters back") { try deadCount(environment) == remaining.count }
        #expect(try deadBodies(environment) == remaining)
    }

    @Test func purgeAsksOnATerminalRefusesWithoutOneAndYesSkipsTheQuestion() throws {
        let environment = TestEnvironment("dead-purge")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        _ = try deadLetters(environment, [("\(environment.runId)-1", "invalid-field", 0), ("\(environment.runId)-2", "conflict", 0)])

        let noTerminal = try TallyCLI.run(environment, ["dead", "purge"])
        #expect(noTerminal.status == 1, "\(noTerminal.output)")
        #expect(noTerminal.errors.contains("standard input is not a terminal; pass --yes"), "\(noTerminal.errors)")
        #expect(try deadCount(environment) == 2)

        // On a terminal (script(1) gives it one): "n" keeps, "y" purges.
        let tally = environment.binaries.appendingPathComponent("tally").path
        let onTerminal = { (answer: String) in
            try TallyCLI.run(
                executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qec", "\(tally) dead purge", "/dev/null"],
                environment: environment.workerEnvironment, directory: environment.repository, input: answer)
        }
        let declined = try onTerminal("n\n")
        #expect(declined.output.contains("Delete 2 dead letter(s)") && declined.output.contains("not purged"), "\(declined.output)")
        #expect(try deadCount(environment) == 2)
        let accepted = try onTerminal("y\n")
        #expect(accepted.output.contains("purged 2 dead letter(s)"), "\(accepted.output)")
        try waitUntil("the dead-letter queue empty") { try deadCount(environment) == 0 }

        _ = try deadLetters(environment, [("\(environment.runId)-3", "invalid-field", 0)])
        let yes = try TallyCLI.run(environment, ["dead", "purge", "--yes"])
        #expect(yes.status == 0 && yes.output.contains("purged 1 dead letter(s)"), "\(yes.output)\(yes.errors)")
        try waitUntil("the dead-letter queue empty") { try deadCount(environment) == 0 }
    }
}
