import Foundation
import TallyAMQPClient
import TallyAdapters
import TallyBroker
import TallyCore

/// Streams a CSV file through an adapter's row mapping and publishes each
/// record with publisher confirms. Rows the mapping rejects, and rows the
/// broker refuses, go to the rejects file with their line numbers.
public struct CSVImport {
    /// Turns the header's fields into a row mapping, or refuses the file.
    public typealias MapperFactory = ([String]) throws(HeaderRejection) -> (([String]) throws(RowRejection) -> Record)

    public let path: String
    public let rejectsPath: String
    public let exchange: String
    public let broker: AMQPEndpoint
    public let window: Int

    public init(path: String, rejectsPath: String, exchange: String, broker: AMQPEndpoint, window: Int) {
        self.path = path
        self.rejectsPath = rejectsPath
        self.exchange = exchange
        self.broker = broker
        self.window = window
    }
    /// Publishes between two waits for every confirm: bounds how many rows
    /// are remembered to report a refusal by line.
    static let confirmBatch = 5_000

    public struct Outcome: Sendable {
        public var rows = 0
        public var published = 0
        public var rejected = 0
        public var refused = 0
        public var seconds = 0.0
    }

    public func run(makeMapper: MapperFactory) throws -> Outcome {
        let reader = try LineReader(path: path)
        let rejects = RejectsFile(path: rejectsPath)
        var progress = ImportProgress(totalBytes: reader.size)
        var outcome = Outcome()
        var mapper: (([String]) throws(RowRejection) -> Record)?
        let publisher = try ConfirmedPublisher(endpoint: broker, window: window)
        var inFlight: [UInt64: (line: Int, text: String)] = [:]

        func settle() throws {
            let nacked = try publisher.flush()
            for sequence in nacked.sorted() {
                guard let row = inFlight[sequence] else { continue }
                outcome.refused += 1
                try rejects.add(line: row.line, reason: "refused by the broker (nack); safe to import again", row: row.text)
            }
            inFlight.removeAll(keepingCapacity: true)
        }

        while let bytes = try reader.next() {
            let line = reader.lineNumber
            guard let text = String(validating: bytes, as: UTF8.self) else {
                outcome.rows += 1
                outcome.rejected += 1
                try rejects.add(line: line, reason: "not valid UTF-8", row: String(decoding: bytes, as: UTF8.self))
                continue
            }
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }  // blank lines carry nothing
            guard let map = mapper else {
                // The first non-blank line is the header.
                do {
                    let fields = try CSVFieldSplitter.split(Substring(text))
                    mapper = try makeMapper(fields)
                } catch let rejection as HeaderRejection {
                    throw ImportFailure("\(path):\(line): \(rejection.reason)")
                } catch {
                    throw ImportFailure("\(path):\(line): the header is not CSV: \(error)")
                }
                continue
            }
            outcome.rows += 1
            let record: Record
            do throws(RowRejection) {
                record = try map(try CSVFieldSplitter.split(Substring(text)))
            } catch {
                outcome.rejected += 1
                try rejects.add(line: line, reason: error.reason, row: text)
                progress.update(rows: outcome.rows, bytes: reader.bytesConsumed, rejected: outcome.rejected + outcome.refused)
                continue
            }
            let sequence = try publisher.publish(
                AMQPOutgoing(exchange: exchange, routingKey: record.sourceId, messageId: record.recordId),
                body: Array(record.canonicalJSON.utf8))
            inFlight[sequence] = (line, text)
            outcome.published += 1
            if inFlight.count >= Self.confirmBatch { try settle() }
            progress.update(rows: outcome.rows, bytes: reader.bytesConsumed, rejected: outcome.rejected + outcome.refused)
        }
        guard mapper != nil else { throw ImportFailure("\(path): no header row (the file is empty)") }
        try settle()
        progress.finish(rows: outcome.rows, bytes: reader.bytesConsumed, rejected: outcome.rejected + outcome.refused)
        outcome.seconds = progress.elapsedSeconds
        return outcome
    }

    /// The summary printed on standard output.
    public func summary(_ outcome: Outcome, what: String) -> String {
        var text = "imported \(what) from \(path): \(outcome.rows) rows, \(outcome.published - outcome.refused) published and confirmed, "
            + "\(outcome.rejected) rejected, \(outcome.refused) refused by the broker "
            + String(format: "(%.2f s, %.0f rows/s)", outcome.seconds, Double(outcome.rows) / max(outcome.seconds, 0.001))
        if outcome.rejected + outcome.refused > 0 {
            text += "\nrejected rows, with line numbers and reasons: \(rejectsPath)"
        }
        return text
    }
}
