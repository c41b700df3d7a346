import TallyCore

/// How the HTML report writes amounts and months for a person: pure text
/// functions, separate from the page so they are tested on their own.
public enum ReportFormatting {
    /// An amount with its digits grouped by thousands, e.g. `-1,234,567.50`.
    /// The digits are the decimal's own (`description`), so nothing is
    /// rounded: removing the commas gives back the exact value.
    public static func amount(_ value: ExactDecimal) -> String {
        let text = value.description
        let unsigned = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let integer = unsigned.prefix { $0 != "." }
        let fraction = unsigned.dropFirst(integer.count)
        var grouped = ""
        for (index, digit) in integer.enumerated() {
            if index > 0, (integer.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value.isNegative ? "-" : "") + grouped + fraction
    }

    /// A debit as a statement shows it: the magnitude with a minus sign
    /// (zero stays `0.00`).
    public static func debit(_ magnitude: ExactDecimal) -> String {
        amount(magnitude.negated)
    }

    private static let monthNames = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]

    /// `2026-07` → `July 2026`; any other text is returned as it is (a
    /// producer's own reference), to be escaped like all text.
    public static func month(_ reference: String) -> String {
        let bytes = Array(reference.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
            bytes.enumerated().allSatisfy({ $0.offset == 4 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) }),
            let month = Int(reference.suffix(2)), (1...12).contains(month)
        else { return reference }
        return "\(monthNames[month - 1]) \(reference.prefix(4))"
    }
}
