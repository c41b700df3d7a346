import Foundation

/// The plain-text summary printed at the end of a run.
public enum SummaryTable {
    public static func render(_ report: LoadReport) -> String {
        var rows: [(String, String)] = []
        let counts = report.counts
        rows.append(("run", "\(report.name) (\(report.mode)), run id \(report.profile.runId)"))
        rows.append(("machine", "\(report.machine.hostname), \(report.machine.cores) cores, load \(Formatting.fixed(report.machine.loadAverageStart, 2)) → \(Formatting.fixed(report.machine.loadAverageEnd, 2))"))
        rows.append(("messages", "\(Formatting.integer(counts.messages)): \(Formatting.integer(counts.uniqueRecords)) unique records, \(Formatting.integer(counts.duplicates)) duplicates, \(Formatting.integer(counts.conflicts)) conflicts, \(Formatting.integer(counts.invalid)) invalid"))
        rows.append(("rate", report.backlog ? "backlog: all published first, then drained" : report.rate))
        let t = report.throughput
        rows.append(("publish", "\(Formatting.fixed(t.publishSeconds, 2)) s, \(Formatting.integer(t.publishRate)) messages/s"))
        rows.append(("throughput", "\(Formatting.integer(t.messagesPerSecond)) messages/s, \(Formatting.integer(t.recordsPerSecond)) records/s over \(Formatting.fixed(t.seconds, 2)) s"))
        if let baseline = report.baseline {
            rows.append(("vs baseline", "\(Formatting.fixed(baseline.ratio, 2)) × the broker-only relay (\(Formatting.integer(baseline.messagesPerSecond)) messages/s, \(baseline.against))"))
        }
        if let reference = report.reference {
            rows.append(("vs reference", "\(Formatting.fixed(reference.ratio, 2)) × \(reference.against) (\(Formatting.integer(reference.messagesPerSecond)) messages/s)"))
        }
        if let latency = report.latency {
            rows.append(("latency", "p50 \(Formatting.milliseconds(latency.p50Milliseconds))  p90 \(Formatting.milliseconds(latency.p90Milliseconds))  p99 \(Formatting.milliseconds(latency.p99Milliseconds))  max \(Formatting.milliseconds(latency.maxMilliseconds))  (\(Formatting.integer(Int(latency.count))) records, publish → notification)"))
        }
        for worker in report.workers {
            rows.append(("worker \(worker.pid)", "CPU \(Formatting.fixed(worker.cpuSeconds, 2)) s (\(Formatting.integer(worker.cpuPercentOfOneCore)) % of one core, \(Formatting.fixed(worker.cpuMicrosecondsPerMessage, 1)) µs/message), RSS peak \(Formatting.mebibytes(worker.peakResidentBytes)), at end \(Formatting.mebibytes(worker.residentBytesAtEnd))"))
        }
        if let redis = report.redis {
            rows.append(("redis", "\(Formatting.fixed(redis.bytesPerRememberedRecordId, 1)) bytes per remembered recordId (\(Formatting.integer(redis.rememberedRecordIds)) remembered, \(Formatting.integer(redis.addedRecordIds)) added); used_memory +\(Formatting.integer(redis.usedMemoryGrowthPerRecord)) bytes per record"))
        }
        for check in report.verification.checks {
            rows.append((check.passed ? "ok" : "FAILED", "\(check.name): \(check.observed) (expected \(check.expected))"))
        }
        rows.append(("verdict", report.verification.passed ? "PASSED" : "FAILED"))
        let width = rows.map(\.0.count).max() ?? 0
        var out = rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        if !report.verification.findings.isEmpty {
            out += "\n\nfindings:\n" + report.verification.findings.map { "  - " + $0 }.joined(separator: "\n")
        }
        return out + "\n"
    }
}
