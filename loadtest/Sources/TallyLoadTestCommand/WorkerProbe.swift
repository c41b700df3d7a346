import Foundation
import TallyLoadTest

/// Reads the workers' CPU time and resident memory from /proc. The pids
/// are given, or found in the state directory's `workers/worker-*.pid`
/// files (what `scripts/up.sh` writes).
struct WorkerProbe {
    let pids: [Int32]
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func discover(given: [Int32], stateDirectory: String?) -> [Int32] {
        if !given.isEmpty { return given }
        guard let stateDirectory else { return [] }
        let folder = (stateDirectory as NSString).appendingPathComponent("workers")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("worker-") && $0.hasSuffix(".pid") }.sorted().compactMap { name in
            let text = (try? String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8)) ?? ""
            guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else { return nil }
            return pid
        }
    }

    func sample() -> [Int32: ProcessSample] {
        var out: [Int32: ProcessSample] = [:]
        for pid in pids {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let sample = try? ProcessSample.parse(stat: stat, status: status)
            else { continue }
            out[pid] = sample
        }
        return out
    }
}
