import TallyCore

/// Why a document is not an account report: the field and what is wrong.
public struct AccountReportFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A path such as `currencies[0].credits.average`.
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "account report: \(field): \(reason)" }
}

extension AccountReport {
    /// Reads a report back from its ``json`` form, as `tally report accounts`
    /// receives it from the aggregator. Amounts are parsed exactly; anything
    /// missing or mistyped is an error naming the field.
    public init(json value: JSONValue) throws(AccountReportFormatError) {
        let reader = FieldReader(value: value, path: "")
        let currencies = try reader.array("currencies").map { (section) throws(AccountReportFormatError) in
            try Currency(
                currency: section.string("currency"), scale: section.integer("scale"),
                transactionCount: section.integer("transactionCount"), balance: section.decimal("balance"),
                credits: Self.flow(section.object("credits")), debits: Self.flow(section.object("debits")),
                months: Self.months(section.array("months")))
        }
        self.init(
            account: try reader.string("account"), transactionCount: try reader.integer("transactionCount"),
            months: try Self.months(reader.array("months")), currencies: currencies)
    }

    /// Parses the report's JSON text.
    public init(jsonText: [UInt8]) throws(AccountReportFormatError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(jsonText)
        } catch {
            throw AccountReportFormatError(field: "(document)", reason: "not JSON: \(error)")
        }
        try self.init(json: value)
    }

    private static func flow(_ reader: FieldReader) throws(AccountReportFormatError) -> Flow {
        Flow(
            count: try reader.integer("count"), total: try reader.decimal("total"),
            average: try reader.optionalDecimal("average"))
    }

    private static func months(_ readers: [FieldReader]) throws(AccountReportFormatError) -> [MonthCount] {
        try readers.map { (month) throws(AccountReportFormatError) in
            MonthCount(month: try month.string("month"), count: try month.integer("count"))
        }
    }
}

/// Typed access to an object's members, with the path for error messages.
private struct FieldReader {
    let value: JSONValue
    let path: String

    private func member(_ key: String) throws(AccountReportFormatError) -> JSONValue {
        guard case .object = value else { throw AccountReportFormatError(field: path.isEmpty ? "(document)" : path, reason: "expected an object, got \(value.typeName)") }
        guard let member = value[key] else { throw AccountReportFormatError(field: name(key), reason: "missing") }
        return member
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ key: String) throws(AccountReportFormatError) -> String {
        guard case .string(let text) = try member(key) else { throw mistyped(key, "a string") }
        return text
    }

    func integer(_ key: String) throws(AccountReportFormatError) -> Int {
        guard case .number(let text) = try member(key), let number = Int(text), number >= 0 else {
            throw mistyped(key, "a non-negative integer")
        }
        return number
    }

    func decimal(_ key: String) throws(AccountReportFormatError) -> ExactDecimal {
        guard case .string(let text) = try member(key), let amount = try? ExactDecimal.parseTotal(text) else {
            throw mistyped(key, "a decimal string")
        }
        return amount
    }

    func optionalDecimal(_ key: String) throws(AccountReportFormatError) -> ExactDecimal? {
        if case .null = try member(key) { return nil }
        return try decimal(key)
    }

    func object(_ key: String) throws(AccountReportFormatError) -> FieldReader {
        let inner = try member(key)
        guard case .object = inner else { throw mistyped(key, "an object") }
        return FieldReader(value: inner, path: name(key))
    }

    func array(_ key: String) throws(AccountReportFormatError) -> [FieldReader] {
        guard case .array(let elements) = try member(key) else { throw mistyped(key, "an array") }
        return elements.enumerated().map { FieldReader(value: $0.element, path: "\(name(key))[\($0.offset)]") }
    }

    private func mistyped(_ key: String, _ expected: String) -> AccountReportFormatError {
        AccountReportFormatError(field: name(key), reason: "expected \(expected)")
    }
}
