import Foundation
import TallyCore

#if canImport(Glibc)
import Glibc
#endif

/// Prometheus' standard process metrics (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`, `process_max_fds`,
/// `process_start_time_seconds`) and `tally_build_info`, appended to every
/// process's `/metrics`: swift-prometheus exports none of them, and an
/// operator needs them to tell a leak, an fd exhaustion or a mixed-version
/// fleet during a rolling upgrade. Read from `/proc/self` at each scrape;
/// on a system without `/proc` only the build info is written.
public enum ProcessMetrics {
    public static func render(process: String = ProcessMetrics.executableName) -> String {
        var out = "# TYPE tally_build_info gauge\n"
        out += "tally_build_info{version=\"\(BuildInfo.version)\",process=\"\(process)\"} 1\n"
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let fields = Self.statFields(stat)
        else { return out }
        let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        if ticks > 0 {
            out += "# TYPE process_cpu_seconds_total counter\n"
            out += "process_cpu_seconds_total \(Self.seconds(ticks: fields.userTicks + fields.systemTicks, perSecond: ticks))\n"
            if let boot = Self.bootTime() {
                out += "# TYPE process_start_time_seconds gauge\n"
                out += "process_start_time_seconds \(Self.seconds(ticks: boot * ticks + fields.startTicks, perSecond: ticks))\n"
            }
        }
        out += "# TYPE process_resident_memory_bytes gauge\n"
        out += "process_resident_memory_bytes \(fields.residentPages * pageSize)\n"
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            out += "# TYPE process_open_fds gauge\n"
            out += "process_open_fds \(descriptors.count)\n"
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            out += "# TYPE process_max_fds gauge\n"
            out += "process_max_fds \(limit.rlim_cur)\n"
        }
        return out
    }

    /// The running executable's file name (`tally-worker`, …).
    public static var executableName: String {
        CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "tally"
    }

    struct StatFields: Equatable {
        var userTicks: Int
        var systemTicks: Int
        var startTicks: Int
        var residentPages: Int
    }

    /// Fields 14, 15, 22 and 24 of `/proc/self/stat` (proc(5)). The command
    /// name (field 2) is in parentheses and may hold spaces and `)`, so the
    /// count starts after its last `)`.
    static func statFields(_ stat: String) -> StatFields? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is the first.
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Int? { rest.count > number - 3 ? Int(rest[number - 3]) : nil }
        guard let user = field(14), let system = field(15), let start = field(22), let rss = field(24) else { return nil }
        return StatFields(userTicks: user, systemTicks: system, startTicks: start, residentPages: rss)
    }

    /// `ticks / perSecond` as exact decimal text with three decimals (no
    /// floating point: 1234 ticks at 100/s is "12.340").
    static func seconds(ticks: Int, perSecond: Int) -> String {
        let whole = ticks / perSecond
        let millis = (ticks % perSecond) * 1_000 / perSecond
        let fraction = String(millis)
        return "\(whole)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// `btime` of `/proc/stat`: the boot time in seconds since the epoch.
    private static func bootTime() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst(6))
        }
        return nil
    }
}
