import Foundation

/// Number formats shared by the table and the HTML report.
enum Formatting {
    static func integer(_ value: Double) -> String {
        let rounded = Int(value.rounded())
        var digits = String(abs(rounded))
        var out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return (rounded < 0 ? "-" : "") + digits + out
    }

    static func integer(_ value: Int) -> String { integer(Double(value)) }

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func mebibytes(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    static func milliseconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.2f ms", value) : String(format: "%.1f ms", value)
    }
}
