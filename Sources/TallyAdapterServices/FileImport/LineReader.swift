import Foundation

/// Reads a file line by line in fixed-size chunks: constant memory for any
/// file size, every line with its 1-based number and the bytes consumed so
/// far (for the progress bar). `\n` and `\r\n` both end a line; a UTF-8 byte
/// order mark at the start is skipped.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var lineNumber = 0
    /// Bytes of the file consumed by the lines returned so far.
    private(set) var bytesConsumed: UInt64 = 0
    let size: UInt64
    static let chunkSize = 1 << 20

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImportFailure("cannot open \(path) for reading")
        }
        self.handle = handle
        size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
    }

    deinit { try? handle.close() }

    /// The next line without its terminator, or nil at the end of the file.
    func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                return take(upTo: newline, terminator: 1)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                return take(upTo: buffer.count, terminator: 0)
            }
            try fill()
        }
    }

    private func take(upTo end: Int, terminator: Int) -> ArraySlice<UInt8> {
        var line = buffer[start..<end]
        bytesConsumed += UInt64(end - start + terminator)
        start = end + terminator
        lineNumber += 1
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        return line
    }

    private func fill() throws {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = try handle.read(upToCount: Self.chunkSize) ?? Data()
        if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
    }
}

/// A failure that ends an import, with the message the operator sees.
public struct ImportFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
