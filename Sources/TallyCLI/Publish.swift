import ArgumentParser
import Foundation
import TallyBroker
import TallyWorker

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a file of records (one JSON object per line) with publisher confirms.",
        discussion: """
            Each non-empty line is sent as it is, so invalid lines reach the fleet and end in \
            records.dead with their reason. Routing key: the record's sourceId ("unparsed" if none).
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "NDJSON file; '-' reads standard input.")
    var file: String

    @Option(help: "Publishes awaiting their confirm at most.")
    var window = 1_000

    func run() async throws {
        let settings = try await connection.load()
        let handle: FileHandle
        if file == "-" {
            handle = .standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
            handle = opened
        }
        let data = handle.readDataToEndOfFile()
        let publisher = try ConfirmedPublisher(endpoint: settings.broker, window: window)
        let started = ContinuousClock.now
        var sent = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let body = Array(line)
            if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            try publisher.publish(ConfirmedPublisher.envelope(for: body, exchange: settings.topology.recordsExchange), body: body)
            sent += 1
            if sent % 10_000 == 0 { progress("published \(sent)…") }
        }
        try publisher.flush()
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
        print("published \(sent) messages to \(settings.topology.recordsExchange): \(publisher.confirmed) confirmed, \(publisher.refused) refused (\(String(format: "%.2f", seconds)) s)")
        if publisher.refused > 0 { throw ExitCode(1) }
    }
}
