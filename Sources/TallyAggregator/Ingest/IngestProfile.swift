import Logging

/// Where a stretch of ingest spent its time, logged (info) each time the
/// index catches up with the log after having read something: how to tell
/// whether Redis, validation or SQLite bounds the ingest rate.
///
/// `read` is the wait for an XREADGROUP reply plus decoding it (the read is
/// pipelined, so mostly it was already there), `validate` the JSON parse and
/// validation of each record, `commit` the SQLite transaction (statements,
/// index maintenance, commit, checkpoints); the rest of the wall time is the
/// XACK replies and housekeeping (lag, trimming).
struct IngestProfile {
    var batches = 0
    var entries = 0
    /// Valid records in those entries (an entry of a batched log holds a
    /// worker batch's).
    var records = 0
    var read: Duration = .zero
    var validate: Duration = .zero
    var commit: Duration = .zero
    private var since: ContinuousClock.Instant?

    mutating func started() {
        if since == nil { since = .now }
    }

    mutating func caughtUp(_ logger: Logger) {
        guard entries > 0, let since else {
            self = IngestProfile()
            return
        }
        let wall = ContinuousClock.now - since
        let rate = Double(records) / max(wall.seconds, 1e-9)
        logger.info(
            "ingest: caught up: \(records) records in \(entries) entries, \(batches) batches, \(wall.formatted) (\(Int(rate)) records/s); read \(read.formatted), validate \(validate.formatted), commit \(commit.formatted)"
        )
        self = IngestProfile()
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }

    fileprivate var formatted: String {
        let milliseconds = Int((seconds * 1000).rounded())
        return "\(milliseconds / 1000).\(String(milliseconds % 1000).leftPadded(3)) s"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
