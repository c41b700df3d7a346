import Foundation

/// The `cursor` of a live summary's references page: the last reference
/// returned, as base64url of its bytes (any byte a reference may hold
/// survives a query string). Opaque to clients, like every `nextCursor`.
enum ReferenceCursor {
    static func encode(_ reference: String) -> String {
        Data(reference.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) throws(InvalidParameter) -> String {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard cursor.utf8.count <= 4_096, let data = Data(base64Encoded: base64), !data.isEmpty,
            let reference = String(data: data, encoding: .utf8)
        else { throw InvalidParameter("cursor", "not a cursor of this route (pass nextCursor unchanged)") }
        return reference
    }
}
