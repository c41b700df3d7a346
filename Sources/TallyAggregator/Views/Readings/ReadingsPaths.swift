/// The paths the readings and matches views serve, so that
/// ``MethodNotAllowedMiddleware`` answers 405 (not the router's misleading
/// 404) to other methods on them.
enum ReadingsPaths {
    static func isServed(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].isEmpty, parts[1] == "v1" else { return false }
        switch parts.count {
        case 3: return parts[2] == "matches"
        case 4: return (parts[2] == "readings" || parts[2] == "matches") && !parts[3].isEmpty
        case 5: return parts[2] == "matches" && !parts[3].isEmpty && (parts[4] == "runs" || parts[4] == "totals")
        default: return false
        }
    }
}
