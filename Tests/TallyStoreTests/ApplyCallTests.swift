@testable import TallyCore
@testable import TallyStore
import Testing

/// The bytes the worker writes into each `FCALL` must be exactly those of
/// the `String` forms the rest of the fleet, the stored data and the Lua
/// Function rely on.
@Suite("ApplyCall and key bytes")
struct ApplyCallTests {
    private static func record(
        recordId: String = "r-1", time: String = "2026-03-01T12:00:00Z", sourceId: String = "billing",
        destinationId: String = "acct-42", type: RecordType = .positive, value: String = "12.50",
        unit: String = "EUR", reference: String = "inv-7"
    ) throws -> Record {
        try Record(
            recordId: recordId, time: RFC3339Timestamp.parse(time), timeText: time, sourceId: sourceId,
            destinationId: destinationId, type: type, value: ExactDecimal.parse(value), unit: unit, reference: reference)
    }

    /// Texts that need every kind of escaping JSON and the key layout have.
    static let awkwardTexts = [
        "plain", "quo\"te", "back\\slash", "brace{d}", "per%cent", "é-ü-😀", "tab\tnew\nline\u{1}", "\u{7F}", "a/b",
    ]

    private static func text(_ write: (inout [UInt8]) -> Void) -> String {
        var bytes: [UInt8] = [0x41]  // something already there, kept
        write(&bytes)
        #expect(bytes.first == 0x41)
        return String(decoding: bytes.dropFirst(), as: UTF8.self)
    }

    @Test(arguments: awkwardTexts)
    func keyBytesEqualTheKeyStrings(_ text: String) {
        let layout = RedisKeyLayout(prefix: "t")
        #expect(Self.text { layout.appendDestinationBase(text, to: &$0) } == layout.destinationBase(text))
        #expect(Self.text { layout.appendPending(text, to: &$0) } == layout.pending(text))
        #expect(
            Self.text { layout.appendReferenceSummary(text, reference: text, to: &$0) }
                == layout.referenceSummary(text, reference: text))
        #expect(Self.text { layout.appendClaims(text, to: &$0) } == layout.claims(text))
        #expect(Self.text { layout.appendLog(to: &$0) } == layout.log)
    }

    /// The argument list the Function documents, in order.
    @Test(arguments: [nil, "10000"] as [String?])
    func applyCallWritesTheDocumentedArguments(_ threshold: String?) throws {
        let record = try Self.record(value: "12345.5")
        let layout = RedisKeyLayout(prefix: "tally")
        let call = ApplyCall(layout: layout, bucketSeconds: 86_400, buckets: 8, aheadSeconds: 3_600)
        var bytes: [UInt8] = []
        var lengths: [Int] = []
        let fingerprint = RecordFingerprint(record)
        let limit = try threshold.map { try ExactDecimal.parse($0) }
        call.write(record, fingerprint: fingerprint, alertThreshold: limit, into: &bytes, lengths: &lengths)
        #expect(lengths.count == ApplyCall.argumentCount)
        var arguments: [String] = []
        var offset = 0
        for length in lengths {
            arguments.append(String(decoding: bytes[offset..<(offset + length)], as: UTF8.self))
            offset += length
        }
        #expect(offset == bytes.count)
        let canonical = record.canonicalJSON
        let prefix = OutputComposer.notificationPrefix(record, canonicalJSON: canonical)
        #expect(
            arguments == [
                "FCALL", "tally_apply_v3", "4",
                layout.destinationBase("acct-42"), layout.referenceSummary("acct-42", reference: "inv-7"), layout.log,
                layout.claims("r-1"),
                "r-1", fingerprint.description, "positive", "12345.5", "EUR", "inv-7",
                String(prefix.dropFirst("{\"record\":".count + canonical.count)), threshold ?? "", canonical, "86400", "8",
                String(record.time.epochSeconds), "3600",
            ])
    }

    /// One record's arguments in `tally_apply_v4`, in the Function's order;
    /// the amount as its significand and scale while the significand is
    /// below 10^15, else as its decimal text with no scale.
    @Test(arguments: [
        ("12345.50", "2", "1234550"), ("0.001", "3", "1"), ("7", "0", "7"), ("0", "0", "0"),
        ("999999999999999", "0", "999999999999999"), ("1000000000000000", "", "1000000000000000"),
        ("12345678901.23456", "", "12345678901.23456"), ("99999999999.9999", "4", "999999999999999"),
    ])
    func batchCallWritesEachRecordsDocumentedArguments(_ amount: (value: String, scale: String, sent: String)) throws {
        let record = try Self.record(type: .negative, value: amount.value)
        let layout = RedisKeyLayout(prefix: "tally")
        let prepared = PreparedRecord(record, alerts: AlertPolicy(defaultThreshold: try ExactDecimal.parse("1")))
        var bytes: [UInt8] = []
        var lengths: [Int] = []
        ApplyBatchCall.write(prepared, layout: layout, into: &bytes, lengths: &lengths)
        #expect(lengths.count == ApplyBatchCall.argumentsPerRecord)
        var arguments: [String] = []
        var offset = 0
        for length in lengths {
            arguments.append(String(decoding: bytes[offset..<(offset + length)], as: UTF8.self))
            offset += length
        }
        #expect(
            arguments == [
                "r-1", RecordFingerprint(record).description, layout.destinationBase("acct-42"), "inv-7",
                "N:EUR", "Ns:EUR", amount.scale, amount.sent, prepared.alertThreshold?.description ?? "", String(record.time.epochSeconds),
                record.canonicalJSON, String(RedisKeyLayout.claimShard("r-1")),
            ])
    }
}
