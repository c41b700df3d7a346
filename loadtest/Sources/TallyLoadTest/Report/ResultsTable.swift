/// The table `make bench` writes from a set of reports: one row per run,
/// in markdown, for BENCHMARKS.md.
public enum ResultsTable {
    public static func markdown(_ reports: [LoadReport]) -> String {
        var out = "| run | messages | rate | throughput | vs baseline | vs reference | latency p50 / p90 / p99 / max | worker CPU | worker RSS peak | Redis bytes/recordId | load avg | verdict |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for report in reports {
            let throughput = "\(Formatting.integer(report.throughput.messagesPerSecond)) msg/s"
            let baseline = report.baseline.map { "\(Formatting.fixed($0.ratio, 2)) (\(Formatting.integer($0.messagesPerSecond)) msg/s)" } ?? "—"
            let reference = report.reference.map { "\(Formatting.fixed($0.ratio, 2)) of \($0.against.split(separator: " ").first ?? "")" } ?? "—"
            let latency = report.latency.map {
                "\(Formatting.milliseconds($0.p50Milliseconds)) / \(Formatting.milliseconds($0.p90Milliseconds)) / \(Formatting.milliseconds($0.p99Milliseconds)) / \(Formatting.milliseconds($0.maxMilliseconds))"
            } ?? "—"
            let cpu = report.workers.isEmpty ? "—" : report.workers.map { "\(Formatting.integer($0.cpuPercentOfOneCore)) % (\(Formatting.fixed($0.cpuMicrosecondsPerMessage, 1)) µs/msg)" }.joined(separator: ", ")
            let rss = report.workers.isEmpty ? "—" : report.workers.map { Formatting.mebibytes($0.peakResidentBytes) }.joined(separator: ", ")
            let redis = report.redis.map { Formatting.fixed($0.bytesPerRememberedRecordId, 1) } ?? "—"
            let rate = report.backlog ? "backlog, drained" : report.rate
            out += "| \(report.name) | \(Formatting.integer(report.counts.messages)) | \(rate) | \(throughput) | \(baseline) | \(reference) | \(latency) | \(cpu) | \(rss) | \(redis) | \(Formatting.fixed(report.machine.loadAverageStart, 1)) → \(Formatting.fixed(report.machine.loadAverageEnd, 1)) | \(report.verification.passed ? "passed" : "FAILED") |\n"
        }
        return out
    }
}
