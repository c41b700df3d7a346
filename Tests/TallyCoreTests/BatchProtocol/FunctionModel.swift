import TallyCore

/// What the Redis Function keeps and answers, reduced to what the batch
/// protocol can observe: claims, pending outcomes, and how often each
/// record's effect was applied. The integration tests hold the real
/// Function to the same answers; this model lets the protocol's tests run
/// every crash point without a server.
struct FunctionModel {
    // Keyed by the recordId's bytes, as Redis keys them.
    private var claims: [[UInt8]: RecordFingerprint] = [:]
    private var stored: [[UInt8]: (fingerprint: RecordFingerprint, outcome: String)] = [:]
    private var applied: [[UInt8]: Int] = [:]
    /// recordIds whose apply answers an error (a key of the wrong type).
    var failing: Set<String> = []
    private var sequence = 0

    mutating func apply(_ records: [PreparedRecord]) -> [ApplyResult] {
        records.map { prepared in
            let id = prepared.record.recordId
            let key = Array(id.utf8)
            if failing.contains(id) { return .failed("WRONGTYPE for \(id)") }
            if let stored = stored[key] {
                return stored.fingerprint == prepared.fingerprint ? .pending(.rendered(stored.outcome)) : .conflict
            }
            if let claimed = claims[key] { return claimed == prepared.fingerprint ? .duplicate : .conflict }
            // A sequence number in the bytes: applying a record twice would
            // change them, which the tests would see.
            sequence += 1
            var outcome = #"{"record":"\#(id)","applied":\#(sequence)}"#
            if let threshold = prepared.alertThreshold { outcome += #"\#n{"alert":"\#(id)","threshold":"\#(threshold)"}"# }
            claims[key] = prepared.fingerprint
            stored[key] = (prepared.fingerprint, outcome)
            applied[key, default: 0] += 1
            return .applied(.rendered(outcome))
        }
    }

    mutating func forget(_ outputs: [RecordOutputs]) {
        for output in outputs { stored[Array(output.recordId.utf8)] = nil }
    }

    /// Effects applied per recordId (bytes as UTF-8 text): exactly once is 1.
    var applications: [String: Int] {
        Dictionary(uniqueKeysWithValues: applied.map { (String(decoding: $0.key, as: UTF8.self), $0.value) })
    }

    /// recordIds whose outcome is applied and not yet forgotten.
    var pending: [String] { stored.keys.map { String(decoding: $0, as: UTF8.self) } }
}
