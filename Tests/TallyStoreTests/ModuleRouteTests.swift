@testable import TallyCore
@testable import TallyStore
@testable import TallyRedisClient
import Testing

/// The module's route writes the Function's call with another head, and is
/// taken only once layout 3's data is no longer read (the Function's own
/// arithmetic for when its claims are gone).
@Suite("The tally module's route")
struct ModuleRouteTests {
    /// Both routes carry the same arguments after their head: the module's
    /// command takes the Function's KEYS and ARGV as they are.
    @Test func bothRoutesWriteTheSameArgumentsAfterTheirHead() throws {
        let time = "2026-12-07T02:00:00Z"
        let record = try Record(
            recordId: "r-1", time: RFC3339Timestamp.parse(time), timeText: time, sourceId: "meter-17",
            destinationId: "acct-42", type: .positive, value: ExactDecimal.parse("12.50"), unit: "EUR", reference: "inv-7")
        let prepared = PreparedRecord(record, alerts: AlertPolicy(defaultThreshold: try ExactDecimal.parse("1000")))
        let call = ApplyBatchCall(layout: RedisKeyLayout(prefix: "tally"), bucketSeconds: 86_400, buckets: 8, aheadSeconds: 3_600)
        var function = RedisCommand()
        var module = RedisCommand()
        call.write([prepared], route: .function, into: &function)
        call.write([prepared], route: .module, into: &module)
        let functionArguments = Self.arguments(function)
        let moduleArguments = Self.arguments(module)
        #expect(Array(functionArguments.prefix(2)) == ["FCALL", "tally_apply_v4"])
        #expect(moduleArguments.first == "TALLY.APPLY_V4")
        #expect(Array(functionArguments.dropFirst(2)) == Array(moduleArguments.dropFirst()))
        #expect(moduleArguments.count == 1 + 1 + 2 + 5 + ApplyBatchCall.argumentsPerRecord)
    }

    /// `tally_apply_v4` looks layout 3's claims up until the switch plus a
    /// bucket, the window and the time ahead, plus one second; the route
    /// waits a margin past that.
    @Test func layout3sWindowClosesWhereTheFunctionStopsLookingPlusTheMargin() {
        let dedup = DedupArguments(bucketSeconds: 86_400, buckets: 8, aheadSeconds: 3_600)
        let switchedAt = 1_800_000_000
        let functionStops = switchedAt + 86_400 * 8 + 3_600 + 1
        let window = Layout3Window(switchedAt: switchedAt, pendingMigrating: false)
        #expect(window.isOpen(at: functionStops - 1, dedup, margin: 0))
        #expect(!window.isOpen(at: functionStops, dedup, margin: 0))
        #expect(window.isOpen(at: functionStops + 59, dedup, margin: 60))
        #expect(!window.isOpen(at: functionStops + 60, dedup, margin: 60))
    }

    @Test func pendingOutcomesStillMigratingKeepTheWindowOpen() {
        let dedup = DedupArguments(bucketSeconds: 60, buckets: 2, aheadSeconds: 0)
        #expect(Layout3Window(switchedAt: 0, pendingMigrating: true).isOpen(at: 1_800_000_000, dedup))
        #expect(Layout3Window(switchedAt: nil, pendingMigrating: true).isOpen(at: 0, dedup))
    }

    @Test func aRedisThatNeverHeldLayout3HasNoWindow() {
        let dedup = DedupArguments(bucketSeconds: 86_400, buckets: 8, aheadSeconds: 3_600)
        #expect(!Layout3Window(switchedAt: nil, pendingMigrating: false).isOpen(at: 0, dedup))
    }

    /// A decline and a missing command are the server's state, not the
    /// records': the batch is retried after a reconnect, never dead-lettered.
    @Test(arguments: [
        "TALLYLUA layout 3 claim buckets still live; use the Function",
        "ERR unknown command 'TALLY.APPLY_V4', with args beginning with: '2' ",
    ])
    func declinesAndMissingCommandsAreServerState(_ message: String) {
        #expect(RecordStore.isServerStateError(message))
    }

    @Test func aRecordsOwnErrorIsNotServerState() {
        #expect(!RecordStore.isServerStateError("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }

    private static func arguments(_ command: RedisCommand) -> [String] {
        var offset = 0
        return command.lengths.map { length in
            defer { offset += length }
            return String(decoding: command.bytes[offset..<(offset + length)], as: UTF8.self)
        }
    }
}
