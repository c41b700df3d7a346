/// FNV-1a, 64 bits: a digest that is stable across processes and versions
/// (unlike Swift's seeded `Hasher`), for identifiers that must not change
/// between runs — message ids, cursor filter fingerprints.
/// (``RecordFingerprint`` runs the same function inline over a record's
/// fields, on the worker's hot path.)
public enum FNV1a {
    /// The digest of `text`'s UTF-8 bytes as sixteen lowercase hex digits.
    public static func hex64(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.utf8.count) + hex
    }
}
