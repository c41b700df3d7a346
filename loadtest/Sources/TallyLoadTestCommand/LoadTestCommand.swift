import ArgumentParser
import Foundation
import TallyCore
import TallyLoadTest
import TallyWorker

/// `tally-loadtest`: publish a planned mix of records to a running tally
/// fleet, verify every effect against an exact oracle, and measure
/// throughput, latency, worker CPU and memory, and Redis bytes per
/// remembered recordId. Only parses options and wires; the logic lives in
/// the TallyLoadTest library and in ``LoadRun``.
@main
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally-loadtest",
        abstract: "Load-test a running tally fleet, verify every effect, measure throughput and latency.",
        discussion: """
            Publishes --records messages (persistent, publisher confirms, at most --window in flight) at --rate, \
            a mix of fresh records, producer duplicates, invalid messages and conflicts. Copies of the notifications, \
            alerts and dead letters come to the run's own queues. The run fails (exit 1) on any lost or doubled effect: \
            one notification identity per unique valid record, alerts exactly above the threshold, each invalid or \
            conflicting message dead-lettered with its reason, and the aggregator's totals equal to an exact oracle.

            --baseline measures the broker-only relay instead (no workers needed); --baseline-records N measures it \
            first in the same run and reports tally's throughput as a ratio to it.

            Connection settings, topology names, the key prefix and the alert thresholds are the worker's: \
            Config/worker.json overridden by TALLY_* variables. Reports: <report-dir>/<name>.json and .html.

            Examples:
              tally-loadtest --records 200000 --baseline-records 200000
              tally-loadtest --rate 100000/h --seconds 60
              tally-loadtest --records 200000 --duplicates 0.5 --invalid 0.01 --conflicts 0.01
              tally-loadtest --records 1000000 --backlog --after-publish 'scripts/up.sh workers'
            """,
        version: BuildInfo.version)

    @Option(name: .long, help: "Worker configuration file (JSON); default Config/worker.json if present.")
    var config: String?

    @Option(help: "Messages to publish (duplicates, invalid and conflicts included).")
    var records = 20_000
    @Option(help: "Publishing rate: 0 = as fast as the window allows; 500, 500/s, 3000/min or 100000/h.")
    var rate = "0"
    @Option(help: "With --rate: publish for this many seconds (sets --records = rate × seconds).")
    var seconds: Double?
    @Option(help: "Publisher confirms in flight at most.")
    var window = 1_000

    @Option(help: "Fraction of messages that are producer duplicates (a record published again, byte for byte).")
    var duplicates = 0.0
    @Option(help: "Fraction of messages that are invalid (bad value, type, time, truncated JSON).")
    var invalid = 0.0
    @Option(help: "Fraction of messages that are conflicts (a recordId again with another value).")
    var conflicts = 0.0
    @Option(help: "Fraction of records whose value is above the alert threshold.")
    var alerts = 0.02
    @Option(help: "Distinct destinationIds.") var destinations = 100
    @Option(help: "Distinct references per destination.") var references = 10
    @Option(help: "Units, comma-separated.") var units = "EUR,USD,kWh"
    @Option(help: "Seed of the plan (the same seed gives the same messages).") var seed: UInt64 = 42
    @Option(help: "Run id (default random): prefixes every recordId; the sourceId is loadtest-<run id>.")
    var runId: String?

    @Option(help: "Alert threshold the oracle expects (default: the worker configuration's).")
    var alertThreshold: String?
    @Option(help: "Per-unit alert threshold the oracle expects, UNIT=AMOUNT (repeatable; default: the worker configuration's).")
    var alertUnitThreshold: [String] = []

    @Flag(help: "Measure only the broker-only baseline (a relay in this process on a private topology).")
    var baseline = false
    @Option(help: "Before the tally run, measure the baseline with this many records (0 = not).")
    var baselineRecords = 0
    @Option(help: "Baseline relays (one per worker is the fair comparison).")
    var relays = 1
    @Option(help: "Baseline only: pad each relayed body with JSON whitespace to at least this many bytes (e.g. the mean notification size of a tally run: the report's throughput.meanNotificationBytes).")
    var relayBodyBytes = 0
    @Option(help: "A previous JSON report to compare throughput with (e.g. the normal-input run for duplicate-heavy input).")
    var reference: String?

    @Flag(help: "Publish everything first, then run --after-publish and measure the drain.")
    var backlog = false
    @Option(help: "Shell command to run once everything is published (e.g. start the workers).")
    var afterPublish: String?

    @Option(help: "Aggregator base URL for the totals check; 'none' skips it.")
    var aggregator = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["TALLY_HTTP_PORT"] ?? "8080")"
    @Option(help: "Seconds to wait for the aggregator to index the run.")
    var aggregatorTimeout = 300
    @Option(name: .customLong("worker-pid"), help: "A worker process to measure (repeatable; default: the pid files in <state-dir>/workers).")
    var workerPids: [Int32] = []
    @Option(help: "State directory of scripts/up.sh (default $TALLY_STATE_DIR).")
    var stateDir: String?
    @Flag(help: "Do not measure Redis memory (it scans the claim hashes).")
    var noRedis = false

    @Option(help: "Seconds to wait for the outputs once publishing ends.") var timeout = 600
    @Option(help: "Milliseconds to keep listening after the last expected output, for late extra copies.")
    var settle = 1_000
    @Option(help: "Report name (files <name>.json and <name>.html).") var name: String?
    @Option(help: "Directory for the reports (default <state-dir>/loadtest/reports, else .state/loadtest/reports).")
    var reportDir: String?
    @Flag(help: "No progress line.") var quiet = false
    @Option(help: "Run nothing: print a markdown table of the JSON reports in this directory (what make bench puts in BENCHMARKS.md).")
    var summarize: String?

    func validate() throws {
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        guard relays >= 1 else { throw ValidationError("--relays must be at least 1") }
        guard relayBodyBytes >= 0 else { throw ValidationError("--relay-body-bytes must not be negative") }
        guard timeout >= 1, settle >= 0 else { throw ValidationError("--timeout must be at least 1 and --settle not negative") }
        if afterPublish != nil && !backlog { throw ValidationError("--after-publish needs --backlog") }
        if seconds != nil && (try? RateSpec(parsing: rate))?.isUnlimited != false {
            throw ValidationError("--seconds needs a --rate above 0")
        }
    }

    func run() async throws {
        if let summarize {
            print(try Self.resultsTable(directory: summarize), terminator: "")
            return
        }
        let settings: WorkerConfiguration
        do {
            settings = try await WorkerConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
        let command = self
        let exitCode: Int32 = try await withCheckedThrowingContinuation { continuation in
            // Everything below blocks (rabbitmq-c, hiredis): its own thread.
            Thread {
                do { continuation.resume(returning: try command.execute(settings)) } catch { continuation.resume(throwing: error) }
            }.start()
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// The whole run; returns the exit status (1 when verification failed).
    func execute(_ settings: WorkerConfiguration) throws -> Int32 {
        let rateSpec = try RateSpec(parsing: rate)
        let runId = runId ?? String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        var profile = LoadProfile(runId: runId, messages: seconds.map { Int(($0 * rateSpec.perSecond).rounded(.up)) } ?? records)
        profile.duplicateFraction = baseline ? 0 : duplicates
        profile.invalidFraction = baseline ? 0 : invalid
        profile.conflictFraction = baseline ? 0 : conflicts
        profile.alertFraction = alerts
        profile.destinations = destinations
        profile.references = references
        profile.units = units.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        profile.seed = seed
        try profile.validate()

        var policy = settings.alerts
        if let alertThreshold {
            guard let value = try? ExactDecimal.parse(alertThreshold), !value.isNegative else {
                throw ValidationError("--alert-threshold \"\(alertThreshold)\" is not a non-negative decimal")
            }
            policy.defaultThreshold = value
        }
        if !alertUnitThreshold.isEmpty {
            do { policy.perUnit = try AlertPolicy.parseOverrides(alertUnitThreshold) } catch { throw ValidationError("--alert-unit-threshold: \(error)") }
        }
        let environment = ProcessInfo.processInfo.environment
        let stateDirectory = stateDir ?? environment["TALLY_STATE_DIR"]
        let reports = reportDir ?? ((stateDirectory ?? ".state") as NSString).appendingPathComponent("loadtest/reports")
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let loadStart = Self.loadAverage()
        note("tally-loadtest: run \(runId), \(profile.messages) messages, rate \(rateSpec)")

        // The baseline: on its own, or first, in the same run.
        var baselineComparison: LoadReport.Comparison?
        if baseline || baselineRecords > 0 {
            var baselineProfile = LoadProfile(runId: runId + "b", messages: baseline ? profile.messages : baselineRecords)
            baselineProfile.alertFraction = 0
            baselineProfile.seed = seed
            let plan = LoadPlan(profile: baselineProfile, alerts: policy)
            let unlimited = try RateSpec(parsing: "0")
            let relaysRunning = BaselineRelays(
                endpoint: settings.broker, runId: baselineProfile.runId, relays: relays, bodyBytes: relayBodyBytes)
            let setup = LoadRun.Setup(
                label: "baseline", endpoint: settings.broker, topology: relaysRunning.topology, outputsOnly: true,
                rate: baseline ? rateSpec : unlimited, window: window, timeoutSeconds: timeout,
                settleMilliseconds: settle, showProgress: !quiet)
            let outcome: LoadRun.Outcome
            do {
                outcome = try LoadRun(setup: setup, plan: plan).run()
            } catch {
                _ = relaysRunning.stop(endpoint: settings.broker)
                throw error
            }
            if let failure = relaysRunning.stop(endpoint: settings.broker) { throw LoadTestError(failure) }
            if baseline {
                let report = LoadReport(
                    name: name ?? "baseline", mode: "baseline", startedAt: startedAt, command: Self.commandLine,
                    machine: Self.machine(loadStart), profile: baselineProfile, rate: "\(rateSpec)", backlog: false,
                    counts: .init(plan: plan), throughput: outcome.throughput, latency: outcome.latency, baseline: nil,
                    reference: try referenceComparison(outcome.throughput.messagesPerSecond), workers: [], redis: nil,
                    verification: outcome.verification, series: outcome.series)
                return try finish(report, directory: reports)
            }
            guard outcome.verification.passed else {
                note(SummaryTable.render(LoadReport(
                    name: "baseline", mode: "baseline", startedAt: startedAt, command: Self.commandLine, machine: Self.machine(loadStart),
                    profile: baselineProfile, rate: "unlimited", backlog: false, counts: .init(plan: plan), throughput: outcome.throughput,
                    latency: outcome.latency, baseline: nil, reference: nil, workers: [], redis: nil, verification: outcome.verification,
                    series: outcome.series)))
                throw LoadTestError("the baseline relay lost messages; no ratio can be given")
            }
            baselineComparison = LoadReport.Comparison(
                against: "broker-only baseline of this run, \(baselineRecords) records, \(relays) relay(s)",
                messagesPerSecond: outcome.throughput.messagesPerSecond, ratio: 0)
        }

        // The tally run.
        note("tally-loadtest: planning \(profile.messages) messages")
        let plan = LoadPlan(profile: profile, alerts: policy)
        let pids = WorkerProbe.discover(given: workerPids, stateDirectory: backlog ? nil : stateDirectory)
        var setup = LoadRun.Setup(
            label: "tally", endpoint: settings.broker, topology: settings.topology, rate: rateSpec, window: window, backlog: backlog,
            afterPublish: afterPublish, timeoutSeconds: timeout, settleMilliseconds: settle, workerPids: pids,
            redis: noRedis ? nil : RedisClaimsProbe(endpoint: settings.redis, keyPrefix: settings.keyPrefix),
            aggregator: aggregator == "none" ? nil : try AggregatorTotalsProbe(baseURL: aggregator), aggregatorTimeoutSeconds: aggregatorTimeout,
            showProgress: !quiet)
        if backlog {
            // The workers start after publishing: find their pids then.
            setup.workerPids = workerPids
        }
        var outcome = try LoadRun(setup: setup, plan: plan, discoverWorkers: backlog && workerPids.isEmpty ? stateDirectory : nil).run()
        if var comparison = baselineComparison {
            comparison.ratio = comparison.messagesPerSecond > 0 ? outcome.throughput.messagesPerSecond / comparison.messagesPerSecond : 0
            baselineComparison = comparison
        }
        outcome.workers.sort { $0.pid < $1.pid }
        let report = LoadReport(
            name: name ?? "tally-\(runId)", mode: "tally", startedAt: startedAt, command: Self.commandLine, machine: Self.machine(loadStart),
            profile: profile, rate: "\(rateSpec)", backlog: backlog, counts: .init(plan: plan), throughput: outcome.throughput,
            latency: outcome.latency, baseline: baselineComparison,
            reference: try referenceComparison(outcome.throughput.messagesPerSecond), workers: outcome.workers, redis: outcome.redis,
            verification: outcome.verification, series: outcome.series)
        return try finish(report, directory: reports)
    }

    private func referenceComparison(_ messagesPerSecond: Double) throws -> LoadReport.Comparison? {
        guard let reference else { return nil }
        let other: LoadReport
        do {
            other = try LoadReport.decode(try Data(contentsOf: URL(fileURLWithPath: reference)))
        } catch {
            throw ValidationError("--reference \(reference): not a tally-loadtest JSON report (\(error))")
        }
        let theirs = other.throughput.messagesPerSecond
        return LoadReport.Comparison(
            against: "\(other.name) (\(reference))", messagesPerSecond: theirs, ratio: theirs > 0 ? messagesPerSecond / theirs : 0)
    }

    /// Writes the JSON and HTML reports, prints the table; 1 when verification failed.
    private func finish(_ report: LoadReport, directory: String) throws -> Int32 {
        var report = report
        report.machine.loadAverageEnd = Self.loadAverage()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = (directory as NSString).appendingPathComponent(report.name)
        try report.json().write(to: URL(fileURLWithPath: base + ".json"))
        try Data(HTMLReport.render(report).utf8).write(to: URL(fileURLWithPath: base + ".html"))
        print(SummaryTable.render(report), terminator: "")
        note("reports: \(base).json, \(base).html")
        return report.verification.passed ? 0 : 1
    }

    static func resultsTable(directory: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        let reports = try names.map { name in
            do {
                return try LoadReport.decode(try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name))))
            } catch {
                throw ValidationError("\(name) in \(directory) is not a tally-loadtest report: \(error)")
            }
        }
        return ResultsTable.markdown(reports)
    }

    static var commandLine: String {
        CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    static func loadAverage() -> Double {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) > 0 ? loads[0] : 0
    }

    static func machine(_ loadStart: Double) -> LoadReport.Machine {
        LoadReport.Machine(
            hostname: ProcessInfo.processInfo.hostName, cores: ProcessInfo.processInfo.activeProcessorCount,
            loadAverageStart: loadStart, loadAverageEnd: loadStart)
    }
}
