/// The columns of a file, found by name in its header row (case-insensitive,
/// blanks and quotes trimmed by ``CSVFieldSplitter``, any order).
public struct CSVHeader: Sendable {
    /// Column name (lowercased) → its position.
    public let positions: [String: Int]
    public let count: Int

    /// - Parameters:
    ///   - required: columns the file must have.
    ///   - optional: columns it may have.
    ///   Any other column is refused, so that a typo (`ammount`) is an error
    ///   instead of a silently ignored column.
    public init(_ fields: [String], required: [String], optional: [String] = []) throws(HeaderRejection) {
        var positions: [String: Int] = [:]
        for (position, field) in fields.enumerated() {
            let name = field.lowercased()
            guard required.contains(name) || optional.contains(name) else {
                throw HeaderRejection(
                    "unknown column \"\(field)\" in the header; expected \((required + optional).joined(separator: ","))")
            }
            guard positions[name] == nil else { throw HeaderRejection("column \"\(field)\" appears twice in the header") }
            positions[name] = position
        }
        let missing = required.filter { positions[$0] == nil }
        guard missing.isEmpty else {
            throw HeaderRejection("the header lacks column(s) \(missing.joined(separator: ",")); it reads \"\(fields.joined(separator: ","))\"")
        }
        self.positions = positions
        self.count = fields.count
    }

    /// The fields of a row, checked against the header's width.
    public func row(_ fields: [String]) throws(RowRejection) -> CSVRow {
        guard fields.count == count else {
            throw RowRejection("expected \(count) fields, found \(fields.count)")
        }
        return CSVRow(header: self, fields: fields)
    }
}

/// One row's fields, read by column name.
public struct CSVRow: Sendable {
    let header: CSVHeader
    let fields: [String]

    /// The value of `column`; a missing optional column is nil.
    public func optional(_ column: String) -> String? {
        header.positions[column].map { fields[$0] }
    }

    /// The non-empty value of `column`.
    public func required(_ column: String) throws(RowRejection) -> String {
        guard let value = optional(column), !value.isEmpty else { throw RowRejection("\(column): empty") }
        return value
    }
}
