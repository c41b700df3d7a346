/// CPU time and memory of a process, read from the text of
/// `/proc/<pid>/stat` and `/proc/<pid>/status` (parsed here, read by the
/// executable).
public struct ProcessSample: Sendable, Equatable {
    /// User + system CPU, in clock ticks.
    public let cpuTicks: UInt64
    public let residentBytes: UInt64
    /// Peak resident set (VmHWM).
    public let peakResidentBytes: UInt64

    public init(cpuTicks: UInt64, residentBytes: UInt64, peakResidentBytes: UInt64) {
        self.cpuTicks = cpuTicks
        self.residentBytes = residentBytes
        self.peakResidentBytes = peakResidentBytes
    }

    /// `stat`: fields after the `(comm)`, which may hold spaces; utime and
    /// stime are fields 14 and 15. `status`: `VmRSS:` and `VmHWM:` in kB.
    public static func parse(stat: String, status: String) throws(LoadTestError) -> ProcessSample {
        guard let close = stat.lastIndex(of: ")") else { throw LoadTestError("unreadable /proc stat: \(stat.prefix(80))") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime = field 14 → fields[11].
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else {
            throw LoadTestError("unreadable /proc stat: \(stat.prefix(80))")
        }
        func kilobytes(_ key: String) -> UInt64? {
            for line in status.split(separator: "\n") where line.hasPrefix(key) {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if parts.count >= 2, let value = UInt64(parts[1]) { return value * 1_024 }
            }
            return nil
        }
        guard let rss = kilobytes("VmRSS:") else { throw LoadTestError("no VmRSS in /proc status") }
        return ProcessSample(cpuTicks: user + system, residentBytes: rss, peakResidentBytes: kilobytes("VmHWM:") ?? rss)
    }
}
