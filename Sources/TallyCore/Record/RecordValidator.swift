/// Turns a message body into a ``Record`` or says exactly why it cannot be one.
///
/// The rules are the public contract (docs/contract.md, "Validation"): all eight
/// fields present, strings non-empty, bounded and free of control characters
/// (they end up in Redis keys and log lines), `time` RFC 3339 with an offset,
/// `type` positive or negative, `value` a non-negative decimal given as a JSON
/// number or string and parsed from its text, never through a binary float.
/// Fields the contract does not name are ignored, so producers can add
/// metadata without breaking consumers.
public struct RecordValidator: Sendable {
    public let limits: RecordLimits

    public init(limits: RecordLimits = RecordLimits()) {
        self.limits = limits
    }

    public func validate(_ body: [UInt8]) -> Result<Record, Rejection> {
        body.withUnsafeBytes { validate($0) }
    }

    public func validate(_ body: UnsafeRawBufferPointer) -> Result<Record, Rejection> {
        guard body.count <= limits.maxBodyBytes else {
            return .failure(Rejection(.tooLarge, detail: "body is \(body.count) bytes, the limit is \(limits.maxBodyBytes)"))
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            return .failure(Rejection(.malformedJSON, detail: error.description))
        }
        guard case .object(let members) = json else {
            return .failure(Rejection(.invalidShape, detail: "expected a JSON object, got \(json.typeName)"))
        }
        do {
            return .success(try record(from: members))
        } catch let rejection as Rejection {
            return .failure(rejection)
        } catch {
            preconditionFailure("record(from:) throws only Rejection")
        }
    }

    private func record(from members: [JSONMember]) throws -> Record {
        var positions = FieldPositions()
        for (position, member) in members.enumerated() {
            guard let field = RecordField(wireName: member.key) else { continue }
            guard positions[field] == nil else {
                throw Rejection(.invalidField, field: field, detail: "appears more than once")
            }
            positions[field] = position
        }
        func value(_ field: RecordField) throws -> JSONValue {
            guard let position = positions[field] else {
                throw Rejection(.invalidField, field: field, detail: "is missing")
            }
            return members[position].value
        }

        let recordId = try text(value(.recordId), .recordId)
        let timeText = try text(value(.time), .time)
        let time: RFC3339Timestamp
        do {
            time = try RFC3339Timestamp.parse(timeText)
        } catch {
            throw Rejection(.invalidField, field: .time, detail: "is not an RFC 3339 time with an offset: \(error.description)")
        }
        let sourceId = try text(value(.sourceId), .sourceId)
        let destinationId = try text(value(.destinationId), .destinationId)
        let typeText = try text(value(.type), .type)
        guard let type = RecordType(rawValue: typeText) else {
            throw Rejection(.invalidField, field: .type, detail: "must be \"positive\" or \"negative\"")
        }
        let amount = try decimal(value(.value))
        let unit = try text(value(.unit), .unit)
        let reference = try text(value(.reference), .reference)
        return Record(
            recordId: recordId, time: time, timeText: timeText, sourceId: sourceId,
            destinationId: destinationId, type: type, value: amount, unit: unit, reference: reference)
    }

    private func text(_ json: JSONValue, _ field: RecordField) throws -> String {
        guard case .string(let string) = json else {
            throw Rejection(.invalidField, field: field, detail: "must be a string, got \(json.typeName)")
        }
        let utf8 = string.utf8
        if utf8.isEmpty {
            throw Rejection(.invalidField, field: field, detail: "must not be empty")
        }
        if utf8.count > limits.maxFieldBytes {
            throw Rejection(.invalidField, field: field, detail: "is \(utf8.count) bytes, the limit is \(limits.maxFieldBytes)")
        }
        if Self.containsControlCharacter(string) {
            throw Rejection(.invalidField, field: field, detail: "contains a control character or line separator")
        }
        return string
    }

    /// C0 and C1 controls, DEL, and U+2028/U+2029: anything that could
    /// split a log line or smuggle structure into a Redis key or a header.
    /// ASCII text, the common case, is checked byte-wise without decoding.
    static func containsControlCharacter(_ string: String) -> Bool {
        var ascii = true
        for byte in string.utf8 {
            if byte < 0x20 || byte == 0x7F { return true }
            if byte >= 0x80 { ascii = false }
        }
        if ascii { return false }
        return string.unicodeScalars.contains { scalar in
            (0x80...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
        }
    }

    private func decimal(_ json: JSONValue) throws -> ExactDecimal {
        let literal: String
        switch json {
        case .number(let raw): literal = raw
        case .string(let string): literal = string
        default:
            throw Rejection(.invalidField, field: .value, detail: "must be a decimal number or string, got \(json.typeName)")
        }
        let amount: ExactDecimal
        do {
            amount = try ExactDecimal.parse(literal)
        } catch {
            throw Rejection(.invalidField, field: .value, detail: "is not an exact decimal: \(error.description)")
        }
        if amount.isNegative {
            throw Rejection(.invalidField, field: .value, detail: "must not be negative (the sign is the type field)")
        }
        return amount
    }
}

/// Where each of the eight fields is among an object's members; a value,
/// so validating a record allocates no array for it.
private struct FieldPositions {
    private var positions: (Int, Int, Int, Int, Int, Int, Int, Int) = (-1, -1, -1, -1, -1, -1, -1, -1)

    subscript(field: RecordField) -> Int? {
        get {
            let position = withUnsafeBytes(of: positions) { $0.load(fromByteOffset: field.index * MemoryLayout<Int>.stride, as: Int.self) }
            return position < 0 ? nil : position
        }
        set {
            withUnsafeMutableBytes(of: &positions) {
                $0.storeBytes(of: newValue ?? -1, toByteOffset: field.index * MemoryLayout<Int>.stride, as: Int.self)
            }
        }
    }
}

extension RecordField {
    /// The field a member's key names, compared by bytes (a key is one of
    /// these only when its bytes are): without the string switch of
    /// `init(rawValue:)`, which compares `String`s one case at a time.
    fileprivate init?(wireName key: String) {
        var key = key
        let field: RecordField? = key.withUTF8 { bytes in
            func named(_ name: StaticString) -> Bool {
                name.withUTF8Buffer { $0.elementsEqual(bytes) }
            }
            switch bytes.count {
            case 4: return named("time") ? .time : named("type") ? .type : named("unit") ? .unit : nil
            case 5: return named("value") ? .value : nil
            case 8: return named("recordId") ? .recordId : named("sourceId") ? .sourceId : nil
            case 9: return named("reference") ? .reference : nil
            case 13: return named("destinationId") ? .destinationId : nil
            default: return nil
            }
        }
        guard let field else { return nil }
        self = field
    }

    fileprivate var index: Int {
        switch self {
        case .recordId: 0
        case .time: 1
        case .sourceId: 2
        case .destinationId: 3
        case .type: 4
        case .value: 5
        case .unit: 6
        case .reference: 7
        }
    }
}
