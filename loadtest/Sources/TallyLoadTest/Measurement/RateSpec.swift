import Foundation

/// A publishing rate: `0` (as fast as the window allows), `N` or `N/s`
/// messages per second, `N/min`, `N/h` (the expected load is given in records per hour).
public struct RateSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Messages per second; 0 = unlimited.
    public let perSecond: Double
    public let text: String

    public init(parsing text: String) throws(LoadTestError) {
        let trimmed = text.lowercased().replacingOccurrences(of: " ", with: "")
        var number = Substring(trimmed)
        var divisor = 1.0
        for (suffix, seconds) in [("/s", 1.0), ("/min", 60.0), ("/h", 3_600.0)] where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            divisor = seconds
        }
        guard let value = Double(number.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")), value >= 0, value.isFinite else {
            throw LoadTestError("--rate \"\(text)\" is not a rate: use 0 (unlimited), 500, 500/s, 3000/min or 100000/h")
        }
        perSecond = value / divisor
        self.text = text
    }

    public var isUnlimited: Bool { perSecond == 0 }

    /// Nanoseconds after the start at which message `index` is due.
    public func dueNanos(of index: Int) -> UInt64 {
        isUnlimited ? 0 : UInt64(Double(index) / perSecond * 1e9)
    }

    public var description: String {
        isUnlimited ? "unlimited" : String(format: "%.2f", perSecond) + " messages/s (\(text))"
    }
}
