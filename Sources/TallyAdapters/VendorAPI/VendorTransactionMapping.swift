import TallyCore

/// Maps one vendor transaction `{id, userId, createdAt, type, amount}` onto
/// a standard record, or says exactly why it cannot.
///
/// - recordId `vendor:<id>`: deterministic, so a page published twice (a
///   crash between publishing and storing the cursor) is a harmless
///   duplicate for the fleet;
/// - time = `createdAt` as written (RFC 3339 with an offset);
/// - sourceId `vendor`, destinationId `user:<userId>` (``AdapterNamespace/vendor``);
/// - reference = the vendor type, type = its direction
///   (``VendorTransactionType``), value = `amount` exactly (a decimal string
///   or JSON number, never through a binary float), unit = the poller's unit.
///
/// The record is checked like every adapter's (``AdapterRecord/validated(_:limits:)``):
/// whatever is published is a record the workers accept, and the same
/// vendor item always gives byte-identical bodies.
public struct VendorTransactionMapping: Sendable {
    public let unit: String
    public let namespace: AdapterNamespace
    public let limits: RecordLimits

    public init(unit: String, namespace: AdapterNamespace = .vendor, limits: RecordLimits = RecordLimits()) {
        self.unit = unit
        self.namespace = namespace
        self.limits = limits
    }

    public func map(_ item: JSONValue) -> Result<VendorRecord, VendorRejection> {
        guard case .object = item else {
            return .failure(VendorRejection(item: item, id: nil, field: nil, detail: "a transaction must be a JSON object, got a \(item.typeName)"))
        }
        let id = Self.key(item["id"])
        func reject(_ field: String, _ detail: String) -> Result<VendorRecord, VendorRejection> {
            .failure(VendorRejection(item: item, id: id, field: field, detail: detail))
        }
        guard let id else { return reject("id", "missing, empty, or not a string or an integer") }
        guard let userId = Self.key(item["userId"]) else {
            return reject("userId", "missing, empty, or not a string or an integer")
        }
        guard case .string(let createdAt)? = item["createdAt"] else { return reject("createdAt", "missing or not a string") }
        let time: RFC3339Timestamp
        do {
            time = try RFC3339Timestamp.parse(createdAt)
        } catch {
            return reject("createdAt", "not an RFC 3339 time with an offset: \(error)")
        }
        guard case .string(let typeName)? = item["type"] else { return reject("type", "missing or not a string") }
        guard let type = VendorTransactionType(rawValue: typeName) else {
            return reject("type", "unknown type \(JSONWriter.quoted(typeName)); expected earned, spent, payout or paid_out")
        }
        let amountText: String
        switch item["amount"] {
        case .string(let text)?, .number(let text)?: amountText = text
        default: return reject("amount", "missing or not a decimal string or number")
        }
        let amount: ExactDecimal
        do {
            amount = try ExactDecimal.parse(amountText)
        } catch {
            return reject("amount", "not an exact decimal: \(error)")
        }
        guard !amount.isNegative else {
            return reject("amount", "negative (\(amountText)); the type carries the direction")
        }
        let record = Record(
            recordId: "vendor:" + id, time: time, timeText: createdAt, sourceId: namespace.sourceId,
            destinationId: namespace.destination(userId), type: type.recordType, value: amount, unit: unit,
            reference: type.reference)
        switch AdapterRecord.validated(record, limits: limits) {
        case .success(let validated):
            return .success(VendorRecord(record: validated.record, body: validated.body))
        case .failure(let rejection):
            let field = rejection.field.map(Self.vendorField) ?? "transaction"
            return reject(field, "the record it maps to is refused: \(rejection.detail)")
        }
    }

    /// A user or transaction key: a non-empty string, or an integer written
    /// as a JSON number (its digits are the key, exactly as sent).
    static func key(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)? where !text.isEmpty: return text
        case .number(let text)? where text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }): return text
        default: return nil
        }
    }

    /// The vendor field a record field came from, for the rejection.
    static func vendorField(_ field: RecordField) -> String {
        switch field {
        case .recordId: "id"
        case .destinationId: "userId"
        case .time: "createdAt"
        case .value: "amount"
        case .reference, .type: "type"
        case .sourceId, .unit: "unit"
        }
    }
}

/// A vendor transaction mapped: the record and the exact body to publish.
public struct VendorRecord: Sendable, Equatable {
    public let record: Record
    public let body: [UInt8]
}

/// A vendor transaction that cannot become a record. The poller publishes
/// it to the dead-letter exchange (reason ``reason``, the vendor field and
/// the detail in the headers, the item's JSON as the body), so it is never
/// dropped and `tally dead list` shows it with the others.
public struct VendorRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `x-tally-reason` of these dead letters.
    public static let reason = "invalid-vendor-transaction"

    public let item: JSONValue
    /// The transaction's id when it had a usable one.
    public let id: String?
    /// The vendor field at fault (`id`, `userId`, `createdAt`, `type`, `amount`), nil for the shape.
    public let field: String?
    public let detail: String

    public var description: String {
        "transaction \(id ?? "(no id)"): \(field.map { "\($0): " } ?? "")\(detail)"
    }
}
