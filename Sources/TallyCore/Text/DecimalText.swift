/// Decimal digits of integers written without making a `String`, for the
/// keys and digests the worker builds once per record.
public enum DecimalText {
    /// Appends the decimal digits of `value` to `out` (the text of `String(value)`).
    public static func append(_ value: UInt64, to out: inout [UInt8]) {
        withDigits(of: value) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the decimal digits of `value`, kept on the stack.
    public static func withDigits<R>(of value: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        // 24 bytes: room for the 20 digits of UInt64.max.
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &storage) { buffer in
            var position = buffer.count
            var rest = value
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            return body(UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }
}
