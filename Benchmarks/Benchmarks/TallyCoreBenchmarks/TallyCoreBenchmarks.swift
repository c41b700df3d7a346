import Benchmark
import TallyCore
import TallyStore

/// What the worker does in Swift once per record, measured so that a change
/// that makes it slower (or allocate more) shows in `make bench-micro`.
///
/// Every benchmark runs its operation 1,000 times per iteration
/// (`scalingFactor: .kilo`), so the figures printed are per operation.
/// Thresholds (checked-in p90s in `Thresholds/`) are kept on the malloc
/// counts only: on this shared 2-core machine wall time moves by ±50 % with
/// the neighbours' builds, and the VM exposes no instruction counter
/// (`perf stat -e instructions` says "not supported"), whereas an
/// allocation count is exact and repeatable. Wall time is still printed.
///
/// Names have no spaces or slashes: the tool writes threshold files with
/// those replaced but looks them up by the name as it is.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: [
            // The stored figure is per iteration (1,000 operations): 50 more
            // absorbs a stray runtime allocation, while one more malloc per
            // operation (+1,000) fails the check.
            .mallocCountTotal: .init(relative: [.p90: 0.0], absolute: [.p90: 50]),
            // Only on machines that count instructions; generous, as code
            // generation moves a little between toolchains.
            .instructions: .init(relative: [.p90: 10.0]),
        ]
    )

    let validator = RecordValidator()
    let body = Array(Samples.typicalBody.utf8)
    let record = try! validator.validate(body).get()
    let canonical = record.canonicalJSON
    let layout = RedisKeyLayout()
    let alerts = AlertPolicy()

    Benchmark("Record.validate.typical") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(validator.validate(body))
        }
    }

    Benchmark("Record.validate.malformed") { benchmark in
        let bad = Array(Samples.badValueBody.utf8)
        for _ in benchmark.scaledIterations {
            blackHole(validator.validate(bad))
        }
    }

    Benchmark("ExactDecimal.parse") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? ExactDecimal.parse(Samples.amount))
        }
    }

    Benchmark("ExactDecimal.add") { benchmark in
        let total = try! ExactDecimal.parse("98765432.1")
        let amount = try! ExactDecimal.parse("1234.56")
        for _ in benchmark.scaledIterations {
            blackHole(total + amount)
        }
    }

    Benchmark("Summary.add") { benchmark in
        var summary = Summary()
        summary.add(record)
        for _ in benchmark.scaledIterations {
            var next = summary
            next.add(record)
            blackHole(next)
        }
    }

    Benchmark("Notification.canonicalJSON.String") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(record.canonicalJSON)
        }
    }

    Benchmark("Notification.canonicalAndTail.bytes") { benchmark in
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1_024)
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            record.appendCanonicalJSON(to: &buffer)
            OutputComposer.appendNotificationTail(record, to: &buffer)
            blackHole(buffer)
        }
    }

    Benchmark("Notification.prefixAndAlert.String") { benchmark in
        let threshold = ExactDecimal.tenThousand
        for _ in benchmark.scaledIterations {
            blackHole(OutputComposer.notificationPrefix(record, canonicalJSON: canonical))
            blackHole(OutputComposer.alert(canonicalJSON: canonical, threshold: threshold))
        }
    }

    Benchmark("Notification.whole") { benchmark in
        var previous = Summary()
        previous.add(record)
        for _ in benchmark.scaledIterations {
            blackHole(OutputComposer.notification(record, previous: previous))
        }
    }

    Benchmark("Redis.keysAndFingerprint.bytes") { benchmark in
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1_024)
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            layout.appendDestinationBase(record.destinationId, to: &buffer)
            layout.appendReferenceSummary(record.destinationId, reference: record.reference, to: &buffer)
            layout.appendClaims(record.recordId, to: &buffer)
            RecordFingerprint(record).appendHex(to: &buffer)
            blackHole(buffer)
        }
    }

    Benchmark("Redis.keysAndFingerprint.String") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(layout.destinationBase(record.destinationId))
            blackHole(layout.referenceSummary(record.destinationId, reference: record.reference))
            blackHole(layout.claims(record.recordId))
            blackHole(RecordFingerprint(record).description)
        }
    }

    // The worker's whole Swift-side work for one valid record before Redis:
    // validate the body, fingerprint it, check the alert threshold and write
    // the FCALL's arguments into the (reused) command buffer.
    Benchmark("PerRecord.validateAndWriteFCALL") { benchmark in
        let call = ApplyCall(layout: layout, bucketSeconds: 86_400, buckets: 8, aheadSeconds: 3_600)
        var bytes: [UInt8] = []
        var lengths: [Int] = []
        bytes.reserveCapacity(2_048)
        lengths.reserveCapacity(32)
        for _ in benchmark.scaledIterations {
            bytes.removeAll(keepingCapacity: true)
            lengths.removeAll(keepingCapacity: true)
            guard case .success(let record) = validator.validate(body) else { fatalError("the sample is valid") }
            call.write(
                record, fingerprint: RecordFingerprint(record), alertThreshold: alerts.thresholdExceeded(by: record),
                into: &bytes, lengths: &lengths)
            blackHole(bytes)
        }
    }
}

/// The bodies and amounts measured: shaped like the records of the load
/// test (a UUID recordId, a time with milliseconds and an offset, a
/// two-decimal amount as a string).
enum Samples {
    static let typicalBody = #"""
        {"recordId":"5f0c2a4e-9b7d-4c61-8e3f-2a1b0c9d8e7f","time":"2026-11-21T09:15:27.318+01:00","sourceId":"billing-eu","destinationId":"acct-004217","type":"positive","value":"1234.56","unit":"EUR","reference":"inv-2026-118842"}
        """#

    static let badValueBody = #"""
        {"recordId":"5f0c2a4e-9b7d-4c61-8e3f-2a1b0c9d8e7f","time":"2026-11-21T09:15:27.318+01:00","sourceId":"billing-eu","destinationId":"acct-004217","type":"positive","value":"12,34","unit":"EUR","reference":"inv-2026-118842"}
        """#

    static let amount = "1234.56"
}
