import TallyRedisClient
@testable import TallyStore
import Testing

/// The log's two entry formats, as Redis hands them to the aggregator: one
/// record per entry (`record`, the previous release's and an unbatched
/// log's) and one entry per Function call (`records`, newline-joined).
@Suite("LogEntries")
struct LogEntriesTests {
    private static let first = #"{"recordId":"r-1","time":"2026-03-01T12:00:00Z","value":"1"}"#
    private static let second = #"{"recordId":"r-2","time":"2026-03-01T12:00:01Z","value":"2.5"}"#
    private static let third = #"{"recordId":"r-3","reference":"a\nb","value":"3"}"#  // an escaped newline stays inside

    private static func entry(_ id: String, _ fields: [String]) -> RedisReply {
        .array([.string(Array(id.utf8)), .array(fields.map { .string(Array($0.utf8)) })])
    }

    private static func texts(_ entry: LogEntries.Entry) -> [String] {
        entry.records.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func anXREADGROUPReplyOfBothFormats() throws {
        let reply = RedisReply.array([
            .array([.string(Array("tally:log".utf8)), .array([
                Self.entry("1-0", ["record", Self.first]),
                Self.entry("2-0", ["records", [Self.first, Self.second, Self.third].joined(separator: "\n")]),
                Self.entry("3-0", ["records", Self.second]),
                .array([.string(Array("4-0".utf8)), .null]),  // trimmed while pending
                Self.entry("5-0", ["other", "x"]),
            ])]),
        ])
        let entries = try LogEntries.parse(reply)
        #expect(entries.map(\.id) == ["1-0", "2-0", "3-0", "4-0", "5-0"])
        #expect(entries.map(Self.texts) == [[Self.first], [Self.first, Self.second, Self.third], [Self.second], [], []])
        #expect(entries.map(\.hasFields) == [true, true, true, false, true])
    }

    @Test func anXRANGEReplyAndTheEmptyAnswers() throws {
        let entries = try LogEntries.parseRange(.array([
            Self.entry("7-1", ["records", Self.first + "\n" + Self.second]), Self.entry("7-2", ["record", Self.third]),
        ]))
        #expect(entries.map(\.id) == ["7-1", "7-2"])
        #expect(entries.flatMap(Self.texts) == [Self.first, Self.second, Self.third])
        #expect(try LogEntries.parse(.null).isEmpty, "BLOCK timed out")
        #expect(try LogEntries.parseRange(.array([])).isEmpty)
        #expect(throws: RedisError.self) { try LogEntries.parse(.integer(1)) }
        #expect(throws: RedisError.self) { try LogEntries.parseRange(.array([.string(Array("1-0".utf8))])) }
    }
}
