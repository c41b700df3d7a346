import Foundation
import TallyCore
import TallyRedisClient

/// The fault suite's scale and its report: every scenario ends with one
/// line — scenario, records, faults injected, lost, doubled — printed and
/// appended to `$TALLY_STATE_DIR/fault-report.tsv`, which `make chaos` turns
/// into the table of RELIABILITY.md. It passes only at zero lost, zero doubled.
enum FaultReport {
    /// `TALLY_CHAOS_SCALE`: 1 in `make test` (short, fits CI), 10 in `make chaos`.
    static var scale: Int { max(1, Int(ProcessInfo.processInfo.environment["TALLY_CHAOS_SCALE"] ?? "") ?? 1) }

    struct Outcome: CustomStringConvertible {
        let lost: Int
        let doubled: Int
        var description: String { "lost \(lost), doubled \(doubled)" }
    }

    /// Effects in the log against the oracle: a valid record never applied is
    /// lost, one applied more than once is doubled; a record without a
    /// notification identity is lost too.
    static func count(_ environment: TestEnvironment, oracle: Oracle, notifications: [OutputTap.Message]) throws -> Outcome {
        let redis = try environment.redis()
        var applied: [String: Int] = [:]
        for body in try LogContents.records(redis, environment.layout.log) {
            guard case .success(let record) = RecordValidator().validate(body) else { continue }
            applied[record.recordId, default: 0] += 1
        }
        let notified = Set(notifications.compactMap(\.messageId))
        let lost = oracle.records.keys.filter { applied[$0] == nil || !notified.contains($0) }.count
        let doubled = applied.values.filter { $0 > 1 }.count
        return Outcome(lost: lost, doubled: doubled)
    }

    static func record(_ scenario: String, records: Int, faults: Int, _ outcome: Outcome) {
        let line = "\(scenario)\t\(records)\t\(faults)\t\(outcome.lost)\t\(outcome.doubled)"
        print("fault scenario | \(scenario) | records \(records) | faults \(faults) | \(outcome)")
        let state = ProcessInfo.processInfo.environment["TALLY_STATE_DIR"] ?? ".state"
        let path = state + "/fault-report.tsv"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data((line + "\n").utf8))
            try? handle.close()
        }
    }
}
