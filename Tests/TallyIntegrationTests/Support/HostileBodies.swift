import TallyCore

/// Random and mutated message bodies of every kind the fault suite throws at
/// the fleet. Each body that still looks like a record carries a unique
/// recordId, so what the fleet did with it can be checked one by one.
enum HostileBodies {
    /// The largest body the broker accepts (scripts/up.sh's max_message_size).
    static let hugeBodyBytes = 1_048_576

    static func make(count: Int, prefix: String, seed: UInt64) -> [[UInt8]] {
        var random = SplitMix64(seed: seed)
        var bodies: [[UInt8]] = []
        bodies.reserveCapacity(count + 1)
        for index in 0..<count {
            let id = "\(prefix)-h\(index)"
            let valid = RecordStream.body(id: id, destination: "acct-\(index % 7)", value: "\"\(index % 100).5\"")
            switch index % 12 {
            case 0:  // truncated
                bodies.append(Array(valid.prefix(Int.random(in: 1..<valid.count, using: &random))))
            case 1:  // wrong types
                let fields = ["recordId", "time", "sourceId", "destinationId", "type", "unit", "reference"]
                let field = fields[index / 12 % fields.count]
                let replacement = ["1", "true", "null", "[]", "{}"][index % 5]
                var text = String(decoding: valid, as: UTF8.self)
                if let range = text.range(of: "\"\(field)\":\"") , let end = text[range.upperBound...].firstIndex(of: "\"") {
                    text.replaceSubrange(range.lowerBound...end, with: "\"\(field)\":\(replacement)")
                }
                bodies.append(Array(text.utf8))
            case 2:  // huge or malformed numbers
                let values = ["1e999999999", String(repeating: "9", count: 60), "-0.5", "1.2.3", "0x10", "1e-40", "\"NaN\"", "01"]
                bodies.append(RecordStream.body(id: id, destination: "acct-1", value: values[index / 12 % values.count]))
            case 3:  // deep nesting
                let depth = [40, 1_000, 100_000][index / 12 % 3]
                bodies.append(Array(("{\"recordId\":\"\(id)\",\"x\":" + String(repeating: "[", count: depth)).utf8))
            case 4:  // invalid UTF-8 inside a string
                var bytes = valid
                if let quote = bytes.indices.dropFirst(14).first(where: { bytes[$0] == 0x22 }) {
                    bytes.insert(contentsOf: [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF0, 0x28, 0x8C]][index / 12 % 4], at: quote)
                }
                bodies.append(bytes)
            case 5:  // control characters and line separators in ids
                let bad = ["\\u0000", "\\n", "\\u001f", "\\u007f", "\\u0085", "\\u2028"][index / 12 % 6]
                var text = String(decoding: valid, as: UTF8.self)
                text = text.replacingOccurrences(of: "\"destinationId\":\"", with: "\"destinationId\":\"x\(bad)")
                bodies.append(Array(text.utf8))
            case 6:  // ids that could break the key layout if not escaped: valid
                let tricky = ["a{b}c", "}{", "a:b:c", "{x}:ref:y", "%7B", "{", "}", ":"][index / 12 % 8]
                bodies.append(RecordStream.body(id: id, destination: tricky, value: "1", reference: tricky))
            case 7:  // random bytes
                bodies.append((0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            case 8:  // missing fields, extra fields
                var text = String(decoding: valid, as: UTF8.self)
                if index / 12 % 2 == 0 {
                    text = text.replacingOccurrences(of: ",\"unit\":\"EUR\"", with: "")
                } else {
                    text = String(text.dropLast()) + ",\"extra\":{\"nested\":[1,2,3]}}"  // valid: extras ignored
                }
                bodies.append(Array(text.utf8))
            case 9:  // not an object
                bodies.append(Array(["[]", "\"record\"", "42", "null", "", " "][index / 12 % 6].utf8))
            case 10:  // bad time, type, negative value
                let variants = [
                    RecordStream.body(id: id, time: "2026-02-30T00:00:00Z", destination: "acct-1", value: "1"),
                    RecordStream.body(id: id, time: "2026-03-01T12:00:00", destination: "acct-1", value: "1"),
                    RecordStream.body(id: id, destination: "acct-1", type: "Positive", value: "1"),
                    RecordStream.body(id: id, destination: "acct-1", value: "-1"),
                ]
                bodies.append(variants[index / 12 % variants.count])
            default:  // a valid record among them
                bodies.append(valid)
            }
        }
        // One body of 1 MiB, the most the broker takes (max_message_size):
        // over the worker's size limit, rejected unread.
        let head = "{\"recordId\":\"\(prefix)-huge\",\"pad\":\""
        bodies.append(Array((head + String(repeating: "x", count: hugeBodyBytes - head.utf8.count - 2) + "\"}").utf8))
        return bodies
    }
}
