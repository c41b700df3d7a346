// libFuzzer entry point for the record parser and validator (fault
// scenario 7). Built by scripts/fuzz.sh together with TallyCore's sources:
//   swiftc -parse-as-library -sanitize=fuzzer,address …
// Any crash, trap (precondition, overflow, out-of-bounds) or sanitizer
// report is a finding; a Rejection is the expected answer to garbage.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecordValidator(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let validator = RecordValidator(limits: RecordLimits(maxBodyBytes: 1 << 20, maxFieldBytes: 256))
    if case .success(let record) = validator.validate(bytes) {
        // What the worker does next with a valid record must hold too.
        let canonical = record.canonicalJSON
        guard case .success(let again) = validator.validate(Array(canonical.utf8)),
            again.recordId == record.recordId, again.value == record.value
        else { fatalError("canonical JSON of a valid record does not validate to the same record") }
        _ = RecordFingerprint(record).description
        _ = OutputComposer.notification(record, previous: Summary())
    }
    // The decimal parser alone, on the raw text.
    if size < 200, let text = String(validating: bytes, as: UTF8.self) {
        _ = try? ExactDecimal.parse(text)
        _ = try? RFC3339Timestamp.parse(text)
    }
    return 0
}
