import Foundation
import TallyCore

/// Where the rows an import could not send go, each with its line number and
/// reason, as CSV: `line,reason,row`. Created on the first reject, so a
/// clean import leaves no empty file behind; an existing file is replaced.
final class RejectsFile {
    let path: String
    private var handle: FileHandle?
    private(set) var count = 0

    init(path: String) {
        self.path = path
    }

    deinit { try? handle?.close() }

    func add(line: Int, reason: String, row: String) throws {
        if handle == nil {
            guard FileManager.default.createFile(atPath: path, contents: Data("line,reason,row\n".utf8)),
                let opened = FileHandle(forWritingAtPath: path)
            else { throw ImportFailure("cannot write the rejects file \(path)") }
            opened.seekToEndOfFile()
            handle = opened
        }
        count += 1
        handle?.write(Data("\(line),\(Self.quoted(reason)),\(Self.quoted(row))\n".utf8))
    }

    /// RFC 4180 quoting: the row is kept exactly, quotes doubled.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
