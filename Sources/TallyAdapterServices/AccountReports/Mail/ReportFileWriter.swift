import Foundation
import TallyAdapters
import TallyCore

/// `--out-dir`: each report as its page, `<account>-<digest>.html`, the
/// account percent-encoded to a safe file name and the digest that of the
/// message id, so a redelivered report rewrites the same file with the
/// same bytes. Written to a temporary name and renamed, so a reader never
/// sees half a page.
enum ReportFileWriter {
    static func write(_ received: ReceivedAccountReport, to directory: String) throws {
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        let name = fileName(account: received.account, messageId: received.messageId)
        let temporary = folder.appendingPathComponent(".\(name).\(getpid()).tmp")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(received.html.utf8).write(to: temporary)
            if rename(temporary.path, folder.appendingPathComponent(name).path) != 0 {
                throw ReportMailerError("rename: \(String(cString: strerror(errno)))")
            }
        } catch {
            throw ReportMailerError("writing \(name) in \(directory): \(error)")
        }
    }

    static func fileName(account: String, messageId: String) -> String {
        var safe = ""
        for byte in account.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                safe.append(Character(UnicodeScalar(byte)))
            default:
                safe += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        // A file name has 255 bytes; the digest alone tells reports apart.
        return "\(safe.prefix(180))-\(FNV1a.hex64(messageId)).html"
    }
}
