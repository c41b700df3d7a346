import Foundation

/// The progress bar of a long import, on standard error so standard output
/// stays the summary: rows per second and the share of the file's bytes
/// read. Redrawn in place on a terminal, a plain line every few seconds
/// otherwise (logs, CI).
struct ImportProgress {
    let totalBytes: UInt64
    let interactive = isatty(STDERR_FILENO) != 0
    let started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now
    private var drewInPlace = false

    init(totalBytes: UInt64) {
        self.totalBytes = totalBytes
    }

    var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Draws when enough time has passed since the last drawing.
    mutating func update(rows: Int, bytes: UInt64, rejected: Int) {
        let now = ContinuousClock.now
        guard now - lastDrawn >= (interactive ? .milliseconds(200) : .seconds(5)) else { return }
        lastDrawn = now
        draw(rows: rows, bytes: bytes, rejected: rejected)
    }

    mutating func finish(rows: Int, bytes: UInt64, rejected: Int) {
        draw(rows: rows, bytes: bytes, rejected: rejected)
        if drewInPlace { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private mutating func draw(rows: Int, bytes: UInt64, rejected: Int) {
        let fraction = totalBytes == 0 ? 1.0 : min(1.0, Double(bytes) / Double(totalBytes))
        let rate = Double(rows) / max(elapsedSeconds, 0.001)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text = "[\(bar)] " + String(format: "%5.1f%%  %d rows  %.0f rows/s  %d rejected", fraction * 100, rows, rate, rejected)
        if interactive {
            FileHandle.standardError.write(Data(("\r" + text).utf8))
            drewInPlace = true
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
