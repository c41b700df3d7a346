import Foundation
import Logging

/// Pauses at the two most dangerous points of a batch so the fault tests can
/// SIGKILL a worker exactly there: after Redis applied a batch but before its
/// outputs were published, and after the broker confirmed them but before the
/// input was acked (docs/contract.md, the invariants).
///
/// Only debug builds compile the hooks in (`TALLY_FAULT_HOOKS`, set for the
/// debug configuration in Package.swift); release builds carry no trace.
/// Enabled by `TALLY_FAULT_PAUSE=after-apply|after-confirm`, every
/// `TALLY_FAULT_PAUSE_EVERY` batches (default 5), for
/// `TALLY_FAULT_PAUSE_MS` (default 3000).
struct FaultHooks {
    enum Point: String { case afterApply = "after-apply", afterConfirm = "after-confirm" }

    private let point: Point?
    private let every: Int
    private let milliseconds: Int
    private var batches = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if TALLY_FAULT_HOOKS
        point = environment["TALLY_FAULT_PAUSE"].flatMap(Point.init(rawValue:))
        every = max(1, Int(environment["TALLY_FAULT_PAUSE_EVERY"] ?? "") ?? 5)
        milliseconds = max(0, Int(environment["TALLY_FAULT_PAUSE_MS"] ?? "") ?? 3_000)
        #else
        point = nil
        every = 1
        milliseconds = 0
        #endif
    }

    /// Call once per batch at `here`; sleeps (logging it first) on every
    /// `every`-th batch when `here` is the configured point.
    mutating func reached(_ here: Point, logger: Logger) {
        guard let point, point == here else { return }
        batches += 1
        guard batches % every == 0 else { return }
        logger.notice("fault hook: paused", metadata: ["at": "\(here.rawValue)", "ms": "\(milliseconds)"])
        usleep(UInt32(milliseconds) * 1000)
    }
}
