import Foundation
import Testing

/// Configuration flags on the real executables: `tally config print`,
/// `tally-worker`, `tally-aggregator` (no servers needed: each fails or
/// prints before connecting).
struct ConfigurationFlagsProcessTests {
    private let environment = TestEnvironment("config-flags")

    private func run(_ executable: String, _ arguments: [String], _ extra: [String: String] = [:]) throws -> TallyCLI.Result {
        try TallyCLI.run(
            executable: environment.binaries.appendingPathComponent(executable), arguments: arguments,
            environment: environment.workerEnvironment.merging(extra) { _, new in new }, directory: environment.repository,
            timeout: .seconds(30))
    }

    @Test func configPrintShowsEachValueWithItsSourceAndMasksSecrets() throws {
        let printed = try run(
            "tally", ["config", "print", "--batch-max-size", "42", "--amqp-url", "amqp://ops:hunter2@mq:5673/"],
            ["TALLY_DEDUP_BUCKETS": "5"])
        #expect(printed.status == 0, "\(printed.errors)")
        let lines = printed.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("batch.maxSize = 42 ") && $0.hasSuffix("# flag --batch-max-size") }, "\(printed.output)")
        #expect(lines.contains { $0.hasPrefix("dedup.buckets = 5 ") && $0.hasSuffix("# environment TALLY_DEDUP_BUCKETS") })
        #expect(lines.contains { $0.hasPrefix("amqp.host = mq ") && $0.hasSuffix("# amqp.url, flag --amqp-url") })
        #expect(lines.contains { $0.hasPrefix("amqp.url = amqp://ops:********@mq:") })
        #expect(!printed.output.contains("hunter2"))

        let aggregator = try run("tally", ["config", "print", "--aggregator", "--http-port", "9999", "--http-tokens", "0123456789abcdef", "--plain"])
        #expect(aggregator.status == 0, "\(aggregator.errors)")
        #expect(aggregator.output.contains("http.port = 9999\n") && aggregator.output.contains("stream.group = aggregator\n"))
        #expect(!aggregator.output.contains("#"))
        #expect(!aggregator.output.contains("0123456789abcdef"), "the token is masked")
    }

    @Test func aBadFlagStopsEveryProcessNamingTheKeyAndTheFlag() throws {
        let print = try run("tally", ["config", "print", "--batch-max-size", "abc"])
        #expect(print.status == 78)
        #expect(print.errors.contains("configuration key batch.maxSize (from flag --batch-max-size): not a valid integer"), "\(print.errors)")

        let worker = try run("tally-worker", ["--batch-max-size", "0"])
        #expect(worker.status == 78)
        #expect((worker.output + worker.errors).contains("(from flag --batch-max-size): must be positive, got 0"), "\(worker.output)\(worker.errors)")

        let aggregator = try run("tally-aggregator", ["--http-port=0"])
        #expect(aggregator.status == 78)
        #expect((aggregator.output + aggregator.errors).contains("configuration key http.port (from flag --http-port): not a TCP port: 0"))

        let rediss = try run("tally-worker", ["--redis-url", "rediss://:pw@cache:6380"])
        #expect(rediss.status == 78 && (rediss.output + rediss.errors).contains("no TLS"))
    }

    @Test func aMisspeltFlagIsAnUnknownOptionNotSilentlyIgnored() throws {
        let result = try run("tally", ["config", "print", "--batch-max-sise", "3"])
        #expect(result.status != 0 && result.status != 78)
        #expect(result.errors.contains("--batch-max-sise"), "\(result.errors)")
    }
}
